import { describe, expect, it } from 'vitest';
import { softmaxCrossEntropy, tensor, type Tensor } from '../src/index.js';
import { checkOp, expectAllClose, refSoftmax, seeded, type Ref } from './helpers.js';

const AXIS_CASES: Array<{ shape: number[]; axis: number }> = [
  { shape: [2, 3], axis: -1 },
  { shape: [2, 3], axis: 0 },
  { shape: [2, 3, 4], axis: 1 },
  { shape: [1, 5], axis: 1 },
  { shape: [4, 1], axis: 1 },
  { shape: [6], axis: 0 },
];

describe('softmax and logSoftmax', () => {
  it.each(AXIS_CASES)('softmax along axis $axis of $shape matches exp(x)/Σexp(x) and passes gradcheck', ({ shape, axis }) => {
    checkOp({ op: (x) => x!.softmax(axis), reference: (x) => refSoftmax(x!, axis, false), shapes: [[shape]], values: (n, gen) => Array.from({ length: n }, () => 4 * gen.normal()) });
  });

  it.each(AXIS_CASES)('logSoftmax along axis $axis of $shape matches x − log Σexp(x) and passes gradcheck', ({ shape, axis }) => {
    checkOp({ op: (x) => x!.logSoftmax(axis), reference: (x) => refSoftmax(x!, axis, true), shapes: [[shape]], values: (n, gen) => Array.from({ length: n }, () => 4 * gen.normal()) });
  });

  it('defaults to the last axis', () => {
    const x = seeded([3, 4]);
    expectAllClose(x.softmax(), x.softmax(1), { rtol: 0 });
    expectAllClose(x.logSoftmax(), x.logSoftmax(1), { rtol: 0 });
  });

  it('stays finite for logits of 1000 (log-sum-exp shift)', () => {
    const x = tensor([[1000, 1001, 1002]], { dtype: 'float64' });
    const shifted = refSoftmax({ data: Float64Array.of(0, 1, 2), shape: [1, 3] }, 1, false);
    expectAllClose(x.softmax(), shifted, { rtol: 1e-12 });
    const logShifted = refSoftmax({ data: Float64Array.of(0, 1, 2), shape: [1, 3] }, 1, true);
    expectAllClose(x.logSoftmax(), logShifted, { rtol: 1e-12 });
  });

  it('gives a NaN row for a row holding NaN and leaves other rows alone', () => {
    const y = tensor([[NaN, 1], [0, 0]]).softmax();
    expect(Array.from(y.data)).toEqual([NaN, NaN, 0.5, 0.5]);
  });

  it('gives probability 0 (and log −Inf) to a −Inf logit', () => {
    const x = tensor([[-Infinity, 0]], { dtype: 'float64' });
    expectAllClose(x.softmax(), [[0, 1]]);
    expect(Array.from(x.logSoftmax().data)).toEqual([-Infinity, 0]);
  });
});

/** The composite the fused loss equals: −(logSoftmax(z)[n, t_n]), reduced; the gather is a one-hot mask. */
function composite(logits: Tensor, targets: Int32Array, reduction: 'mean' | 'sum' | 'none'): Tensor {
  const [rows, classes] = logits.shape as [number, number];
  const mask = new Float64Array(rows * classes);
  targets.forEach((t, n) => (mask[n * classes + t] = 1));
  const picked = logits.logSoftmax(1).mul(tensor(mask, { shape: [rows, classes], dtype: logits.dtype })).sum(1).neg();
  if (reduction === 'none') return picked;
  return reduction === 'mean' ? picked.mean() : picked.sum();
}

/** Per-row loss by the definition: log Σ_c exp(z_c) − z_t, straight from the loop. */
function referenceLoss(z: Ref, targets: Int32Array, reduction: 'mean' | 'sum' | 'none'): Ref {
  const [rows, classes] = z.shape as [number, number];
  const losses = new Float64Array(rows);
  for (let n = 0; n < rows; n++) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, z.data[n * classes + c]!);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(z.data[n * classes + c]! - max);
    losses[n] = max + Math.log(sum) - z.data[n * classes + targets[n]!]!;
  }
  if (reduction === 'none') return { data: losses, shape: [rows] };
  const total = losses.reduce((a, b) => a + b, 0);
  return { data: Float64Array.of(reduction === 'mean' ? total / rows : total), shape: [] };
}

describe('softmaxCrossEntropy (fused)', () => {
  const cases: Array<{ shape: [number, number]; targets: number[] }> = [
    { shape: [4, 3], targets: [0, 2, 1, 2] },
    { shape: [1, 5], targets: [4] },
    { shape: [3, 1], targets: [0, 0, 0] },
  ];

  for (const reduction of ['mean', 'sum', 'none'] as const) {
    it.each(cases)(`reduction '${reduction}' on $shape matches log Σexp(z) − z_t by loops and passes gradcheck`, ({ shape, targets }) => {
      const t = Int32Array.from(targets);
      checkOp({ op: (z) => softmaxCrossEntropy(z!, t, reduction), reference: (z) => referenceLoss(z!, t, reduction), shapes: [[shape]] });
    });
  }

  it.each(['mean', 'sum', 'none'] as const)("equals −(logSoftmax gathered at the targets) with reduction '%s', in value and gradient", (reduction) => {
    const targets = Int32Array.from([2, 0, 3, 3, 1]);
    const z1 = seeded([5, 4], undefined, { requiresGrad: true });
    const z2 = seeded([5, 4], undefined, { requiresGrad: true });
    const fused = softmaxCrossEntropy(z1, targets, reduction);
    const reference = composite(z2, targets, reduction);
    expectAllClose(fused, reference, { rtol: 1e-12 });
    const upstream = reduction === 'none' ? seeded([5], undefined, { seed: 9 }) : tensor(1.5, { dtype: 'float64' });
    fused.backward({ grad: upstream });
    reference.backward({ grad: upstream });
    expectAllClose(z1.grad!, z2.grad!, { rtol: 1e-10, atol: 1e-14 });
  });

  it('defaults to the mean and gives a 0-d loss', () => {
    const loss = softmaxCrossEntropy(tensor([[1, 2], [3, 1]]), Int32Array.from([1, 0]));
    expect(loss.shape).toEqual([]);
    expectAllClose(loss, referenceLoss({ data: Float64Array.of(1, 2, 3, 1), shape: [2, 2] }, Int32Array.from([1, 0]), 'mean'), { rtol: 1e-6 });
  });

  it('stays finite and exact for logits of ±1000', () => {
    const z = tensor([[1000, -1000, 0]], { dtype: 'float64' });
    expectAllClose(softmaxCrossEntropy(z, Int32Array.from([0])), 0, { atol: 1e-12 });
    expectAllClose(softmaxCrossEntropy(z, Int32Array.from([1])), 2000, { rtol: 1e-12 });
  });
});
