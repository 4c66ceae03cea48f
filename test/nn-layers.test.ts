import { describe, expect, it } from 'vitest';
import { Tensor, gradcheck, manualSeed, nn, randn, tensor } from '../src/index.js';
import { erf, normalCdf } from '../src/tensor/kernels/activation.js';
import { expectAllClose } from './helpers.js';

/** y[n][o] = Σ_i x[n][i]·W[o][i] + b[o], by a direct loop. */
function linearByLoop(x: Tensor, weight: Tensor, bias: Tensor | null): number[] {
  const [rows, inputs] = x.shape as [number, number];
  const outputs = weight.shape[0]!;
  const out: number[] = [];
  for (let n = 0; n < rows; n++) {
    for (let o = 0; o < outputs; o++) {
      let sum = bias === null ? 0 : bias.data[o]!;
      for (let i = 0; i < inputs; i++) sum += x.data[n * inputs + i]! * weight.data[o * inputs + i]!;
      out.push(sum);
    }
  }
  return out;
}

function sampleStd(values: ArrayLike<number>): number {
  let mean = 0;
  for (let i = 0; i < values.length; i++) mean += values[i]!;
  mean /= values.length;
  let sq = 0;
  for (let i = 0; i < values.length; i++) sq += (values[i]! - mean) ** 2;
  return Math.sqrt(sq / values.length);
}

describe('nn.Linear', () => {
  it('computes x·Wᵀ + b with weight [out, in]', () => {
    manualSeed(3);
    const layer = new nn.Linear(5, 3, { dtype: 'float64' });
    expect(layer.weight.shape).toEqual([3, 5]);
    expect(layer.bias!.shape).toEqual([3]);
    const x = randn([4, 5], { dtype: 'float64' });
    expectAllClose(layer.forward(x).data, linearByLoop(x, layer.weight, layer.bias), { rtol: 1e-12 });
  });

  it('initialises weight and bias uniformly within ±1/√in, as PyTorch', () => {
    manualSeed(0);
    const layer = new nn.Linear(64, 256);
    const bound = 1 / Math.sqrt(64);
    for (const p of [layer.weight, layer.bias!]) {
      const max = Math.max(...Array.from(p.data, Math.abs));
      expect(max).toBeLessThanOrEqual(bound);
      expect(max).toBeGreaterThan(0.95 * bound);
    }
    // U(−b, b) has standard deviation b/√3
    expect(sampleStd(layer.weight.data)).toBeCloseTo(bound / Math.sqrt(3), 2);
  });
});

describe('nn.mlp', () => {
  it('builds Linear + activation blocks named as the same nn.Sequential in PyTorch', () => {
    const model = nn.mlp([3, 5, 5, 2]);
    expect(model.namedModules().map(([p, m]) => `${p}:${m.constructor.name}`)).toEqual([
      ':Sequential', '0:Linear', '1:ReLU', '2:Linear', '3:ReLU', '4:Linear',
    ]);
  });

  it('forward equals the direct composition of its layers', () => {
    manualSeed(5);
    const model = nn.mlp([3, 4, 2], { activation: 'tanh', dtype: 'float64' });
    const x = randn([6, 3], { dtype: 'float64' });
    const first = model.at(0) as nn.Linear;
    const last = model.at(2) as nn.Linear;
    const hidden = linearByLoop(x, first.weight, first.bias).map(Math.tanh);
    const expected = linearByLoop(tensor(hidden, { dtype: 'float64' }).reshape([6, 4]), last.weight, last.bias);
    expectAllClose(model.forward(x).data, expected, { rtol: 1e-12 });
  });

  it('residual blocks add their input: x + relu(W·x + b)', () => {
    manualSeed(6);
    const model = nn.mlp([4, 4, 4, 4], { residual: true, dtype: 'float64' });
    expect(model.namedParameters().map(([n]) => n)).toEqual([
      '0.body.0.weight', '0.body.0.bias', '1.body.0.weight', '1.body.0.bias', '2.weight', '2.bias',
    ]);
    const x = randn([2, 4], { dtype: 'float64' });
    const block = (model.at(0) as nn.Residual).body as nn.Sequential;
    const linear = block.at(0) as nn.Linear;
    const expected = linearByLoop(x, linear.weight, linear.bias).map((v, i) => x.data[i]! + Math.max(v, 0));
    expectAllClose((model.at(0) as nn.Residual).forward(x).data, expected, { rtol: 1e-12 });
  });

  it('He init draws std √(2/in), scaled by gain, with zero biases', () => {
    manualSeed(7);
    const model = nn.mlp([256, 256, 256], { init: 'kaimingNormal' });
    const weight = (model.at(0) as nn.Linear).weight;
    expect(sampleStd(weight.data) / Math.sqrt(2 / 256)).toBeCloseTo(1, 1);
    expect(Array.from((model.at(0) as nn.Linear).bias!.data).every((v) => v === 0)).toBe(true);
    const loud = nn.mlp([256, 256, 256], { init: 'kaimingNormal', gain: 3 });
    expect(sampleStd((loud.at(0) as nn.Linear).weight.data) / Math.sqrt(2 / 256)).toBeCloseTo(3, 1);
  });

  it('a large gain makes a deep ReLU stack explode, gain 1 keeps its scale', () => {
    manualSeed(8);
    const x = randn([64, 32]);
    const scale = (gain: number): number => {
      const model = nn.mlp([32, ...Array<number>(20).fill(64), 10], { init: 'kaimingNormal', gain });
      return sampleStd(model.forward(x).data) / sampleStd(x.data);
    };
    expect(scale(1)).toBeGreaterThan(0.1);
    expect(scale(1)).toBeLessThan(10);
    expect(scale(2)).toBeGreaterThan(1e4);
  });

  it('passes gradcheck as a whole network, inputs and parameters, in float64', () => {
    manualSeed(9);
    const model = nn.mlp([3, 4, 4, 2], { activation: 'tanh', dtype: 'float64' });
    const x = randn([5, 3], { dtype: 'float64', requiresGrad: true });
    const params = model.parameters();
    expect(gradcheck((input) => model.forward(input), [x, ...params])).toBe(true);
    const gelu = nn.mlp([3, 4, 2], { activation: 'gelu', dtype: 'float64' });
    expect(gradcheck((input) => gelu.forward(input), [x, ...gelu.parameters()])).toBe(true);
  });
});

describe('nn.LayerNorm', () => {
  /** (x − mean)/√(var + eps)·w + b over the last axis, biased variance, by a direct loop. */
  function layerNormByLoop(x: Tensor, weight: Tensor, bias: Tensor, eps: number): number[] {
    const [rows, features] = x.shape as [number, number];
    const out: number[] = [];
    for (let r = 0; r < rows; r++) {
      const row = Array.from(x.data.subarray(r * features, (r + 1) * features));
      const mean = row.reduce((a, b) => a + b, 0) / features;
      const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / features;
      row.forEach((v, i) => out.push(((v - mean) / Math.sqrt(variance + eps)) * weight.data[i]! + bias.data[i]!));
    }
    return out;
  }

  it('normalises the last axis with eps 1e-5 and the biased variance', () => {
    manualSeed(10);
    const norm = new nn.LayerNorm(6, { dtype: 'float64' });
    expect(norm.eps).toBe(1e-5);
    expect(Array.from(norm.weight!.data)).toEqual([1, 1, 1, 1, 1, 1]);
    norm.weight!.data.set(randn([6], { dtype: 'float64' }).data);
    norm.bias!.data.set(randn([6], { dtype: 'float64' }).data);
    const x = randn([3, 6], { dtype: 'float64' }).mul(3).add(1);
    expectAllClose(norm.forward(x).data, layerNormByLoop(x, norm.weight!, norm.bias!, 1e-5), { rtol: 1e-10 });
  });

  it('passes gradcheck for input, weight and bias', () => {
    manualSeed(11);
    const norm = new nn.LayerNorm(4, { dtype: 'float64' });
    norm.weight!.data.set([0.5, -1, 2, 1.5]);
    const x = randn([3, 4], { dtype: 'float64', requiresGrad: true });
    expect(gradcheck((input) => norm.forward(input), [x, norm.weight!, norm.bias!])).toBe(true);
  });

  it('normalises several trailing dimensions together', () => {
    const norm = new nn.LayerNorm([2, 2], { elementwiseAffine: false, dtype: 'float64' });
    const out = norm.forward(tensor([[[1, 2], [3, 4]]], { dtype: 'float64' }));
    const std = Math.sqrt(1.25 + 1e-5);
    expectAllClose(out.data, [-1.5 / std, -0.5 / std, 0.5 / std, 1.5 / std], { rtol: 1e-12 });
    expect(norm.parameters()).toEqual([]);
  });
});

describe('nn.GELU', () => {
  it('matches x·Φ(x) with the exact erf', () => {
    // erf values from Abramowitz & Stegun table 7.1
    expectAllClose([erf(0.5), erf(1), erf(2), erf(3)], [0.5204998778130465, 0.8427007929497149, 0.9953222650189527, 0.9999779095030014], { rtol: 1e-14 });
    expectAllClose([normalCdf(-5), normalCdf(-10)], [2.866515718791939e-7, 7.61985302416047e-24], { rtol: 1e-12 });
    const out = new nn.GELU().forward(tensor([-1, 0, 0.5, 1], { dtype: 'float64' }));
    expectAllClose(out.data, [-0.15865525393145707, 0, 0.34573123063700656, 0.8413447460685429], { rtol: 1e-14 });
  });

  it('has the gradient Φ(x) + x·φ(x) across both erf branches', () => {
    const x = tensor([-6, -3.6, -3.5, -1, 0, 0.7, 3.5, 3.6, 6], { dtype: 'float64', requiresGrad: true });
    expect(gradcheck((v) => nn.gelu(v), [x])).toBe(true);
  });
});

describe('nn.Dropout', () => {
  it('passes its input through in eval mode', () => {
    const x = randn([4, 4]);
    expect(new nn.Dropout(0.5).eval().forward(x)).toBe(x);
  });

  it('zeroes about p of the elements and scales the rest by 1/(1 − p)', () => {
    manualSeed(12);
    const out = new nn.Dropout(0.25).forward(tensor(new Float32Array(10_000).fill(1)));
    const zeros = Array.from(out.data).filter((v) => v === 0).length;
    expect(zeros / 10_000).toBeCloseTo(0.25, 1);
    expect(Array.from(out.data).every((v) => v === 0 || Math.abs(v - 1 / 0.75) < 1e-6)).toBe(true);
  });

  it('draws the same mask for the same seed, and p = 1 gives zeros', () => {
    const x = randn([8, 8]);
    manualSeed(13);
    const a = new nn.Dropout(0.5).forward(x);
    manualSeed(13);
    const b = new nn.Dropout(0.5).forward(x);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(Array.from(new nn.Dropout(1).forward(x).data).every((v) => v === 0)).toBe(true);
  });
});

describe('nn.init', () => {
  it('uses PyTorch gains and bounds', () => {
    expect(nn.init.calculateGain('relu')).toBe(Math.SQRT2);
    expect(nn.init.calculateGain('tanh')).toBe(5 / 3);
    expect(nn.init.calculateGain('leakyRelu', 0.2)).toBeCloseTo(Math.sqrt(2 / 1.04), 15);
    manualSeed(14);
    const w = tensor(new Float32Array(200 * 100), { shape: [200, 100] });
    nn.init.kaimingUniform(w, { nonlinearity: 'relu' });
    const heBound = Math.SQRT2 * Math.sqrt(3 / 100);
    expect(Math.max(...Array.from(w.data, Math.abs))).toBeLessThanOrEqual(heBound);
    expect(Math.max(...Array.from(w.data, Math.abs))).toBeGreaterThan(0.99 * heBound);
    nn.init.kaimingNormal(w, { mode: 'fanOut', nonlinearity: 'relu' });
    expect(sampleStd(w.data) / Math.sqrt(2 / 200)).toBeCloseTo(1, 1);
    nn.init.xavierUniform(w);
    expect(Math.max(...Array.from(w.data, Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / 300));
    nn.init.xavierNormal(w, 2);
    expect(sampleStd(w.data) / (2 * Math.sqrt(2 / 300))).toBeCloseTo(1, 1);
  });

  it('fills in place outside the graph and is seeded', () => {
    const a = randn([3, 3], { requiresGrad: true });
    manualSeed(15);
    nn.init.normal(a, 0, 0.02);
    const first = Array.from(a.data);
    manualSeed(15);
    nn.init.normal(a, 0, 0.02);
    expect(Array.from(a.data)).toEqual(first);
    expect(a.isLeaf).toBe(true);
    nn.init.uniform(a, 2, 3);
    expect(Array.from(a.data).every((v) => v >= 2 && v < 3)).toBe(true);
    nn.init.zeros(a);
    expect(Array.from(a.data).every((v) => v === 0)).toBe(true);
  });
});
