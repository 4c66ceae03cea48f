/**
 * Contract audit (shared/API.md, "guards"): the functional clips, the in-pass guards with their
 * exact option names and defaults, the BackwardReport, anomaly mode and the NonFiniteError fields.
 * Expected numbers come from the published rules, computed here directly.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { NonFiniteError, Tensor, guards, nn, setWarningSink, tensor, zeros, type Guard } from '../src/index.js';

function withGrad(values: number[], grad: number[]): Tensor {
  const p = tensor(values, { dtype: 'float64', requiresGrad: true });
  p.grad = tensor(grad, { dtype: 'float64' });
  return p;
}

const grads = (ps: Tensor[]): number[][] => ps.map((p) => Array.from(p.grad!.data));

describe('contract: clipGradNorm', () => {
  const make = (): Tensor[] => [withGrad([0, 0], [3, 4]), withGrad([0], [12])];

  it('returns the total 2-norm and scales by maxNorm / (total + 1e-6) above maxNorm', () => {
    const ps = make();
    expect(guards.clipGradNorm(ps, 1)).toBeCloseTo(13, 12);
    const coef = 1 / (13 + 1e-6);
    grads(ps).flat().forEach((g, i) => expect(g).toBeCloseTo([3, 4, 12][i]! * coef, 14));
  });

  it('leaves gradients alone below maxNorm', () => {
    const ps = make();
    expect(guards.clipGradNorm(ps, 100)).toBeCloseTo(13, 12);
    expect(grads(ps)).toEqual([[3, 4], [12]]);
  });

  it('takes normType p >= 1 or Infinity', () => {
    expect(guards.clipGradNorm(make(), 100, { normType: 1 })).toBeCloseTo(19, 12);
    expect(guards.clipGradNorm(make(), 100, { normType: 3 })).toBeCloseTo((27 + 64 + 1728) ** (1 / 3), 12);
    const ps = make();
    expect(guards.clipGradNorm(ps, 6, { normType: Infinity })).toBe(12);
    expect(ps[1]!.grad!.data[0]).toBeCloseTo(12 * 6 / (12 + 1e-6), 12);
  });

  it('with errorIfNonfinite throws NonFiniteError (op clipGradNorm) and leaves the gradients untouched', () => {
    const ps = [withGrad([0, 0], [3, NaN]), withGrad([0], [12])];
    let caught: unknown;
    try {
      guards.clipGradNorm(ps, 1, { errorIfNonfinite: true });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(NonFiniteError);
    expect((caught as NonFiniteError).op).toBe('clipGradNorm');
    expect(ps[0]!.grad!.data[0]).toBe(3);
    expect(ps[1]!.grad!.data[0]).toBe(12);
    // errorIfNonfinite defaults to false: the non-finite total is returned.
    expect(Number.isNaN(guards.clipGradNorm(ps, 1))).toBe(true);
  });
});

describe('contract: clipGradValue', () => {
  it('clamps every element to [-clipValue, clipValue]', () => {
    const ps = [withGrad([0, 0, 0], [-3, 0.2, 5])];
    guards.clipGradValue(ps, 1);
    expect(grads(ps)).toEqual([[-1, 0.2, 1]]);
  });
});

/** A graph whose backward produces Inf from finite values: sqrt'(0) = 1/(2·0). */
function sqrtAtZero(): { w: Tensor; v: Tensor; loss: () => Tensor } {
  const w = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
  const v = tensor([3], { dtype: 'float64', requiresGrad: true });
  const loss = (): Tensor => w.sub(tensor([1, 0], { dtype: 'float64' })).sqrt().sum().add(v.mul(v).sum());
  return { w, v, loss };
}

describe('contract: nanTrap', () => {
  let warnings: string[] = [];
  const previous = setWarningSink((m) => warnings.push(m));
  setWarningSink(previous);
  afterEach(() => {
    warnings = [];
  });

  it("defaults to 'throw': NonFiniteError phase 'backward', every .grad as before the pass", () => {
    const { w, v, loss } = sqrtAtZero();
    w.grad = tensor([7, 7], { dtype: 'float64' });
    let caught: unknown;
    try {
      loss().backward({ guards: [guards.nanTrap()] });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(NonFiniteError);
    expect((caught as NonFiniteError).phase).toBe('backward');
    expect((caught as NonFiniteError).op).toBe('sqrt');
    expect((caught as NonFiniteError).module).toBeUndefined();
    expect(Array.from(w.grad!.data)).toEqual([7, 7]);
    expect(v.grad).toBeNull();
  });

  it("'skip' keeps every .grad and reports ok false with nonFinite", () => {
    const { w, v, loss } = sqrtAtZero();
    w.grad = tensor([7, 7], { dtype: 'float64' });
    const report = loss().backward({ guards: [guards.nanTrap({ action: 'skip' })] });
    expect(report.ok).toBe(false);
    expect(report.nonFinite).toMatchObject({ op: 'sqrt', phase: 'backward' });
    expect(Array.from(w.grad!.data)).toEqual([7, 7]);
    expect(v.grad).toBeNull();
  });

  it("'zero' replaces the non-finite values with 0 where they are produced", () => {
    const { w, v, loss } = sqrtAtZero();
    loss().backward({ guards: [guards.nanTrap({ action: 'zero' })] });
    expect(w.grad!.data[0]).toBe(0);
    expect(w.grad!.data[1]).toBeCloseTo(1 / (2 * Math.sqrt(2)), 14);
    expect(v.grad!.data[0]).toBe(6);
  });

  it("'warn' warns once per pass, keeps the values and reports ok false", () => {
    const previousSink = setWarningSink((m) => warnings.push(m));
    try {
      const w = tensor([0, 0], { dtype: 'float64', requiresGrad: true });
      const report = w.sqrt().sum().add(w.mul(1).sqrt().sum()).backward({ guards: [guards.nanTrap({ action: 'warn' })] });
      expect(report.ok).toBe(false);
      expect(warnings).toHaveLength(1);
      expect(w.grad!.data[0]).toBe(Infinity);
    } finally {
      setWarningSink(previousSink);
    }
  });

  it('names the module path of the node where the value is born', () => {
    class Root extends nn.Module {
      forward(x: Tensor): Tensor {
        return x.sqrt();
      }
    }
    const layer = new nn.Linear(2, 2, { dtype: 'float64' });
    layer.weight.data.fill(0);
    layer.bias!.data.fill(0);
    const model = new nn.Sequential(layer, new Root());
    const report = model.forward(tensor([[1, 2]], { dtype: 'float64' })).sum().backward({ guards: [guards.nanTrap({ action: 'skip' })] });
    expect(report.nonFinite).toEqual(expect.objectContaining({ op: 'sqrt', phase: 'backward', module: '1' }));
  });
});

describe('contract: in-pass clipping guards and the BackwardReport', () => {
  it('globalNormClip({ maxNorm }) applies the clipGradNorm rule; totalNorm is before clipping and clipScale the factor', () => {
    const a = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const b = tensor([3], { dtype: 'float64', requiresGrad: true });
    // d/da of Σ 3a = [3, 3], d/db of 4b = [4]: total √(9 + 9 + 16) = √34.
    const report = a.mul(3).sum().add(b.mul(4).sum()).backward({ guards: [guards.globalNormClip({ maxNorm: 1 })] });
    const total = Math.sqrt(34);
    expect(report.ok).toBe(true);
    expect(report.totalNorm).toBeCloseTo(total, 12);
    expect(report.clipScale).toBeCloseTo(1 / (total + 1e-6), 12);
    expect(report.nonFinite).toBeNull();
    expect(a.grad!.data[0]).toBeCloseTo(3 / (total + 1e-6), 12);
    const inf = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const r = inf.mul(tensor([3, 4], { dtype: 'float64' })).sum().backward({ guards: [guards.globalNormClip({ maxNorm: 1, normType: Infinity })] });
    expect(r.clipScale).toBeCloseTo(1 / (4 + 1e-6), 12);
  });

  it('totalNorm sees the accumulated .grad, as clipGradNorm does', () => {
    const a = tensor([1], { dtype: 'float64', requiresGrad: true });
    a.grad = tensor([4], { dtype: 'float64' });
    expect(a.mul(3).sum().backward().totalNorm).toBeCloseTo(7, 12);
  });

  it('valueClip({ clipValue }) clamps at the end of the pass', () => {
    const a = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    a.mul(tensor([-5, 0.5], { dtype: 'float64' })).sum().backward({ guards: [guards.valueClip({ clipValue: 1 })] });
    expect(Array.from(a.grad!.data)).toEqual([-1, 0.5]);
  });

  it('agc() clips units (rows of a weight, a whole bias) to 0.01 · max(‖W_unit‖, 1e-3)', () => {
    const layer = new nn.Linear(2, 2, { dtype: 'float64' });
    layer.weight.data.set([3, 4, 0.1, 0]);
    layer.bias!.data.set([0, 0]);
    const x = tensor([[1, 1]], { dtype: 'float64' });
    // grads: dW row o = x·g_o with g = [1, 2]; db = g.
    layer.forward(x).mul(tensor([[1, 2]], { dtype: 'float64' })).sum().backward({ guards: [guards.agc()] });
    const clipTo = (g: number[], w: number[]): number[] => {
      const gn = Math.hypot(...g);
      const max = 0.01 * Math.max(Math.hypot(...w), 1e-3);
      return gn > max ? g.map((v) => (v * max) / Math.max(gn, 1e-6)) : g;
    };
    const expectedW = [...clipTo([1, 1], [3, 4]), ...clipTo([2, 2], [0.1, 0])];
    const expectedB = clipTo([1, 2], [0, 0]);
    layer.weight.grad!.data.forEach((g, i) => expect(g).toBeCloseTo(expectedW[i]!, 12));
    layer.bias!.grad!.data.forEach((g, i) => expect(g).toBeCloseTo(expectedB[i]!, 12));
  });

  /** One pass whose single gradient has the given norm. */
  function pass(guard: ReturnType<typeof guards.zclip> | ReturnType<typeof guards.autoClip>, norm: number): { scale: number; grad: number } {
    const p = tensor([1], { dtype: 'float64', requiresGrad: true });
    const report = p.mul(norm).sum().backward({ guards: [guard] });
    return { scale: report.clipScale, grad: p.grad!.data[0]! };
  }

  it('zclip() warms up for 25 passes, then clips a z > 2.5 spike to μ + (2.5²/z)·σ and updates with the clipped norm', () => {
    const guard = guards.zclip();
    const warm = Array.from({ length: 25 }, (_, i) => 1 + (i % 5) * 0.1);
    for (const n of warm) expect(pass(guard, n).scale).toBe(1);
    let mu = warm.reduce((a, b) => a + b, 0) / 25;
    let variance = warm.reduce((a, b) => a + (b - mu) ** 2, 0) / 25;
    const spike = 10;
    const sigma = Math.sqrt(variance);
    const z = (spike - mu) / (sigma + 1e-6);
    const target = mu + (2.5 ** 2 / z) * sigma;
    const { grad } = pass(guard, spike);
    expect(grad).toBeCloseTo(spike * (target / (spike + 1e-6)), 10);
    mu = 0.97 * mu + 0.03 * target;
    variance = 0.97 * variance + 0.03 * (target - mu) ** 2;
    // A norm at μ + 2.4σ of the updated statistics is not clipped; one at μ + 3σ is.
    expect(pass(guard, mu + 2.4 * Math.sqrt(variance)).scale).toBe(1);
    expect(pass(guard, mu + 3 * Math.sqrt(variance)).scale).toBeLessThan(1);
  });

  it('autoClip() clips at the 10th percentile (NumPy linear) of the history, the current norm included', () => {
    const guard = guards.autoClip();
    const norms = [5, 1, 3, 2, 4];
    const seen: number[] = [];
    for (const n of norms) {
      seen.push(n);
      const sorted = [...seen].sort((a, b) => a - b);
      const rank = 0.1 * (sorted.length - 1);
      const lo = Math.floor(rank);
      const threshold = sorted[lo]! + (rank - lo) * ((sorted[Math.min(lo + 1, sorted.length - 1)] ?? 0) - sorted[lo]!);
      const { grad } = pass(guard, n);
      expect(grad).toBeCloseTo(n * Math.min(threshold / (n + 1e-6), 1), 12); // clip_grad_norm_'s clamped coefficient
    }
  });

  it('autoClip() keeps 1000 norms and monitor() 1000 records by default', () => {
    const guard = guards.autoClip();
    const watch = guards.monitor();
    for (let i = 0; i < 1001; i++) {
      const p = tensor([1], { dtype: 'float64', requiresGrad: true });
      p.mul(i + 1).sum().backward({ guards: [watch, guard] });
    }
    expect(guard.norms()).toHaveLength(1000);
    expect(guard.norms()[0]).toBe(2);
    const history = watch.history();
    expect(history).toHaveLength(1000);
    expect(history[0]!.step).toBe(1);
    expect(history[999]!.step).toBe(1000);
  });

  it('autoClip({ history }) keeps a bounded history', () => {
    const guard = guards.autoClip({ history: 3, percentile: 0 });
    for (const n of [1, 5, 6, 7]) pass(guard, n);
    expect(guard.norms()).toEqual([5, 6, 7]);
  });
});

describe('contract: detectAnomaly and NonFiniteError fields', () => {
  it("throws phase 'forward' at the first op that makes NaN/Inf from finite inputs, naming op and module", () => {
    class Inner extends nn.Module {
      forward(x: Tensor): Tensor {
        return x.log();
      }
    }
    class Outer extends nn.Module {
      layers = new nn.Sequential(new nn.ReLU(), new nn.ReLU(), new nn.ReLU(), new Inner());
      forward(x: Tensor): Tensor {
        return this.layers.forward(x);
      }
    }
    let caught: unknown;
    try {
      guards.detectAnomaly(() => new Outer().forward(zeros([2])));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(NonFiniteError);
    expect(caught).toBeInstanceOf(Error);
    expect(caught).toMatchObject({ op: 'log', phase: 'forward', module: 'layers.3' });
  });

  it("checks backward passes inside it (phase 'backward') and returns fn's result otherwise", () => {
    const w = tensor([0], { dtype: 'float64', requiresGrad: true });
    expect(() => guards.detectAnomaly(() => w.sqrt().sum().backward())).toThrow(expect.objectContaining({ phase: 'backward', op: 'sqrt', module: undefined }));
    expect(guards.detectAnomaly(() => 5)).toBe(5);
    // Outside anomaly mode the same forward is not checked.
    expect(Number.isFinite(zeros([1]).log().item())).toBe(false);
  });
});

describe('contract: the public Guard interface', () => {
  it('lets a user guard see every node and parameter, scale at the end of the pass, and stop a pass', () => {
    const seen: string[] = [];
    const halve: Guard = {
      name: 'halve',
      beginPass: () => { seen.push('begin'); },
      onNodeGradient: (event) => { seen.push(`node ${event.op} ${event.outputShape.length}`); },
      onParameterGradient: () => { seen.push('parameter'); },
      endPass: (event, control) => {
        for (const view of event.grads) view.scale(0.5);
        control.report.actions.push({ guard: 'halve', kind: 'scale', factor: 0.5, message: 'halved' });
        control.warn('halve ran');
      },
    };
    const warnings: string[] = [];
    const previous = setWarningSink((m) => warnings.push(m));
    try {
      const p = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
      const report = p.mul(tensor([4, 6], { dtype: 'float64' })).sum().backward({ guards: [halve] });
      expect(Array.from(p.grad!.data)).toEqual([2, 3]);
      expect(seen).toEqual(['begin', 'node sum 0', 'node mul 1', 'parameter']);
      expect(report.actions).toEqual([{ guard: 'halve', kind: 'scale', factor: 0.5, message: 'halved' }]);
      expect(warnings.join()).toContain('halve ran');
      const stopper: Guard = { name: 'stop', endPass: (_, control) => control.stop() };
      const stopped = p.mul(3).sum().backward({ guards: [stopper] });
      expect(stopped.ok).toBe(false);
      expect(stopped.skipped).toBe(true);
      expect(Array.from(p.grad!.data)).toEqual([2, 3]);
    } finally {
      setWarningSink(previous);
    }
  });
});

describe('contract: detectAnomaly keeps creation stacks', () => {
  it("a backward error points at the user's line", () => {
    const w = tensor([0], { dtype: 'float64', requiresGrad: true });
    let caught: NonFiniteError | undefined;
    try {
      guards.detectAnomaly(() => {
        const y = w.sqrt(); // the op created here
        y.sum().backward();
      });
    } catch (error) {
      caught = error as NonFiniteError;
    }
    expect(caught?.phase).toBe('backward');
    expect(caught?.creationStack).toContain('contract-guards.test.ts');
    expect(caught?.message).toContain('contract-guards.test.ts');
  });
});
