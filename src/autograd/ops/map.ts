import { allocate, dtypeOf, type DType, type TypedArray } from '../../tensor/dtype.js';
import type { BufferStats } from '../../tensor/kernels/reduce.js';
import { gradientWithStats, type Gradient } from '../graph.js';

/*
 * The two steps every elementwise op repeats: run a kernel into a fresh buffer for the forward,
 * and run its derivative kernel into a fresh gradient of gradOut's shape for the VJP.
 */

/**
 * Applies `kernel` to x into a fresh buffer of the op's dtype.
 * @example
 * const out = mapElements(x.data, 'float32', unary.exp);
 */
export function mapElements(x: TypedArray, dtype: DType, kernel: (x: TypedArray, out: TypedArray) => void): TypedArray {
  const out = allocate(dtype, x.length);
  kernel(x, out);
  return out;
}

/**
 * The single gradient of an elementwise op: gradOut's shape, computed by `kernel(saved, gradOut, out)`.
 * A kernel that can measure its output (`measure`, see OpDef.vjp) passes the statistics on.
 * @example
 * vjp: (gradOut, x) => elementwiseGradient(gradOut, x, unary.logBackward),
 */
export function elementwiseGradient(
  gradOut: Gradient,
  saved: TypedArray,
  kernel: (saved: TypedArray, gradOut: TypedArray, out: TypedArray, measure: boolean) => BufferStats | undefined | void,
  measure = false,
): Gradient[] {
  const dx = allocate(dtypeOf(gradOut.data), gradOut.data.length);
  const stats = kernel(saved, gradOut.data, dx, measure);
  return [gradientWithStats(dx, gradOut.shape, stats ?? undefined)];
}
