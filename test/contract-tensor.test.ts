/**
 * Contract audit (shared/API.md, "Entry points" and "Tensors"): every name and behaviour, used
 * exactly as a user would, through the package's public entry.
 */
import { describe, expect, it } from 'vitest';
import {
  Tensor, tensor, zeros, ones, full, rand, randn, arange, manualSeed, noGrad, gradcheck,
  nn, optim, guards, data, ShapeError, NonFiniteError,
} from '../src/index.js';

describe('contract: the documented import line', () => {
  it('provides every name of the import line', () => {
    const values = { Tensor, tensor, zeros, ones, full, rand, randn, arange, manualSeed, noGrad, gradcheck, ShapeError, NonFiniteError };
    for (const [name, value] of Object.entries(values)) expect(typeof value, name).toBe('function');
    for (const namespace of [nn, optim, guards, data]) expect(typeof namespace).toBe('object');
  });
});

describe('contract: tensor() and its options', () => {
  it('reads a number as a 0-d float32 tensor', () => {
    const t = tensor(3);
    expect(t.shape).toEqual([]);
    expect(t.size).toBe(1);
    expect(t.ndim).toBe(0);
    expect(t.dtype).toBe('float32');
    expect(t.item()).toBe(3);
  });

  it('reads nested arrays row-major and honours dtype and requiresGrad', () => {
    const t = tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float64', requiresGrad: true });
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('float64');
    expect(t.data).toBeInstanceOf(Float64Array);
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(t.requiresGrad).toBe(true);
    expect(t.grad).toBeNull();
  });

  it('takes a typed array as 1-D by default and reshapes it with options.shape', () => {
    expect(tensor(new Float32Array([1, 2, 3, 4])).shape).toEqual([4]);
    const t = tensor(new Float64Array([1, 2, 3, 4, 5, 6]), { shape: [3, 2] });
    expect(t.shape).toEqual([3, 2]);
    expect(t.dtype).toBe('float64');
    expect(t.toArray()).toEqual([[1, 2], [3, 4], [5, 6]]);
  });

  it('rejects a shape that does not match the data with a ShapeError', () => {
    expect(() => tensor(new Float32Array(5), { shape: [2, 3] })).toThrow(ShapeError);
  });
});

describe('contract: creation functions', () => {
  it('zeros, ones and full fill with the value and take options', () => {
    expect(Array.from(zeros([2, 2]).data)).toEqual([0, 0, 0, 0]);
    expect(ones([3], { dtype: 'float64' }).dtype).toBe('float64');
    expect(Array.from(ones([3]).data)).toEqual([1, 1, 1]);
    const f = full([2, 3], 0.5, { requiresGrad: true });
    expect(f.shape).toEqual([2, 3]);
    expect(Array.from(f.data).every((v) => v === 0.5)).toBe(true);
    expect(f.requiresGrad).toBe(true);
  });

  it('rand is uniform in [0, 1) and randn standard normal', () => {
    manualSeed(1);
    const u = rand([20000]);
    const values = Array.from(u.data);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    expect(values.reduce((a, b) => a + b, 0) / values.length).toBeCloseTo(0.5, 1);
    const n = Array.from(randn([20000], { dtype: 'float64' }).data);
    const mean = n.reduce((a, b) => a + b, 0) / n.length;
    const variance = n.reduce((a, b) => a + (b - mean) ** 2, 0) / n.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(variance).toBeGreaterThan(0.95);
    expect(variance).toBeLessThan(1.05);
  });

  it('manualSeed makes the global generator repeat itself', () => {
    manualSeed(42);
    const first = [...rand([5]).data, ...randn([5]).data];
    manualSeed(42);
    const second = [...rand([5]).data, ...randn([5]).data];
    expect(second).toEqual(first);
  });

  it('arange(end) and arange(start, end, step)', () => {
    expect(Array.from(arange(4).data)).toEqual([0, 1, 2, 3]);
    expect(Array.from(arange(2, 8, 2).data)).toEqual([2, 4, 6]);
    expect(Array.from(arange(1, 4).data)).toEqual([1, 2, 3]);
  });
});

describe('contract: 0-d tensors', () => {
  const x = tensor([[1, -2], [3, 4]]);
  it.each([
    ['sum', () => x.sum(), 6],
    ['mean', () => x.mean(), 1.5],
    ['max', () => x.max(), 4],
    ['crossEntropy mean', () => nn.crossEntropy(x, [0, 1]), (Math.log(Math.exp(1) + Math.exp(-2)) - 1 + Math.log(Math.exp(3) + Math.exp(4)) - 4) / 2],
    ['crossEntropy sum', () => nn.crossEntropy(x, [0, 1], { reduction: 'sum' }), Math.log(Math.exp(1) + Math.exp(-2)) - 1 + Math.log(Math.exp(3) + Math.exp(4)) - 4],
    ['mseLoss mean', () => nn.mseLoss(x, zeros([2, 2])), (1 + 4 + 9 + 16) / 4],
    ['mseLoss sum', () => nn.mseLoss(x, zeros([2, 2]), { reduction: 'sum' }), 30],
  ])('%s has shape [] and size 1', (_, make, expected) => {
    const t = make();
    expect(t.shape).toEqual([]);
    expect(t.size).toBe(1);
    expect(t.item()).toBeCloseTo(expected, 5);
  });
});

describe('contract: dtype promotion', () => {
  const f32 = tensor([1, 2], { dtype: 'float32' });
  const f64 = tensor([1, 2], { dtype: 'float64' });
  it('float32 with float64 gives float64, both ways and for every binary op', () => {
    for (const op of ['add', 'sub', 'mul', 'div'] as const) {
      expect(f32[op](f64).dtype).toBe('float64');
      expect(f64[op](f32).dtype).toBe('float64');
    }
  });
  it('a 0-d tensor or a plain number takes the other operand dtype', () => {
    expect(f32.add(tensor(2, { dtype: 'float64' })).dtype).toBe('float32');
    expect(tensor(2, { dtype: 'float64' }).mul(f32).dtype).toBe('float32');
    expect(f64.add(tensor(2)).dtype).toBe('float64');
    expect(f32.mul(0.1).dtype).toBe('float32');
    expect(f64.mul(0.1).dtype).toBe('float64');
  });
  it('the gradient of a promoted input keeps the input dtype', () => {
    const a = tensor([1, 2], { requiresGrad: true });
    a.mul(tensor([3, 4], { dtype: 'float64' })).sum().backward();
    expect(a.grad?.dtype).toBe('float32');
    expect(Array.from(a.grad!.data)).toEqual([3, 4]);
  });
});

describe('contract: NaN and ±Inf propagate as in PyTorch', () => {
  const special = tensor([NaN, Infinity, -Infinity]);
  it('relu, leakyRelu, clamp and max keep NaN', () => {
    expect(Number.isNaN(special.relu().data[0])).toBe(true);
    expect(Array.from(special.relu().data.slice(1))).toEqual([Infinity, 0]);
    expect(Number.isNaN(special.leakyRelu().data[0])).toBe(true);
    expect(Number.isNaN(special.clamp(-1, 1).data[0])).toBe(true);
    expect(Array.from(special.clamp(-1, 1).data.slice(1))).toEqual([1, -1]);
    expect(Number.isNaN(special.max().item())).toBe(true);
    expect(Number.isNaN(tensor([[1, NaN], [2, 3]]).max(1).data[0])).toBe(true);
  });
  it('tanh, sigmoid, exp, abs and sums follow IEEE arithmetic', () => {
    expect(Array.from(special.tanh().data.slice(1))).toEqual([1, -1]);
    expect(Array.from(special.sigmoid().data.slice(1))).toEqual([1, 0]);
    expect(Array.from(special.exp().data.slice(1))).toEqual([Infinity, 0]);
    expect(Array.from(special.abs().data.slice(1))).toEqual([Infinity, Infinity]);
    expect(Number.isNaN(special.sum().item())).toBe(true);
    expect(Number.isNaN(tensor([Infinity, -Infinity]).sum().item())).toBe(true);
    expect(Number.isNaN(tensor([[NaN, 1, 2]]).softmax().data[1])).toBe(true);
  });
  it('matmul with a NaN gives NaN where it is used', () => {
    const out = tensor([[NaN, 1], [1, 1]]).matmul(tensor([[1, 0], [0, 1]]));
    expect(Number.isNaN(out.data[0])).toBe(true);
    expect(Number.isNaN(out.data[1])).toBe(true);
    expect(Array.from(out.data.slice(2))).toEqual([1, 1]);
  });
});

describe('contract: NaN reaches the output of every op', () => {
  const x = tensor([[NaN, 1], [2, 3]], { dtype: 'float64' });
  const ops: Array<[string, () => Tensor]> = [
    ['add', () => x.add(1)], ['sub', () => x.sub(tensor([1, 1], { dtype: 'float64' }))], ['mul', () => x.mul(0)], ['div', () => x.div(2)],
    ['neg', () => x.neg()], ['pow', () => x.pow(2)], ['exp', () => x.exp()], ['log', () => x.log()], ['sqrt', () => x.sqrt()],
    ['abs', () => x.abs()], ['clamp', () => x.clamp(0, 1)], ['relu', () => x.relu()], ['leakyRelu', () => x.leakyRelu()],
    ['tanh', () => x.tanh()], ['sigmoid', () => x.sigmoid()], ['matmul', () => x.matmul(tensor([[0, 0], [0, 0]], { dtype: 'float64' }))],
    ['sum', () => x.sum(1)], ['mean', () => x.mean(1)], ['max', () => x.max(1)], ['reshape', () => x.reshape([4])],
    ['transpose', () => x.transpose()], ['softmax', () => x.softmax()], ['logSoftmax', () => x.logSoftmax()],
    ['crossEntropy', () => nn.crossEntropy(x, [1, 0], { reduction: 'none' })], ['mseLoss', () => nn.mseLoss(x, zeros([2, 2], { dtype: 'float64' }), { reduction: 'none' })],
  ];
  it.each(ops)('%s', (_, op) => {
    expect(Number.isNaN(op().data[0])).toBe(true);
  });
});

describe('contract: manualSeed gives the same numbers on every machine', () => {
  /** xoshiro128** (Blackman & Vigna), seeded by SplitMix32, in BigInt arithmetic mod 2³². */
  function referenceUniforms(seed: number, count: number): number[] {
    const M = 0xffffffffn;
    const mul = (a: bigint, b: bigint): bigint => (a * b) & M;
    const rotl = (x: bigint, k: bigint): bigint => ((x << k) | (x >> (32n - k))) & M;
    let state = BigInt(seed);
    const splitmix = (): bigint => {
      state = (state + 0x9e3779b9n) & M;
      let z = state;
      z = mul(z ^ (z >> 16n), 0x85ebca6bn);
      z = mul(z ^ (z >> 13n), 0xc2b2ae35n);
      return z ^ (z >> 16n);
    };
    let [s0, s1, s2, s3] = [splitmix(), splitmix(), splitmix(), splitmix()];
    const out: number[] = [];
    for (let i = 0; i < count; i++) {
      const result = mul(rotl(mul(s1, 5n), 7n), 9n);
      const t = (s1 << 9n) & M;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = rotl(s3, 11n);
      out.push(Number(result >> 8n) / 2 ** 24);
    }
    return out;
  }

  it('rand follows the documented xoshiro128** stream (24-bit uniforms)', () => {
    manualSeed(42);
    expect(Array.from(rand([6], { dtype: 'float64' }).data)).toEqual(referenceUniforms(42, 6));
    manualSeed(7);
    expect(Array.from(rand([4]).data)).toEqual(referenceUniforms(7, 4));
  });
});

describe('contract: 0-d tensors work with every op, as in PyTorch', () => {
  it('broadcast, reduce, reshape and differentiate', () => {
    expect(tensor(2).add(tensor(3)).shape).toEqual([]);
    expect(tensor(2).add(tensor([1, 2])).toArray()).toEqual([3, 4]);
    expect(tensor(2).sum().shape).toEqual([]);
    expect(tensor(2).reshape([1, 1]).shape).toEqual([1, 1]);
    expect(tensor([2]).reshape([]).shape).toEqual([]);
    expect(zeros([]).size).toBe(1);
    expect(tensor(0).exp().toArray()).toBe(1);
    const s = tensor(2, { requiresGrad: true });
    s.mul(tensor([1, 2, 3])).sum().backward();
    expect(s.grad!.shape).toEqual([]);
    expect(s.grad!.item()).toBe(6);
  });

  it('rejects ragged nested arrays with a ShapeError', () => {
    expect(() => tensor([[1, 2], [3]])).toThrow(ShapeError);
  });
});
