import { ShapeError, formatShape } from '../../errors.js';
import { allocate, dtypeOf } from '../../tensor/dtype.js';
import { expandAxis, sumAll, sumAxis } from '../../tensor/kernels/reduce.js';
import { firstMaxIndex, maxAll, maxAxis } from '../../tensor/kernels/maximum.js';
import { normalizeAxis, reducedShape, sizeOf, splitAtAxis, type Shape } from '../../tensor/shape.js';
import type { OpDef } from './op.js';

/*
 * Reductions. `axis: null` reduces everything to a 0-d tensor (shape []), as `x.sum()` in PyTorch.
 * mean is not a primitive: it is sum(x) / n (see Tensor.mean).
 */

function reducedOutputShape(op: string, shape: Shape, axis: number | null, keepDim: boolean): Shape {
  if (axis === null) return keepDim ? shape.map(() => 1) : [];
  return reducedShape(shape, normalizeAxis(op, axis, shape), keepDim);
}

// d Σx = broadcast(dy) along the reduced axis
export const sum: OpDef<'sum'> = {
  saves: [],
  shape: ([x], { axis, keepDim }) => reducedOutputShape('sum', x!.shape, axis, keepDim),
  forward([x], { axis }, outShape, dtype) {
    const out = allocate(dtype, outShape.reduce((a, b) => a * b, 1));
    if (axis === null) out[0] = sumAll(x!.data);
    else {
      const { outer, length, inner } = splitAtAxis(x!.shape, normalizeAxis('sum', axis, x!.shape));
      sumAxis(x!.data, outer, length, inner, out);
    }
    return { out, saved: null };
  },
  vjp(gradOut, _saved, { inputs, attrs }) {
    const inputShape = inputs[0]!.shape;
    const dx = allocate(dtypeOf(gradOut.data), inputs[0]!.size);
    if (attrs.axis === null) dx.fill(gradOut.data[0]!);
    else {
      const { outer, length, inner } = splitAtAxis(inputShape, normalizeAxis('sum', attrs.axis, inputShape));
      expandAxis(gradOut.data, outer, length, inner, dx);
    }
    return [{ data: dx, shape: inputShape }];
  },
};

/**
 * d max = dy at the maximal element. Along an axis the gradient goes to the first maximum
 * (torch.max(dim)); a full max() splits it evenly among ties (torch.max()).
 */
export const max: OpDef<'max'> = {
  saves: [0],
  shape([x], { axis, keepDim }) {
    const shape = x!.shape;
    const length = axis === null ? sizeOf(shape) : shape[normalizeAxis('max', axis, shape)] ?? 1;
    if (length === 0) {
      const what = axis === null ? 'a tensor with at least one element' : `axis ${axis} to have at least one element`;
      throw new ShapeError('max', `needs ${what} (the maximum of nothing is undefined), got shape ${formatShape(shape)}`, [shape]);
    }
    return reducedOutputShape('max', shape, axis, keepDim);
  },
  forward([x], { axis }, outShape, dtype) {
    const size = outShape.reduce((a, b) => a * b, 1);
    const out = allocate(dtype, size);
    if (axis === null) {
      out[0] = maxAll(x!.data);
      return { out, saved: { input: x!.data, values: out.slice() } };
    }
    const { outer, length, inner } = splitAtAxis(x!.shape, normalizeAxis('max', axis, x!.shape));
    maxAxis(x!.data, outer, length, inner, out);
    return { out, saved: { input: x!.data, values: out.slice() } }; // a copy: the output may be changed in place
  },
  vjp(gradOut, { input, values }, { inputs, attrs }) {
    const inputShape = inputs[0]!.shape;
    const dx = allocate(dtypeOf(gradOut.data), input.length);
    if (attrs.axis === null) {
      const value = values[0]!;
      const isNaN = value !== value;
      let ties = 0;
      for (let i = 0; i < input.length; i++) if (input[i] === value || (isNaN && input[i] !== input[i])) ties++;
      const share = gradOut.data[0]! / ties;
      for (let i = 0; i < input.length; i++) if (input[i] === value || (isNaN && input[i] !== input[i])) dx[i] = share;
      return [{ data: dx, shape: inputShape }];
    }
    const { outer, length, inner } = splitAtAxis(inputShape, normalizeAxis('max', attrs.axis, inputShape));
    const argmax = new Int32Array(outer * inner);
    firstMaxIndex(input, outer, length, inner, values, argmax);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const k = argmax[o * inner + i]!;
        dx[(o * length + k) * inner + i] = gradOut.data[o * inner + i]!;
      }
    }
    return [{ data: dx, shape: inputShape }];
  },
};
