import { describe, expect, it } from 'vitest';
import { GradientView, Tensor, guards, runInScope, tensor, withScope, type BackwardReport, type Guard } from '../src/index.js';
import { expectAllClose } from './helpers.js';

/*
 * The in-backward clipping guards, each checked against its published rule written out here.
 * A parameter w with loss Σ w ⊙ c has gradient exactly c, so the gradients are chosen directly.
 */

function parameter(values: number[], shape: number[] = [values.length], name?: string): Tensor {
  const p = tensor(Float64Array.from(values), { shape, requiresGrad: true, dtype: 'float64' });
  if (name !== undefined) p.name = name;
  return p;
}

/** One backward pass in which each parameter receives exactly `grads[i]`. */
function passWithGradients(parameters: Tensor[], grads: number[][], guardList: Guard[]): BackwardReport {
  let loss: Tensor | null = null;
  parameters.forEach((p, i) => {
    const c = tensor(Float64Array.from(grads[i]!), { shape: p.shape, dtype: 'float64' });
    const term = p.mul(c).sum();
    loss = loss === null ? term : loss.add(term);
  });
  return loss!.backward({ guards: guardList });
}

const hypot = (values: number[]): number => Math.sqrt(values.reduce((s, v) => s + v * v, 0));

describe('globalNormClip', () => {
  it('scales all gradients by maxNorm/(total + 1e-6) above the threshold and reports it', () => {
    const [a, b] = [parameter([0, 0]), parameter([0, 0, 0])];
    const report = passWithGradients([a, b], [[3, 4], [12, 0, 0]], [guards.globalNormClip({ maxNorm: 1 })]);
    const total = 13;
    const coef = 1 / (total + 1e-6);
    expect(report.totalNorm).toBeCloseTo(total, 12);
    expect(report.clipScale).toBeCloseTo(coef, 15);
    expectAllClose(a.grad!.data, [3 * coef, 4 * coef], { rtol: 1e-12 });
    expectAllClose(b.grad!.data, [12 * coef, 0, 0], { rtol: 1e-12 });
    expect(report.actions).toHaveLength(1);
    expect(report.actions[0]).toMatchObject({ guard: 'globalNormClip', kind: 'scale' });
    expect(report.ok).toBe(true);
  });

  it('does nothing below the threshold: clipScale 1 and no action', () => {
    const a = parameter([0, 0]);
    const report = passWithGradients([a], [[0.3, 0.4]], [guards.globalNormClip({ maxNorm: 1 })]);
    expect(report.clipScale).toBe(1);
    expect(report.actions).toEqual([]);
    expect(Array.from(a.grad!.data)).toEqual([0.3, 0.4]);
  });

  it('clips the accumulated .grad, as clipGradNorm sees it', () => {
    const a = parameter([0, 0]);
    a.grad = tensor([3, 0], { dtype: 'float64' });
    const report = passWithGradients([a], [[0, 4]], [guards.globalNormClip({ maxNorm: 1 })]);
    expect(report.totalNorm).toBeCloseTo(5, 12);
    expectAllClose(a.grad!.data, [3 / (5 + 1e-6), 4 / (5 + 1e-6)], { rtol: 1e-12 });
  });

  it('uses the ∞-norm when asked', () => {
    const a = parameter([0, 0, 0]);
    const report = passWithGradients([a], [[1, -8, 2]], [guards.globalNormClip({ maxNorm: 2, normType: Infinity })]);
    const coef = 2 / (8 + 1e-6);
    expect(report.clipScale).toBeCloseTo(coef, 14);
    expectAllClose(a.grad!.data, [coef, -8 * coef, 2 * coef], { rtol: 1e-12 });
  });

  it('leaves non-finite gradients as they were and marks the report not ok', () => {
    const a = parameter([0, 0], [2], 'fc.weight');
    const b = parameter([0], [1], 'fc.bias');
    const report = passWithGradients([a, b], [[Infinity, 1], [5]], [guards.globalNormClip({ maxNorm: 1 })]);
    expect(Array.from(a.grad!.data)).toEqual([Infinity, 1]);
    expect(Array.from(b.grad!.data)).toEqual([5]);
    expect(report.ok).toBe(false);
    expect(report.clipScale).toBe(1);
    expect(report.actions[0]).toMatchObject({ guard: 'globalNormClip', kind: 'nonFinite' });
    expect(report.actions[0]!.message).toContain('fc.weight');
    expect(report.actions[0]!.message).not.toContain('fc.bias');
  });

  it('composes: a second clip sees the first one\'s result through the shared statistics', () => {
    const a = parameter([0, 0]);
    const report = passWithGradients([a], [[30, 40]], [guards.globalNormClip({ maxNorm: 10 }), guards.globalNormClip({ maxNorm: 1 })]);
    const first = 10 / (50 + 1e-6);
    const second = 1 / (50 * first + 1e-6);
    expect(report.clipScale).toBeCloseTo(first * second, 14);
    expect(hypot(Array.from(a.grad!.data))).toBeCloseTo(50 * first * second, 10);
  });
});

describe('parameterNormClip (Keras clipnorm)', () => {
  it('clips each parameter to its own norm maxNorm, g · maxNorm / max(‖g‖, maxNorm)', () => {
    const [a, b] = [parameter([0, 0], [2], 'a'), parameter([0, 0], [2], 'b')];
    const report = passWithGradients([a, b], [[3, 4], [0.3, 0.4]], [guards.parameterNormClip({ maxNorm: 1 })]);
    expectAllClose(a.grad!.data, [0.6, 0.8], { rtol: 1e-12 });
    expectAllClose(b.grad!.data, [0.3, 0.4], { rtol: 1e-12 });
    expect(report.actions).toHaveLength(1);
    expect(report.actions[0]).toMatchObject({ kind: 'scale', factor: 0.2, target: 'a' });
  });
});

describe('valueClip', () => {
  it('clamps elements beyond clipValue and counts them', () => {
    const a = parameter([0, 0, 0, 0]);
    const report = passWithGradients([a], [[-2, 0.5, 1, 3]], [guards.valueClip({ clipValue: 1 })]);
    expect(Array.from(a.grad!.data)).toEqual([-1, 0.5, 1, 1]);
    expect(report.actions[0]).toMatchObject({ guard: 'valueClip', kind: 'clamp', count: 2 });
  });

  it('records nothing when every value is within the limit', () => {
    const a = parameter([0, 0]);
    const report = passWithGradients([a], [[-1, 1]], [guards.valueClip({ clipValue: 1 })]);
    expect(report.actions).toEqual([]);
  });
});

describe('agc (adaptive gradient clipping)', () => {
  /** optax's rule per unit, written out: keep g when ‖g‖ < maxNorm, else g · maxNorm / max(‖g‖, 1e-6). */
  function referenceUnit(w: number[], g: number[], clipping: number, eps: number): number[] {
    const maxNorm = clipping * Math.max(hypot(w), eps);
    const gNorm = hypot(g);
    return gNorm < maxNorm ? g : g.map((v) => (v * maxNorm) / Math.max(gNorm, 1e-6));
  }

  it('clips each row of a 2-D weight relative to that row\'s weight norm', () => {
    const rows = [[1, 2, 2], [0.1, 0, 0], [0, 0, 0]];
    const gradRows = [[0.01, 0.01, 0], [1, 1, 1], [0.5, 0, 0]];
    const w = parameter(rows.flat(), [3, 3]);
    const report = passWithGradients([w], [gradRows.flat()], [guards.agc({ clipping: 0.1, eps: 1e-3 })]);
    const expected = rows.flatMap((row, i) => referenceUnit(row, gradRows[i]!, 0.1, 1e-3));
    expectAllClose(w.grad!.data, expected, { rtol: 1e-12 });
    expect(report.actions[0]).toMatchObject({ guard: 'agc', count: 2 });
  });

  it('treats a 1-D parameter as one unit, with the default λ = 0.01 and eps = 1e-3', () => {
    const bias = parameter([3, 4]);
    passWithGradients([bias], [[0.3, 0.4]], [guards.agc()]);
    expectAllClose(bias.grad!.data, referenceUnit([3, 4], [0.3, 0.4], 0.01, 1e-3), { rtol: 1e-12 });
    expect(hypot(Array.from(bias.grad!.data))).toBeCloseTo(0.05, 12);
  });

  it('uses eps for zero weights, so a zero-initialised bias can still move a little', () => {
    const bias = parameter([0, 0]);
    passWithGradients([bias], [[3, 4]], [guards.agc({ clipping: 0.01, eps: 1e-3 })]);
    expectAllClose(bias.grad!.data, [3e-5 / 5 * 1, 4e-5 / 5], { rtol: 1e-9 });
  });

  it('leaves the layer nearest the loss unclipped with excludeFinalLayer', () => {
    const hidden = parameter([1, 1], [1, 2], '0.weight');
    const head = parameter([1], [1, 1], '1.weight');
    const x = tensor([[1, 1]], { dtype: 'float64' });
    const run = (guard: Guard): void => {
      hidden.grad = null;
      head.grad = null;
      const h = withScope('0', () => x.matmul(hidden.transpose()));
      const out = withScope('1', () => h.matmul(head.transpose()));
      out.sum().backward({ guards: [guard] });
    };
    run(guards.agc({ clipping: 0.01, excludeFinalLayer: true }));
    // d out / d head = h = 2 (unclipped); d out / d hidden = head · x = [1, 1] (clipped to 0.01·√2).
    expect(Array.from(head.grad!.data)).toEqual([2]);
    expectAllClose(hidden.grad!.data, referenceUnit([1, 1], [1, 1], 0.01, 1e-3), { rtol: 1e-12 });
    run(guards.agc({ clipping: 0.01 }));
    expectAllClose(head.grad!.data, referenceUnit([1], [2], 0.01, 1e-3), { rtol: 1e-12 });
  });

  it('skips explicitly excluded parameters', () => {
    const a = parameter([1, 0]);
    passWithGradients([a], [[5, 5]], [guards.agc({ exclude: [a] })]);
    expect(Array.from(a.grad!.data)).toEqual([5, 5]);
  });
});

describe('autoClip', () => {
  /** NumPy's percentile, method 'linear', written out. */
  function numpyPercentile(values: number[], q: number): number {
    const s = values.slice().sort((x, y) => x - y);
    const h = (s.length - 1) * (q / 100);
    return s[Math.floor(h)]! + (h - Math.floor(h)) * (s[Math.ceil(h)]! - s[Math.floor(h)]!);
  }

  it('clips by global norm at the p-th percentile of the history including the current norm', () => {
    const clip = guards.autoClip({ percentile: 50 });
    const norms = [5, 1, 3, 10];
    const seen: number[] = [];
    for (const norm of norms) {
      const a = parameter([0, 0]);
      const report = passWithGradients([a], [[0, norm]], [clip]);
      seen.push(norm);
      const threshold = numpyPercentile(seen, 50);
      const coef = Math.min(threshold / (norm + 1e-6), 1);
      expect(report.clipScale).toBeCloseTo(coef, 12);
      expect(a.grad!.data[1]).toBeCloseTo(norm * coef, 10);
    }
    expect(clip.norms()).toEqual(norms);
  });

  it('cannot clip on the first pass: the percentile of one norm is that norm (only the 1e-6 term acts)', () => {
    const a = parameter([0]);
    const report = passWithGradients([a], [[1e6]], [guards.autoClip()]);
    const coef = 1e6 / (1e6 + 1e-6); // PyTorch's clip_grad_norm_ at max_norm = total, as the authors' code calls it
    expect(report.clipScale).toBeCloseTo(coef, 15);
    expect(a.grad!.data[0]).toBeCloseTo(1e6 * coef, 6);
  });

  it('keeps a bounded history, dropping the oldest norm', () => {
    const clip = guards.autoClip({ history: 2 });
    for (const norm of [1, 2, 3]) passWithGradients([parameter([0])], [[norm]], [clip]);
    expect(clip.norms()).toEqual([2, 3]);
  });

  it('agrees with NumPy on fractional ranks', () => {
    expect(guards.percentile([4, 1, 3, 2], 10)).toBeCloseTo(numpyPercentile([1, 2, 3, 4], 10), 15);
    expect(guards.percentile([7], 90)).toBe(7);
  });

  it('keeps non-finite norms out of the history', () => {
    const clip = guards.autoClip();
    const report = passWithGradients([parameter([0])], [[NaN]], [clip]);
    expect(report.ok).toBe(false);
    expect(clip.norms()).toEqual([]);
  });
});

describe('zclip', () => {
  it('collects warmupSteps norms, then clips a spike to μ + (z_t²/z)·σ and updates with the clipped norm', () => {
    const clip = guards.zclip({ warmupSteps: 3, zThreshold: 2.5, alpha: 0.97 });
    for (const norm of [1, 2, 3]) {
      const report = passWithGradients([parameter([0])], [[norm]], [clip]);
      expect(report.clipScale).toBe(1);
    }
    const mean = 2;
    const variance = 2 / 3;
    expect(clip.state().mean).toBeCloseTo(mean, 14);
    expect(clip.state().variance).toBeCloseTo(variance, 14);

    const a = parameter([0, 0]);
    const report = passWithGradients([a], [[0, 10]], [clip]);
    const sigma = Math.sqrt(variance);
    const z = (10 - mean) / (sigma + 1e-6);
    const threshold = mean + ((2.5 * 2.5) / z) * sigma;
    expect(report.clipScale).toBeCloseTo(threshold / (10 + 1e-6), 12);
    expect(a.grad!.data[1]).toBeCloseTo((10 * threshold) / (10 + 1e-6), 10);
    const newMean = 0.97 * mean + 0.03 * threshold;
    expect(clip.state().mean).toBeCloseTo(newMean, 12);
    expect(clip.state().variance).toBeCloseTo(0.97 * variance + 0.03 * (threshold - newMean) ** 2, 12);
  });

  it('lets a norm below the z threshold through and updates the statistics with it', () => {
    const clip = guards.zclip({ warmupSteps: 2 });
    for (const norm of [1, 3]) passWithGradients([parameter([0])], [[norm]], [clip]);
    const report = passWithGradients([parameter([0])], [[4]], [clip]); // z = 2/(1 + 1e-6) < 2.5
    expect(report.clipScale).toBe(1);
    const newMean = 0.97 * 2 + 0.03 * 4;
    expect(clip.state().mean).toBeCloseTo(newMean, 12);
    expect(clip.state().variance).toBeCloseTo(0.97 * 1 + 0.03 * (4 - newMean) ** 2, 12);
  });

  it("with onSpike 'skip' abandons the pass: every .grad stays as it was", () => {
    const clip = guards.zclip({ warmupSteps: 2, onSpike: 'skip' });
    for (const norm of [1, 3]) passWithGradients([parameter([0])], [[norm]], [clip]);
    const fresh = parameter([0]);
    const accumulated = parameter([0]);
    accumulated.grad = tensor([0.25], { dtype: 'float64' });
    const report = passWithGradients([fresh, accumulated], [[100], [1]], [clip]);
    expect(report.skipped).toBe(true);
    expect(report.ok).toBe(false);
    expect(fresh.grad).toBeNull();
    expect(Array.from(accumulated.grad!.data)).toEqual([0.25]);
    expect(report.actions[0]).toMatchObject({ guard: 'zclip', kind: 'skip' });
  });

  it('leaves the statistics alone on a non-finite norm', () => {
    const clip = guards.zclip({ warmupSteps: 2 });
    passWithGradients([parameter([0])], [[Infinity]], [clip]);
    expect(clip.state().warmup).toEqual([]);
  });
});

describe('flowClip', () => {
  it("clips the gradient a module passes to the layer below, before it flows on", () => {
    const a = parameter([1, 1, 1]);
    const x = tensor([1, 2, 3], { dtype: 'float64' });
    const big = tensor([30, 0, 40], { dtype: 'float64' });
    const h = runInScope('0', [x], () => x.mul(a));
    const y = runInScope('1', [h], () => h.mul(big));
    const report = y.sum().backward({ guards: [guards.flowClip({ maxNorm: 1, modules: ['1'] })] });
    // ∂loss/∂h = big (norm 50), clipped to norm 1 before reaching module '0': ∂loss/∂a = x ⊙ clipped.
    const coef = 1 / (50 + 1e-6);
    expectAllClose(a.grad!.data, [1 * 30 * coef, 0, 3 * 40 * coef], { rtol: 1e-12 });
    expect(report.actions[0]).toMatchObject({ guard: 'flowClip', target: '1', factor: coef });
  });

  it('does not touch boundaries it was not asked to watch', () => {
    const a = parameter([1]);
    const x = tensor([2], { dtype: 'float64' });
    const h = runInScope('0', [x], () => x.mul(a));
    const y = runInScope('1', [h], () => h.mul(100));
    y.sum().backward({ guards: [guards.flowClip({ maxNorm: 1, modules: ['2'] })] });
    expect(Array.from(a.grad!.data)).toEqual([200]);
  });
});

describe('one-pass statistics', () => {
  it('shows each gradient buffer to every event and guard through one view, so its statistics are computed once', () => {
    const w = parameter([1, 2]);
    const nodes: Array<{ op: string; gradOut: GradientView; inputGrads: ReadonlyArray<GradientView | null> }> = [];
    let parameterView: GradientView | null = null;
    let endView: GradientView | undefined;
    const probe: Guard = {
      name: 'probe',
      onNodeGradient: (event) => void nodes.push({ op: event.op, gradOut: event.gradOut, inputGrads: event.inputGrads }),
      onParameterGradient: (event) => void (parameterView = event.grad),
      endPass: (event) => void (endView = event.grads[0]),
    };
    w.mul(3).exp().sum().backward({ guards: [probe, guards.globalNormClip({ maxNorm: 100 })] });
    expect(nodes.map((node) => node.op)).toEqual(['sum', 'exp', 'mul']);
    expect(nodes[1]!.gradOut).toBe(nodes[0]!.inputGrads[0]);
    expect(nodes[2]!.gradOut).toBe(nodes[1]!.inputGrads[0]);
    expect(parameterView).toBe(nodes[2]!.inputGrads[0]);
    expect(endView).toBe(parameterView);
  });
});
