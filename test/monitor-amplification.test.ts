import { describe, expect, it } from 'vitest';
import { manualSeed, randn, tensor, type Tensor } from '../src/index.js';
import { blocksOf, depthProduct, moduleOfParameter } from '../src/guards/amplification.js';
import { monitor, type MonitorRecord } from '../src/guards/monitor.js';
import { Linear, ReLU, Sequential, crossEntropy, mlp } from '../src/nn/index.js';

/** ‖a‖₂ of a plain array. */
function norm(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]! ** 2;
  return Math.sqrt(s);
}

/** G [n, out] · W [out, in] by a direct triple loop. */
function gradThroughLinear(g: number[][], w: Tensor): number[][] {
  const inF = w.shape[1]!;
  return g.map((row) => Array.from({ length: inF }, (_, j) => row.reduce((s, gi, i) => s + gi * w.data[i * inF + j]!, 0)));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function blocks(record: MonitorRecord) {
  const owners = new Set(Object.keys(record.parameters).map(moduleOfParameter));
  return blocksOf(record.order, record.layers, (m) => owners.has(m));
}

describe('monitor: gradient amplification per module', () => {
  it('equals ‖gradient to the input‖ / ‖gradient at the output‖, computed directly, for Linear and ReLU', () => {
    manualSeed(3);
    const model = new Sequential(new Linear(3, 4, { dtype: 'float64' }), new ReLU(), new Linear(4, 2, { dtype: 'float64' }));
    const x = randn([5, 3], { dtype: 'float64', requiresGrad: true });
    const c = [0.5, -2];
    const out = model.forward(x);
    const loss = out.mul(tensor([c], { dtype: 'float64' })).sum();
    const m = monitor();
    loss.backward({ guards: [m] });
    const record = m.latest()!;

    const g2 = Array.from({ length: 5 }, () => [...c]); // d loss / d out
    const w2 = (model.at(2) as Linear).weight;
    const gRelu = gradThroughLinear(g2, w2);
    const hidden = (model.at(0) as Linear).forward(x).data; // pre-activation values, recomputed
    const gHidden = gRelu.map((row, n) => row.map((v, j) => (hidden[n * 4 + j]! > 0 ? v : 0)));
    const w1 = (model.at(0) as Linear).weight;
    const gX = gradThroughLinear(gHidden, w1);

    expect(record.layers['2']!.amplification).toBeCloseTo(norm(gRelu.flat()) / norm(g2.flat()), 12);
    expect(record.layers['1']!.amplification).toBeCloseTo(norm(gHidden.flat()) / norm(gRelu.flat()), 12);
    expect(record.layers['0']!.amplification).toBeCloseTo(norm(gX.flat()) / norm(gHidden.flat()), 12);
  });

  it('is NaN for a module whose input needs no gradient, and every submodule has an entry in forward order', () => {
    manualSeed(4);
    const model = new Sequential(new Linear(3, 4), new ReLU(), new Linear(4, 2));
    const m = monitor();
    model.forward(randn([6, 3])).sum().backward({ guards: [m] });
    const record = m.latest()!;
    expect(record.order).toEqual(['0', '1', '2']);
    expect(Object.keys(record.layers).sort()).toEqual(['0', '1', '2']);
    expect(record.layers['0']!.amplification).toBeNaN();
    expect(record.layers['1']!.gradNorm).toBe(0);
    expect(record.ops).toEqual({ '0': 'linear', '1': 'relu', '2': 'linear' });
  });

  it("gives each module the 2-norm of its own parameters' gradients and fills the report", () => {
    manualSeed(5);
    const model = new Sequential(new Linear(3, 4), new ReLU(), new Linear(4, 2));
    const m = monitor();
    const report = model.forward(randn([6, 3])).sum().backward({ guards: [m] });
    const first = model.at(0) as Linear;
    const expected = Math.sqrt(norm(first.weight.grad!.data) ** 2 + norm(first.bias!.grad!.data) ** 2);
    expect(report.layers?.['0']?.gradNorm).toBeCloseTo(expected, 5);
    expect(report.parameters?.['0.weight']?.gradNorm).toBeCloseTo(norm(first.weight.grad!.data), 5);
    expect(Object.keys(report.parameters ?? {})).toHaveLength(4);
    const all = model.parameters().reduce((s, p) => s + norm(p.grad!.data) ** 2, 0);
    expect(m.latest()!.totalNorm).toBeCloseTo(Math.sqrt(all), 5);
  });

  it('lists containers (a Residual and its body) but leaves them out of the product over depth', () => {
    manualSeed(6);
    const model = mlp([4, 8, 8, 8, 2], { residual: true, init: 'kaimingNormal' });
    const m = monitor();
    crossEntropy(model.forward(randn([16, 4])), [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1]).backward({ guards: [m] });
    const record = m.latest()!;
    expect(record.order).toContain('2');
    expect(record.order).toContain('2.body');
    expect(record.order).toContain('2.body.0');
    const leaves = ['0', '1', '2.body.0', '2.body.1', '3.body.0', '3.body.1', '4'];
    let product = 1;
    for (const leaf of leaves) if (!Number.isNaN(record.layers[leaf]!.amplification)) product *= record.layers[leaf]!.amplification;
    expect(depthProduct(record.order, record.layers)).toBeCloseTo(product, 10);
  });
});

describe('monitor: blocks of a deep ReLU MLP against the theory', () => {
  // With weights of std g·√(2/fan_in), ‖Wᵀδ‖² ≈ fan_in·std²·‖δ‖² = 2g²‖δ‖²: a Linear amplifies by
  // g·√2 and the ReLU after it passes half the energy (1/√2), so a block amplifies by ≈ g.
  const measure = (gain: number) => {
    manualSeed(11);
    const model = mlp([32, ...Array<number>(20).fill(64), 10], { init: 'kaimingNormal', gain });
    const m = monitor();
    const targets = Array.from({ length: 64 }, (_, i) => i % 10);
    crossEntropy(model.forward(randn([64, 32])), targets).backward({ guards: [m] });
    const record = m.latest()!;
    const linears = record.order.filter((path) => record.ops[path] === 'linear').slice(1, -1);
    const relus = record.order.filter((path) => record.ops[path] === 'relu').slice(1);
    const inner = blocks(record).slice(1, -1).map((b) => b.amplification);
    return { record, linear: median(linears.map((p) => record.layers[p]!.amplification)), relu: median(relus.map((p) => record.layers[p]!.amplification)), block: median(inner) };
  };

  it('He init: Linear ≈ √2, ReLU ≈ 1/√2, block ≈ 1', () => {
    const { linear, relu, block } = measure(1);
    expect(linear).toBeGreaterThan(Math.SQRT2 * 0.85);
    expect(linear).toBeLessThan(Math.SQRT2 * 1.15);
    expect(relu).toBeGreaterThan(Math.SQRT1_2 * 0.85);
    expect(relu).toBeLessThan(Math.SQRT1_2 * 1.15);
    expect(block).toBeGreaterThan(0.85);
    expect(block).toBeLessThan(1.15);
  });

  it('2 × He std: each block ≈ 2, and the product over 20 blocks is far above 1e2', () => {
    const { block, record } = measure(2);
    expect(block).toBeGreaterThan(1.7);
    expect(block).toBeLessThan(2.3);
    expect(depthProduct(record.order, record.layers)).toBeGreaterThan(1e4);
  });
});
