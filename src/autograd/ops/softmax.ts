import { ShapeError, formatShape } from '../../errors.js';
import { allocate, dtypeOf, type TypedArray } from '../../tensor/dtype.js';
import * as kernels from '../../tensor/kernels/softmax.js';
import { matrixShape, normalizeAxis, splitAtAxis, type Shape } from '../../tensor/shape.js';
import type { OpDef } from './op.js';

type AxisKernel = (x: TypedArray, outer: number, length: number, inner: number, out: TypedArray) => void;
type AxisBackwardKernel = (y: TypedArray, gradOut: TypedArray, outer: number, length: number, inner: number, out: TypedArray) => void;

/**
 * A normalization along one axis (softmax, log-softmax): the axis is checked at the front door,
 * the kernels see the tensor as `outer × length × inner` with the axis in the middle, and the
 * output y is saved because both derivatives are cheapest in terms of y.
 */
function alongAxis<P extends 'softmax' | 'logSoftmax'>(op: P, forward: AxisKernel, backward: AxisBackwardKernel): OpDef<P> {
  const layout = (shape: Shape, axis: number) => splitAtAxis(shape, normalizeAxis(op, axis, shape));
  return {
    saves: ['output'],
    shape: ([x], { axis }) => {
      layout(x!.shape, axis);
      return x!.shape;
    },
    forward([x], { axis }, _shape, dtype) {
      const { outer, length, inner } = layout(x!.shape, axis);
      const out = allocate(dtype, x!.data.length);
      forward(x!.data, outer, length, inner, out);
      return { out, saved: out };
    },
    vjp(gradOut, y, { attrs }) {
      const { outer, length, inner } = layout(gradOut.shape, attrs.axis);
      const dx = allocate(dtypeOf(gradOut.data), y.length);
      backward(y, gradOut.data, outer, length, inner, dx);
      return [{ data: dx, shape: gradOut.shape }];
    },
  };
}

// y = softmax(x):  dx = y ⊙ (dy − Σ dy⊙y)
export const softmax: OpDef<'softmax'> = alongAxis('softmax', kernels.softmax, kernels.softmaxBackward);

// y = x − logsumexp(x):  dx = dy − softmax(x)·Σ dy
export const logSoftmax: OpDef<'logSoftmax'> = alongAxis('logSoftmax', kernels.logSoftmax, kernels.logSoftmaxBackward);

/**
 * Fused softmax cross-entropy over class indices, equal to
 * `logSoftmax(logits, 1)` gathered at the targets, negated, then reduced — in one stable pass.
 * loss_n = logsumexp(z_n) − z_n[t_n];  dz_n = dloss_n · (softmax(z_n) − onehot(t_n))
 */
export const crossEntropy: OpDef<'crossEntropy'> = {
  saves: [],
  shape([logits], { targets, reduction }) {
    const shape = logits!.shape;
    if (shape.length !== 2) {
      throw new ShapeError('crossEntropy', `logits must be 2-D [N, C], got ${formatShape(shape)}`, [shape]);
    }
    const [rows, classes] = matrixShape(shape);
    if (targets.length !== rows) {
      throw new ShapeError(
        'crossEntropy',
        `targets must hold one class index per row: logits ${formatShape(shape)} but ${targets.length} targets`,
        [shape, [targets.length]],
      );
    }
    for (let n = 0; n < rows; n++) {
      const t = targets[n]!;
      if (t < 0 || t >= classes) {
        throw new ShapeError(
          'crossEntropy',
          `target ${n} is class ${t}, expected an index in [0, ${classes - 1}] for logits ${formatShape(shape)}`,
          [shape],
        );
      }
    }
    return reduction === 'none' ? [rows] : [];
  },
  forward([logits], { targets, reduction }, _shape, dtype) {
    const [rows, classes] = matrixShape(logits!.shape);
    const losses = allocate('float64', rows);
    const probabilities = allocate(dtype, rows * classes);
    kernels.crossEntropyForward(logits!.data, targets, rows, classes, losses, probabilities);
    if (reduction === 'none') {
      const out = allocate(dtype, rows);
      out.set(losses);
      return { out, saved: probabilities };
    }
    let total = 0;
    for (let n = 0; n < rows; n++) total += losses[n]!;
    const out = allocate(dtype, 1);
    out[0] = reduction === 'mean' ? total / rows : total;
    return { out, saved: probabilities };
  },
  vjp(gradOut, probabilities, { inputs, attrs }) {
    const [rows, classes] = matrixShape(inputs[0]!.shape);
    const dtype = dtypeOf(gradOut.data);
    // Per-row upstream gradient: the reduction's VJP (1/N for mean, 1 for sum).
    const perRow = allocate(dtype, rows);
    if (attrs.reduction === 'none') perRow.set(gradOut.data);
    else perRow.fill(attrs.reduction === 'mean' ? gradOut.data[0]! / rows : gradOut.data[0]!);
    const dz = allocate(dtype, rows * classes);
    kernels.crossEntropyBackward(probabilities, attrs.targets, perRow, rows, classes, dz);
    return [{ data: dz, shape: inputs[0]!.shape }];
  },
};
