import { ShapeError, formatShape } from '../../errors.js';
import { allocate, dtypeOf } from '../../tensor/dtype.js';
import * as kernels from '../../tensor/kernels/softmax.js';
import { normalizeAxis, splitAtAxis } from '../../tensor/shape.js';
import type { OpDef } from './op.js';

// y = softmax(x):  dx = y ⊙ (dy − Σ dy⊙y)
export const softmax: OpDef<'softmax'> = {
  shape: ([x], { axis }) => {
    normalizeAxis('softmax', axis, x!.shape);
    return x!.shape;
  },
  forward([x], { axis }, _shape, dtype) {
    const { outer, length, inner } = splitAtAxis(x!.shape, normalizeAxis('softmax', axis, x!.shape));
    const out = allocate(dtype, x!.data.length);
    kernels.softmax(x!.data, outer, length, inner, out);
    return { out, saved: out };
  },
  vjp(gradOut, y, { attrs }) {
    const { outer, length, inner } = splitAtAxis(gradOut.shape, normalizeAxis('softmax', attrs.axis, gradOut.shape));
    const dx = allocate(dtypeOf(gradOut.data), y.length);
    kernels.softmaxBackward(y, gradOut.data, outer, length, inner, dx);
    return [{ data: dx, shape: gradOut.shape }];
  },
};

// y = x − logsumexp(x):  dx = dy − softmax(x)·Σ dy
export const logSoftmax: OpDef<'logSoftmax'> = {
  shape: ([x], { axis }) => {
    normalizeAxis('logSoftmax', axis, x!.shape);
    return x!.shape;
  },
  forward([x], { axis }, _shape, dtype) {
    const { outer, length, inner } = splitAtAxis(x!.shape, normalizeAxis('logSoftmax', axis, x!.shape));
    const out = allocate(dtype, x!.data.length);
    kernels.logSoftmax(x!.data, outer, length, inner, out);
    return { out, saved: out };
  },
  vjp(gradOut, y, { attrs }) {
    const { outer, length, inner } = splitAtAxis(gradOut.shape, normalizeAxis('logSoftmax', attrs.axis, gradOut.shape));
    const dx = allocate(dtypeOf(gradOut.data), y.length);
    kernels.logSoftmaxBackward(y, gradOut.data, outer, length, inner, dx);
    return [{ data: dx, shape: gradOut.shape }];
  },
};

/**
 * Fused softmax cross-entropy over class indices, equal to
 * `logSoftmax(logits, 1)` gathered at the targets, negated, then reduced — in one stable pass.
 * loss_n = logsumexp(z_n) − z_n[t_n];  dz_n = dloss_n · (softmax(z_n) − onehot(t_n))
 */
export const crossEntropy: OpDef<'crossEntropy'> = {
  shape([logits], { targets, reduction }) {
    const shape = logits!.shape;
    if (shape.length !== 2) {
      throw new ShapeError('crossEntropy', `logits must be 2-D [N, C], got ${formatShape(shape)}`, [shape]);
    }
    const [rows, classes] = shape as [number, number];
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
    const [rows, classes] = logits!.shape as [number, number];
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
    const [rows, classes] = inputs[0]!.shape as [number, number];
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
