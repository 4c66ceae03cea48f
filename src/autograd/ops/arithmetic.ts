import { allocate, dtypeOf, type DType, type TypedArray } from '../../tensor/dtype.js';
import { binary, type BinaryKernel } from '../../tensor/kernels/binary.js';
import * as unary from '../../tensor/kernels/unary.js';
import { broadcastShapes, sizeOf, type Shape } from '../../tensor/shape.js';
import type { Gradient } from '../graph.js';
import { elementwiseGradient, mapElements } from './map.js';
import type { OpDef } from './op.js';

/*
 * Broadcasting arithmetic. Each VJP returns output-shaped gradients; the engine sums them back
 * to each input's shape (unbroadcast), so none of these rules repeats that logic.
 * sub and div are primitives rather than add(a, neg(b)) and mul(a, pow(b, −1)) because
 * a·(1/b) differs from a/b in the last bit, and results must match PyTorch's.
 */

/** out = a ∘ b with NumPy broadcasting, in a fresh buffer of `outShape`. */
function broadcast(
  kernel: BinaryKernel,
  a: TypedArray,
  aShape: Shape,
  b: TypedArray,
  bShape: Shape,
  outShape: Shape,
  dtype: DType,
): TypedArray {
  const out = allocate(dtype, sizeOf(outShape));
  binary(kernel, a, aShape, b, bShape, out, outShape);
  return out;
}

// d(a + b) = da + db
export const add: OpDef<'add'> = {
  saves: [],
  shape: ([a, b]) => broadcastShapes('add', a!.shape, b!.shape),
  forward: ([a, b], _attrs, outShape, dtype) => ({
    out: broadcast('add', a!.data, a!.shape, b!.data, b!.shape, outShape, dtype),
    saved: null,
  }),
  vjp: (gradOut) => [gradOut, gradOut],
};

// d(a − b) = da − db
export const sub: OpDef<'sub'> = {
  saves: [],
  shape: ([a, b]) => broadcastShapes('sub', a!.shape, b!.shape),
  forward: ([a, b], _attrs, outShape, dtype) => ({
    out: broadcast('sub', a!.data, a!.shape, b!.data, b!.shape, outShape, dtype),
    saved: null,
  }),
  vjp(gradOut, _saved, _node, needsGrad) {
    if (!needsGrad[1]) return [gradOut, null];
    return [gradOut, { data: mapElements(gradOut.data, dtypeOf(gradOut.data), unary.neg), shape: gradOut.shape }];
  },
};

// d(a·b) = b·da + a·db
export const mul: OpDef<'mul'> = {
  saves: [0, 1],
  shape: ([a, b]) => broadcastShapes('mul', a!.shape, b!.shape),
  forward: ([a, b], _attrs, outShape, dtype) => ({
    out: broadcast('mul', a!.data, a!.shape, b!.data, b!.shape, outShape, dtype),
    saved: [a!.data, b!.data],
  }),
  vjp(gradOut, [a, b], node, needsGrad) {
    const [aTensor, bTensor] = node.inputs;
    const shape = gradOut.shape;
    const dtype = dtypeOf(gradOut.data);
    const grads: Array<Gradient | null> = [null, null];
    if (needsGrad[0]) grads[0] = { data: broadcast('mul', gradOut.data, shape, b, bTensor!.shape, shape, dtype), shape };
    if (needsGrad[1]) grads[1] = { data: broadcast('mul', gradOut.data, shape, a, aTensor!.shape, shape, dtype), shape };
    return grads;
  },
};

// d(a / b) = da / b − (a / b²)·db
export const div: OpDef<'div'> = {
  saves: [0, 1],
  shape: ([a, b]) => broadcastShapes('div', a!.shape, b!.shape),
  forward: ([a, b], _attrs, outShape, dtype) => ({
    out: broadcast('div', a!.data, a!.shape, b!.data, b!.shape, outShape, dtype),
    saved: [a!.data, b!.data],
  }),
  vjp(gradOut, [a, b], node, needsGrad) {
    const [aTensor, bTensor] = node.inputs;
    const shape = gradOut.shape;
    const dtype = dtypeOf(gradOut.data);
    const grads: Array<Gradient | null> = [null, null];
    const gradOverB = broadcast('div', gradOut.data, shape, b, bTensor!.shape, shape, dtype);
    if (needsGrad[0]) grads[0] = { data: gradOverB, shape };
    if (needsGrad[1]) {
      // why: db = −g·a/b², computed as −(g/b)·(a/b) to stay in range when b is small
      const quotient = broadcast('div', a, aTensor!.shape, b, bTensor!.shape, shape, dtype);
      const db = broadcast('mul', gradOverB, shape, quotient, shape, shape, dtype);
      unary.neg(db, db);
      grads[1] = { data: db, shape };
    }
    return grads;
  },
};

// d(−x) = −dx
export const neg: OpDef<'neg'> = {
  saves: [],
  shape: ([x]) => x!.shape,
  forward: ([x], _attrs, _outShape, dtype) => ({ out: mapElements(x!.data, dtype, unary.neg), saved: null }),
  vjp: (gradOut) => [{ data: mapElements(gradOut.data, dtypeOf(gradOut.data), unary.neg), shape: gradOut.shape }],
};

// d(xᵖ) = p·xᵖ⁻¹·dx
export const pow: OpDef<'pow'> = {
  saves: [0],
  shape: ([x]) => x!.shape,
  forward: ([x], { exponent }, _outShape, dtype) => ({
    out: mapElements(x!.data, dtype, (x, out) => unary.pow(x, exponent, out)),
    saved: x!.data,
  }),
  vjp: (gradOut, x, { attrs }) => elementwiseGradient(gradOut, x, (x, g, out) => unary.powBackward(x, attrs.exponent, g, out)),
};
