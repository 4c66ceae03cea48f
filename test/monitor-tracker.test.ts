import { describe, expect, it } from 'vitest';
import { manualSeed, randn, tensor, type Tensor } from '../src/index.js';
import { depthProduct } from '../src/guards/amplification.js';
import { monitor } from '../src/guards/monitor.js';
import { Linear, Module, ReLU, Sequential, mlp } from '../src/nn/index.js';

/*
 * The monitor keeps modules by position from pass to pass; these tests change what a pass meets
 * (a module called twice, a different model, more modules than its first arrays hold) and check
 * the figures against direct computations.
 */

function sumOfSquares(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]! ** 2;
  return s;
}

/** G [n, out] · W [out, in] by a direct loop. */
function gradThroughLinear(g: readonly number[], rows: number, w: Tensor): number[] {
  const [outF, inF] = [w.shape[0]!, w.shape[1]!];
  const out: number[] = [];
  for (let n = 0; n < rows; n++) {
    for (let j = 0; j < inF; j++) {
      let s = 0;
      for (let i = 0; i < outF; i++) s += g[n * outF + i]! * w.data[i * inF + j]!;
      out.push(s);
    }
  }
  return out;
}

class TwiceThrough extends Module {
  shared = new Linear(3, 3, { dtype: 'float64' });
  forward(x: Tensor): Tensor {
    return this.shared.forward(this.shared.forward(x));
  }
}

describe('monitor: modules kept by position across passes', () => {
  it('sums both calls of a module used twice in one pass', () => {
    manualSeed(11);
    const model = new TwiceThrough();
    const x = randn([4, 3], { dtype: 'float64', requiresGrad: true });
    const c = [1, -0.5, 2];
    const m = monitor();
    model.forward(x).mul(tensor([c], { dtype: 'float64' })).sum().backward({ guards: [m] });
    const gOut = Array.from({ length: 4 }, () => c).flat(); // d loss / d (second output)
    const gMiddle = gradThroughLinear(gOut, 4, model.shared.weight); // first output = second input
    const gX = gradThroughLinear(gMiddle, 4, model.shared.weight);
    const expected = Math.sqrt((sumOfSquares(gMiddle) + sumOfSquares(gX)) / (sumOfSquares(gOut) + sumOfSquares(gMiddle)));
    const record = m.latest()!;
    expect(record.order).toEqual(['shared']);
    expect(record.layers.shared!.amplification).toBeCloseTo(expected, 12);
  });

  it('follows a change of model between passes, and back', () => {
    manualSeed(12);
    const small = new Sequential(new Linear(3, 4), new ReLU(), new Linear(4, 2));
    const large = mlp([3, 5, 5, 5, 2]);
    const x = randn([6, 3], { requiresGrad: true });
    const m = monitor();
    for (const model of [small, large, small]) model.forward(x).sum().backward({ guards: [m] });
    const [first, second, third] = m.history();
    expect(first!.order).toEqual(['0', '1', '2']);
    expect(second!.order).toEqual(['0', '1', '2', '3', '4', '5', '6']);
    expect(third!.order).toEqual(['0', '1', '2']);
    expect(third!.layers['1']!.amplification).toBeCloseTo(first!.layers['1']!.amplification, 6);
    for (const record of [first!, second!, third!]) {
      for (const module of record.order) expect(record.layers[module]!.amplification).toBeGreaterThan(0);
    }
  });

  it('measures every module of a model with more modules than its first arrays hold', () => {
    manualSeed(13);
    const depth = 30; // 59 modules, Linear and ReLU alternating
    const model = mlp([4, ...new Array<number>(depth - 1).fill(4), 2], { init: 'kaimingNormal', dtype: 'float64' });
    const x = randn([3, 4], { dtype: 'float64', requiresGrad: true });
    const m = monitor();
    for (let pass = 0; pass < 2; pass++) {
      x.grad = null;
      model.forward(x).sum().backward({ guards: [m] });
    }
    const record = m.latest()!;
    expect(record.order).toHaveLength(2 * depth - 1);
    // why: in a chain each module's input gradient is the previous module's output gradient, so
    // the product of all amplifications telescopes to ‖∂loss/∂x‖ / ‖∂loss/∂output‖ (all ones, 3 × 2)
    expect(depthProduct(record.order, record.layers)).toBeCloseTo(Math.sqrt(sumOfSquares(x.grad!.data) / 6), 10);
  });
});

describe("monitor: the report's parameters and layers", () => {
  it('keep the figures of their own pass after the history has reused its slot', () => {
    manualSeed(14);
    const model = new Sequential(new Linear(3, 4), new ReLU(), new Linear(4, 2));
    const m = monitor({ history: 1 });
    const x = randn([5, 3]);
    const first = model.forward(x).sum().backward({ guards: [m] });
    const firstGrad = Math.sqrt(sumOfSquares((model.at(0) as Linear).weight.grad!.data));
    for (const p of model.parameters()) p.grad = null;
    model.forward(x.mul(10)).sum().backward({ guards: [m] }); // larger gradients, same single slot
    expect(first.parameters!['0.weight']!.gradNorm).toBeCloseTo(firstGrad, 5);
    expect(m.latest()!.parameters['0.weight']!.gradNorm).toBeGreaterThan(5 * firstGrad);
  });

  it('read as plain data: keys, JSON, spread, and assignment all behave as ordinary properties', () => {
    manualSeed(15);
    const model = new Sequential(new Linear(3, 4), new ReLU());
    const report = model.forward(randn([2, 3])).sum().backward({ guards: [monitor()] });
    expect(Object.keys(report)).toEqual(expect.arrayContaining(['parameters', 'layers']));
    const parsed = JSON.parse(JSON.stringify(report)) as { layers: Record<string, { gradNorm: number }> };
    expect(Object.keys(parsed.layers)).toEqual(['0', '1']);
    expect({ ...report }.parameters).toBe(report.parameters); // read once, then the same object
    report.layers = {};
    expect(report.layers).toEqual({});
  });
});
