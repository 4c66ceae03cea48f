/**
 * Contract audit (shared/API.md, "guards"): monitor.history() records, diagnose() verdicts and
 * their thresholds on the product of amplifications over depth.
 */
import { describe, expect, it } from 'vitest';
import { Tensor, guards, nn, tensor } from '../src/index.js';

describe('contract: monitor.history()', () => {
  const W0 = [[1, -1, 0.5], [0.2, 0.3, -2]];
  const b0 = [0.1, 0.1];
  const W2 = [[2, 1], [-1, 3]];
  const b2 = [0, 0.5];
  const x = [1, 2, 3];
  const c = [1, -2];

  function build(): nn.Sequential {
    const first = new nn.Linear(3, 2, { dtype: 'float64' });
    const last = new nn.Linear(2, 2, { dtype: 'float64' });
    first.weight.data.set(W0.flat());
    first.bias!.data.set(b0);
    last.weight.data.set(W2.flat());
    last.bias!.data.set(b2);
    return new nn.Sequential(first, new nn.ReLU(), last);
  }
  const norm = (v: number[]): number => Math.sqrt(v.reduce((a, b) => a + b * b, 0));

  it('records every submodule that ran, ReLU included, with gradNorm and amplification', () => {
    const model = build();
    const monitor = guards.monitor();
    const loss = model.forward(tensor([x], { dtype: 'float64' })).mul(tensor([c], { dtype: 'float64' })).sum();
    loss.backward({ guards: [monitor] });
    // By hand: h = W0·x + b0, r = relu(h), y = W2·r + b2, loss = c·y.
    const h = W0.map((row, o) => row.reduce((a, w, i) => a + w * x[i]!, b0[o]!));
    const r = h.map((v) => Math.max(v, 0));
    const gr = [0, 1].map((i) => c.reduce((a, cj, j) => a + cj * W2[j]![i]!, 0)); // Wᵀc
    const gh = gr.map((g, i) => (h[i]! > 0 ? g : 0));
    const dW2 = c.flatMap((cj) => r.map((ri) => cj * ri));
    const dW0 = gh.flatMap((g) => x.map((xi) => g * xi));

    const history = monitor.history();
    expect(history).toHaveLength(1);
    const record = history[0]!;
    expect(record.step).toBe(0);
    expect(record.totalNorm).toBeCloseTo(norm([...dW0, ...gh, ...dW2, ...c]), 12);
    expect(Object.keys(record.layers)).toEqual(expect.arrayContaining(['0', '1', '2']));
    expect(record.layers['2']!.gradNorm).toBeCloseTo(norm([...dW2, ...c]), 12);
    expect(record.layers['2']!.amplification).toBeCloseTo(norm(gr) / norm(c), 12);
    expect(record.layers['1']!.gradNorm).toBe(0);
    expect(record.layers['1']!.amplification).toBeCloseTo(norm(gh) / norm(gr), 12);
    expect(record.layers['0']!.gradNorm).toBeCloseTo(norm([...dW0, ...gh]), 12);
    expect(Number.isNaN(record.layers['0']!.amplification)).toBe(true);
  });

  it('counts steps from 0 and keeps a bounded history', () => {
    const model = build();
    const monitor = guards.monitor({ history: 2 });
    for (let i = 0; i < 3; i++) model.forward(tensor([x], { dtype: 'float64' })).sum().backward({ guards: [monitor] });
    expect(monitor.history().map((r) => r.step)).toEqual([1, 2]);
  });
});

describe('contract: monitor records nested modules by dotted path', () => {
  class Net extends nn.Module {
    stem = new nn.Linear(3, 4, { dtype: 'float64' });
    layers = new nn.Sequential(new nn.Tanh(), new nn.Linear(4, 4, { dtype: 'float64' }), new nn.ReLU());
    head = new nn.Linear(4, 2, { dtype: 'float64' });
    forward(x: Tensor): Tensor {
      return this.head.forward(this.layers.forward(this.stem.forward(x)));
    }
  }

  it('has an entry for every submodule, Tanh included; a container amplifies by the product of its children', () => {
    const monitor = guards.monitor();
    new Net().forward(tensor([[1, 2, 3]], { dtype: 'float64' })).sum().backward({ guards: [monitor] });
    const { layers } = monitor.history()[0]!;
    expect(Object.keys(layers).sort()).toEqual(['head', 'layers', 'layers.0', 'layers.1', 'layers.2', 'stem']);
    expect(Number.isNaN(layers['stem']!.amplification)).toBe(true);
    expect(layers['layers.0']!.gradNorm).toBe(0);
    const product = ['layers.0', 'layers.1', 'layers.2'].reduce((a, k) => a * layers[k]!.amplification, 1);
    expect(layers['layers']!.amplification).toBeCloseTo(product, 12);
  });
});

describe('contract: diagnose()', () => {
  /** k bias-free Linear layers with weight c·I: each multiplies the backward gradient's norm by exactly c. */
  function chain(k: number, gain: number, dtype: 'float32' | 'float64' = 'float64'): nn.Sequential {
    const layers = Array.from({ length: k }, () => {
      const layer = new nn.Linear(4, 4, { bias: false, dtype });
      layer.weight.data.fill(0);
      for (let i = 0; i < 4; i++) layer.weight.data[i * 5] = gain;
      return layer;
    });
    return new nn.Sequential(...layers);
  }

  function run(model: nn.Sequential, dtype: 'float32' | 'float64' = 'float64'): ReturnType<typeof guards.diagnose> {
    const monitor = guards.monitor();
    const x: Tensor = tensor([[1, 2, 3, 4]], { dtype, requiresGrad: true });
    model.forward(x).sum().backward({ guards: [monitor] });
    return guards.diagnose(monitor);
  }

  it.each([
    [2, 'exploding'], // 2⁸ = 256 > 1e2
    [1.8, 'exploding'], // 110
    [1.6, 'healthy'], // 43
    [1, 'healthy'],
    [0.6, 'healthy'], // 0.017
    [0.5, 'vanishing'], // 0.0039 < 1e-2
  ] as const)('an 8-layer chain of gain %s is %s', (gain, verdict) => {
    const diagnosis = run(chain(8, gain));
    expect(diagnosis.verdict).toBe(verdict);
    expect(typeof diagnosis.summary).toBe('string');
    expect(diagnosis.summary.length).toBeGreaterThan(10);
    const amplifications = diagnosis.layers.filter((l) => /^\d+$/.test(l.module)).map((l) => l.amplification);
    expect(amplifications).toHaveLength(8);
    for (const a of amplifications) expect(a).toBeCloseTo(gain, 10);
  });

  it('counts each layer once when containers are nested (1.5⁸ ≈ 26 is healthy, not 1.5¹⁶)', () => {
    const inner = (): nn.Module[] => chain(4, 1.5).namedChildren().map(([, m]) => m);
    const nested = new nn.Sequential(new nn.Sequential(...inner()), new nn.Sequential(...inner()));
    expect(run(nested).verdict).toBe('healthy');
  });

  it('a non-finite norm means exploding', () => {
    expect(run(chain(3, 1e20, 'float32'), 'float32').verdict).toBe('exploding');
  });
});
