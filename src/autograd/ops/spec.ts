import type { TypedArray } from '../../tensor/dtype.js';
import type { Shape } from '../../tensor/shape.js';

/**
 * The primitive ops, each with its non-tensor arguments (`attrs`) and what its forward keeps
 * for backward (`saved`). The op-name union is the key set of this interface, and the registry
 * in `registry.ts` is typed over it, so an op without a forward or a VJP fails to compile.
 */
export interface OpSpec {
  add: { attrs: null; saved: null };
  sub: { attrs: null; saved: null };
  mul: { attrs: null; saved: readonly [TypedArray, TypedArray] };
  div: { attrs: null; saved: readonly [TypedArray, TypedArray] };
  neg: { attrs: null; saved: null };
  pow: { attrs: { exponent: number }; saved: TypedArray };
  exp: { attrs: null; saved: TypedArray };
  log: { attrs: null; saved: TypedArray };
  sqrt: { attrs: null; saved: TypedArray };
  abs: { attrs: null; saved: TypedArray };
  clamp: { attrs: { min: number; max: number }; saved: TypedArray };
  relu: { attrs: null; saved: TypedArray };
  leakyRelu: { attrs: { slope: number }; saved: TypedArray };
  tanh: { attrs: null; saved: TypedArray };
  sigmoid: { attrs: null; saved: TypedArray };
  gelu: { attrs: null; saved: TypedArray };
  softplus: { attrs: null; saved: TypedArray };
  matmul: { attrs: null; saved: readonly [TypedArray, TypedArray] };
  linear: { attrs: { hasBias: boolean }; saved: readonly [TypedArray, TypedArray] };
  sum: { attrs: { axis: number | null; keepDim: boolean }; saved: null };
  max: { attrs: { axis: number | null; keepDim: boolean }; saved: { input: TypedArray; values: TypedArray } };
  reshape: { attrs: { shape: Shape }; saved: null };
  transpose: { attrs: null; saved: null };
  softmax: { attrs: { axis: number }; saved: TypedArray };
  logSoftmax: { attrs: { axis: number }; saved: TypedArray };
  crossEntropy: {
    attrs: { targets: Int32Array; reduction: 'mean' | 'sum' | 'none' };
    saved: TypedArray;
  };
}

/** Every primitive op's name. */
export type OpName = keyof OpSpec;
