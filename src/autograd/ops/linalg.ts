import { ShapeError, formatShape } from '../../errors.js';
import { allocate, dtypeOf } from '../../tensor/dtype.js';
import { matmul as matmulKernel } from '../../tensor/kernels/matmul.js';
import { sumAxis } from '../../tensor/kernels/reduce.js';
import { transpose2d } from '../../tensor/kernels/layout.js';
import { matrixShape, type Shape } from '../../tensor/shape.js';
import { gradientWithStats, type Gradient } from '../graph.js';
import type { OpDef } from './op.js';

/*
 * Matrix products. Backward multiplies by transposes through the kernel's transpose flags,
 * so no transposed copy is ever built.
 */

/** Throws unless `shape` is 2-D; the message also lists the other arguments' shapes (`all`). */
function check2d(op: string, name: string, shape: Shape, all: readonly Shape[] = [shape]): void {
  if (shape.length !== 2) {
    const context = all.length > 1 ? ` (arguments ${all.map(formatShape).join(', ')})` : '';
    throw new ShapeError(op, `${name} must be 2-D, got shape ${formatShape(shape)}${context}`, all);
  }
}

// C = A·B:  dA = dC·Bᵀ,  dB = Aᵀ·dC
export const matmul: OpDef<'matmul'> = {
  saves: [0, 1],
  shape([a, b]) {
    check2d('matmul', 'the first argument', a!.shape, [a!.shape, b!.shape]);
    check2d('matmul', 'the second argument', b!.shape, [a!.shape, b!.shape]);
    const [m, k] = matrixShape(a!.shape);
    const [k2, n] = matrixShape(b!.shape);
    if (k !== k2) {
      throw new ShapeError(
        'matmul',
        `inner dimensions must match: ${formatShape(a!.shape)} × ${formatShape(b!.shape)} (${k} vs ${k2})`,
        [a!.shape, b!.shape],
      );
    }
    return [m, n];
  },
  forward([a, b], _attrs, outShape, dtype) {
    const [m, n] = matrixShape(outShape);
    const k = a!.shape[1]!;
    const out = allocate(dtype, m * n);
    matmulKernel(a!.data, b!.data, out, m, k, n);
    return { out, saved: [a!.data, b!.data] };
  },
  vjp(gradOut, [a, b], node, needsGrad) {
    const [m, n] = matrixShape(node.outputShape);
    const k = node.inputs[0]!.shape[1]!;
    const dtype = dtypeOf(gradOut.data);
    const grads: Array<Gradient | null> = [null, null];
    if (needsGrad[0]) {
      const da = allocate(dtype, m * k);
      matmulKernel(gradOut.data, b, da, m, n, k, false, true);
      grads[0] = { data: da, shape: [m, k] };
    }
    if (needsGrad[1]) {
      const db = allocate(dtype, k * n);
      matmulKernel(a, gradOut.data, db, k, m, n, true, false);
      grads[1] = { data: db, shape: [k, n] };
    }
    return grads;
  },
};

/**
 * Fused Linear layer, equal to `x.matmul(weight.transpose()).add(bias)` but in one op:
 * y = x·Wᵀ + b with x [N, in], W [out, in] (PyTorch's layout), b [out].
 * dx = dy·W,  dW = dyᵀ·x,  db = Σ_rows dy
 */
export const linear: OpDef<'linear'> = {
  saves: [0, 1],
  shape([x, weight, bias], { hasBias }) {
    const all = hasBias ? [x!.shape, weight!.shape, bias!.shape] : [x!.shape, weight!.shape];
    check2d('linear', 'the input', x!.shape, all);
    check2d('linear', 'the weight', weight!.shape, all);
    const [rows, inFeatures] = matrixShape(x!.shape);
    const [outFeatures, weightIn] = matrixShape(weight!.shape);
    if (inFeatures !== weightIn) {
      throw new ShapeError(
        'linear',
        `input has ${inFeatures} features but the weight ${formatShape(weight!.shape)} expects ${weightIn} ` +
          `(input ${formatShape(x!.shape)})`,
        [x!.shape, weight!.shape],
      );
    }
    if (hasBias && (bias!.shape.length !== 1 || bias!.shape[0] !== outFeatures)) {
      throw new ShapeError(
        'linear',
        `bias must have shape [${outFeatures}], got ${formatShape(bias!.shape)} ` +
          `(input ${formatShape(x!.shape)}, weight ${formatShape(weight!.shape)})`,
        [x!.shape, weight!.shape, bias!.shape],
      );
    }
    return [rows, outFeatures];
  },
  forward([x, weight, bias], { hasBias }, outShape, dtype) {
    const [rows, outFeatures] = matrixShape(outShape);
    const inFeatures = x!.shape[1]!;
    const out = allocate(dtype, rows * outFeatures);
    if (hasBias) {
      for (let r = 0; r < rows; r++) out.set(bias!.data, r * outFeatures);
    }
    matmulKernel(x!.data, weight!.data, out, rows, inFeatures, outFeatures, false, true, hasBias);
    return { out, saved: [x!.data, weight!.data] };
  },
  vjp(gradOut, [x, weight], node, needsGrad, measure) {
    const [rows, outFeatures] = matrixShape(node.outputShape);
    const inFeatures = node.inputs[0]!.shape[1]!;
    const dtype = dtypeOf(gradOut.data);
    const grads: Array<Gradient | null> = node.attrs.hasBias ? [null, null, null] : [null, null];
    if (needsGrad[0]) {
      const dx = allocate(dtype, rows * inFeatures);
      const stats = matmulKernel(gradOut.data, weight, dx, rows, outFeatures, inFeatures, false, false, false, measure);
      grads[0] = gradientWithStats(dx, [rows, inFeatures], stats);
    }
    if (needsGrad[1]) {
      const dw = allocate(dtype, outFeatures * inFeatures);
      const stats = matmulKernel(gradOut.data, x, dw, outFeatures, rows, inFeatures, true, false, false, measure);
      grads[1] = gradientWithStats(dw, [outFeatures, inFeatures], stats);
    }
    if (node.attrs.hasBias && needsGrad[2]) {
      const db = allocate(dtype, outFeatures);
      sumAxis(gradOut.data, 1, rows, outFeatures, db);
      grads[2] = { data: db, shape: [outFeatures] };
    }
    return grads;
  },
};

// Y = Xᵀ:  dX = dYᵀ
export const transpose: OpDef<'transpose'> = {
  saves: [],
  shape([x]) {
    check2d('transpose', 'the input', x!.shape);
    return [x!.shape[1]!, x!.shape[0]!];
  },
  forward([x], _attrs, outShape, dtype) {
    const [rows, cols] = matrixShape(x!.shape);
    const out = allocate(dtype, rows * cols);
    transpose2d(x!.data, rows, cols, out);
    return { out, saved: null };
  },
  vjp(gradOut) {
    const [rows, cols] = matrixShape(gradOut.shape);
    const dx = allocate(dtypeOf(gradOut.data), rows * cols);
    transpose2d(gradOut.data, rows, cols, dx);
    return [{ data: dx, shape: [cols, rows] }];
  },
};
