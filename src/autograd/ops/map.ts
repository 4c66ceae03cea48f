import { allocate, dtypeOf, type DType, type TypedArray } from '../../tensor/dtype.js';
import type { Gradient } from '../graph.js';

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
 * @example
 * vjp: (gradOut, x) => elementwiseGradient(gradOut, x, unary.logBackward),
 */
export function elementwiseGradient(
  gradOut: Gradient,
  saved: TypedArray,
  kernel: (saved: TypedArray, gradOut: TypedArray, out: TypedArray) => void,
): Gradient[] {
  const dx = allocate(dtypeOf(gradOut.data), gradOut.data.length);
  kernel(saved, gradOut.data, dx);
  return [{ data: dx, shape: gradOut.shape }];
}
