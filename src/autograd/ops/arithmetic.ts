import { allocate, dtypeOf } from '../../tensor/dtype.js';
import { binary } from '../../tensor/kernels/binary.js';
import * as unary from '../../tensor/kernels/unary.js';
import { broadcastShapes, sizeOf } from '../../tensor/shape.js';
import type { Gradient } from '../graph.js';
import type { OpDef } from './op.js';

/*
 * Broadcasting arithmetic. Each VJP returns output-shaped gradients; the engine sums them back
 * to each input's shape (unbroadcast), so none of these rules repeats that logic.
 * sub and div are primitives rather than add(a, neg(b)) and mul(a, pow(b, −1)) because
 * a·(1/b) differs from a/b in the last bit, and results must match PyTorch's.
 */

// d(a + b) = da + db
export const add: OpDef<'add'> = {
  shape: ([a, b]) => broadcastShapes('add', a!.shape, b!.shape),
  forward([a, b], _attrs, outShape, dtype) {
    const out = allocate(dtype, sizeOf(outShape));
    binary('add', a!.data, a!.shape, b!.data, b!.shape, out, outShape);
    return { out, saved: null };
  },
  vjp: (gradOut) => [gradOut, gradOut],
};

// d(a − b) = da − db
export const sub: OpDef<'sub'> = {
  shape: ([a, b]) => broadcastShapes('sub', a!.shape, b!.shape),
  forward([a, b], _attrs, outShape, dtype) {
    const out = allocate(dtype, sizeOf(outShape));
    binary('sub', a!.data, a!.shape, b!.data, b!.shape, out, outShape);
    return { out, saved: null };
  },
  vjp(gradOut, _saved, _node, needsGrad) {
    if (!needsGrad[1]) return [gradOut, null];
    const negated = allocate(dtypeOf(gradOut.data), gradOut.data.length);
    unary.neg(gradOut.data, negated);
    return [gradOut, { data: negated, shape: gradOut.shape }];
  },
};

// d(a·b) = b·da + a·db
export const mul: OpDef<'mul'> = {
  shape: ([a, b]) => broadcastShapes('mul', a!.shape, b!.shape),
  forward([a, b], _attrs, outShape, dtype) {
    const out = allocate(dtype, sizeOf(outShape));
    binary('mul', a!.data, a!.shape, b!.data, b!.shape, out, outShape);
    return { out, saved: [a!.data, b!.data] };
  },
  vjp(gradOut, [a, b], node, needsGrad) {
    const [aTensor, bTensor] = node.inputs;
    const shape = gradOut.shape;
    const dtype = dtypeOf(gradOut.data);
    const grads: Array<Gradient | null> = [null, null];
    if (needsGrad[0]) {
      const da = allocate(dtype, gradOut.data.length);
      binary('mul', gradOut.data, shape, b, bTensor!.shape, da, shape);
      grads[0] = { data: da, shape };
    }
    if (needsGrad[1]) {
      const db = allocate(dtype, gradOut.data.length);
      binary('mul', gradOut.data, shape, a, aTensor!.shape, db, shape);
      grads[1] = { data: db, shape };
    }
    return grads;
  },
};

// d(a / b) = da / b − (a / b²)·db
export const div: OpDef<'div'> = {
  shape: ([a, b]) => broadcastShapes('div', a!.shape, b!.shape),
  forward([a, b], _attrs, outShape, dtype) {
    const out = allocate(dtype, sizeOf(outShape));
    binary('div', a!.data, a!.shape, b!.data, b!.shape, out, outShape);
    return { out, saved: [a!.data, b!.data] };
  },
  vjp(gradOut, [a, b], node, needsGrad) {
    const [aTensor, bTensor] = node.inputs;
    const shape = gradOut.shape;
    const dtype = dtypeOf(gradOut.data);
    const n = gradOut.data.length;
    const grads: Array<Gradient | null> = [null, null];
    const gradOverB = allocate(dtype, n);
    binary('div', gradOut.data, shape, b, bTensor!.shape, gradOverB, shape);
    if (needsGrad[0]) grads[0] = { data: gradOverB, shape };
    if (needsGrad[1]) {
      // db = −g·a/b², computed as −(g/b)·(a/b) to stay in range when b is small
      const quotient = allocate(dtype, n);
      binary('div', a, aTensor!.shape, b, bTensor!.shape, quotient, shape);
      const db = allocate(dtype, n);
      binary('mul', gradOverB, shape, quotient, shape, db, shape);
      unary.neg(db, db);
      grads[1] = { data: db, shape };
    }
    return grads;
  },
};

// d(−x) = −dx
export const neg: OpDef<'neg'> = {
  shape: ([x]) => x!.shape,
  forward([x], _attrs, _outShape, dtype) {
    const out = allocate(dtype, x!.data.length);
    unary.neg(x!.data, out);
    return { out, saved: null };
  },
  vjp(gradOut) {
    const dx = allocate(dtypeOf(gradOut.data), gradOut.data.length);
    unary.neg(gradOut.data, dx);
    return [{ data: dx, shape: gradOut.shape }];
  },
};

// d(xᵖ) = p·xᵖ⁻¹·dx
export const pow: OpDef<'pow'> = {
  shape: ([x]) => x!.shape,
  forward([x], { exponent }, _outShape, dtype) {
    const out = allocate(dtype, x!.data.length);
    unary.pow(x!.data, exponent, out);
    return { out, saved: x!.data };
  },
  vjp(gradOut, x, { attrs }) {
    const dx = allocate(dtypeOf(gradOut.data), gradOut.data.length);
    unary.powBackward(x, attrs.exponent, gradOut.data, dx);
    return [{ data: dx, shape: gradOut.shape }];
  },
};
