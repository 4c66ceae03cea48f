/**
 * Contract audit (shared/API.md, "Tensors"): every Tensor method, backward() options and errors,
 * noGrad and gradcheck, through the public entry.
 */
import { describe, expect, it } from 'vitest';
import { GradientError, Tensor, gradcheck, manualSeed, noGrad, randn, tensor, zeros } from '../src/index.js';

type Method = (x: Tensor) => Tensor;
const unary: Array<[string, Method, (v: number) => number]> = [
  ['neg', (x) => x.neg(), (v) => -v],
  ['pow(3)', (x) => x.pow(3), (v) => v ** 3],
  ['exp', (x) => x.exp(), Math.exp],
  ['log', (x) => x.abs().add(0.5).log(), (v) => Math.log(Math.abs(v) + 0.5)],
  ['sqrt', (x) => x.abs().add(0.5).sqrt(), (v) => Math.sqrt(Math.abs(v) + 0.5)],
  ['abs', (x) => x.abs(), Math.abs],
  ['clamp(-0.5, 0.5)', (x) => x.clamp(-0.5, 0.5), (v) => Math.min(0.5, Math.max(-0.5, v))],
  ['clamp(min only)', (x) => x.clamp(-0.5), (v) => Math.max(-0.5, v)],
  ['clamp(max only)', (x) => x.clamp(undefined, 0.5), (v) => Math.min(0.5, v)],
  ['relu', (x) => x.relu(), (v) => Math.max(0, v)],
  ['leakyRelu()', (x) => x.leakyRelu(), (v) => (v > 0 ? v : 0.01 * v)],
  ['leakyRelu(0.2)', (x) => x.leakyRelu(0.2), (v) => (v > 0 ? v : 0.2 * v)],
  ['tanh', (x) => x.tanh(), Math.tanh],
  ['sigmoid', (x) => x.sigmoid(), (v) => 1 / (1 + Math.exp(-v))],
];

function sample(shape: number[]): Tensor {
  manualSeed(7);
  // Values kept away from the kinks of relu/abs/clamp so finite differences are valid.
  const t = randn(shape, { dtype: 'float64' });
  t.data.forEach((v, i) => { t.data[i] = Math.abs(v) < 0.1 || Math.abs(Math.abs(v) - 0.5) < 0.05 ? v + 0.2 : v; });
  t.requiresGrad = true;
  return t;
}

describe('contract: elementwise methods', () => {
  it.each(unary)('%s computes the formula and passes gradcheck', (_, method, formula) => {
    const x = sample([3, 4]);
    const y = method(x);
    expect(y.shape).toEqual([3, 4]);
    y.data.forEach((v, i) => expect(v).toBeCloseTo(formula(x.data[i]!), 12));
    expect(gradcheck(method, [x])).toBe(true);
  });

  it('add, sub, mul, div take a tensor or a number and broadcast as NumPy', () => {
    const a = sample([2, 3]);
    const b = tensor([[1.5], [-2]], { dtype: 'float64', requiresGrad: true });
    for (const op of ['add', 'sub', 'mul', 'div'] as const) {
      const out = a[op](b);
      expect(out.shape).toEqual([2, 3]);
      const f = { add: (p: number, q: number) => p + q, sub: (p: number, q: number) => p - q, mul: (p: number, q: number) => p * q, div: (p: number, q: number) => p / q }[op];
      out.data.forEach((v, i) => expect(v).toBeCloseTo(f(a.data[i]!, b.data[Math.floor(i / 3)]!), 12));
      expect(Array.from(a[op](2).data)).toEqual(Array.from(a.data).map((v) => f(v, 2)));
      expect(gradcheck((p, q) => p![op](q!), [a, b])).toBe(true);
    }
  });

  it('broadcasting of incompatible shapes throws a ShapeError naming both shapes', () => {
    expect(() => zeros([2, 3]).add(zeros([4]))).toThrow(/\[2,3\][\s\S]*\[4\]/);
  });
});

describe('contract: matmul, reductions, shapes and softmax', () => {
  it('matmul multiplies 2-D by 2-D', () => {
    const a = tensor([[1, 2], [3, 4], [5, 6]]);
    const b = tensor([[1, 0, 2], [0, 1, 3]]);
    expect(a.matmul(b).toArray()).toEqual([[1, 2, 8], [3, 4, 18], [5, 6, 28]]);
    expect(gradcheck((p, q) => p!.matmul(q!), [sample([3, 2]), sample([2, 4])])).toBe(true);
  });

  it('sum, mean and max along an axis, negative axes and keepDim', () => {
    const x = tensor([[1, 5, 3], [4, 2, 6]]);
    expect(x.sum(0).toArray()).toEqual([5, 7, 9]);
    expect(x.sum(-1).toArray()).toEqual([9, 12]);
    expect(x.sum(1, true).shape).toEqual([2, 1]);
    expect(x.mean(0).toArray()).toEqual([2.5, 3.5, 4.5]);
    expect(x.mean(-1, true).toArray()).toEqual([[3], [4]]);
    expect(x.max(1).toArray()).toEqual([5, 6]);
    expect(x.max(-2, true).toArray()).toEqual([[4, 5, 6]]);
    for (const f of [(t: Tensor) => t.sum(1), (t: Tensor) => t.mean(0, true), (t: Tensor) => t.max(-1)]) {
      expect(gradcheck(f, [sample([3, 4])])).toBe(true);
    }
  });

  it('max along an axis sends the gradient to the first of tied maxima', () => {
    const x = tensor([[2, 7, 7], [3, 3, 1]], { requiresGrad: true });
    x.max(1).sum().backward();
    expect(x.grad!.toArray()).toEqual([[0, 1, 0], [1, 0, 0]]);
  });

  it('a full max() splits the gradient evenly among tied maxima', () => {
    const x = tensor([[2, 7, 7], [7, 3, 1]], { requiresGrad: true });
    x.max().backward();
    expect(Array.from(x.grad!.data)).toEqual([0, 1 / 3, 1 / 3, 1 / 3, 0, 0].map((v) => Math.fround(v)));
  });

  it('reshape and transpose', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(x.reshape([3, 2]).toArray()).toEqual([[1, 2], [3, 4], [5, 6]]);
    expect(x.transpose().toArray()).toEqual([[1, 4], [2, 5], [3, 6]]);
    expect(gradcheck((t) => t.reshape([6]).mul(tensor([1, 2, 3, 4, 5, 6], { dtype: 'float64' })), [sample([2, 3])])).toBe(true);
    expect(gradcheck((t) => t.transpose().matmul(tensor([[1], [2]], { dtype: 'float64' })), [sample([2, 3])])).toBe(true);
  });

  it('softmax and logSoftmax default to the last axis and accept any axis', () => {
    const x = tensor([[1, 2, 3], [0, 0, 0]], { dtype: 'float64' });
    const z = Math.exp(1) + Math.exp(2) + Math.exp(3);
    const s = x.softmax();
    [Math.exp(1) / z, Math.exp(2) / z, Math.exp(3) / z, 1 / 3, 1 / 3, 1 / 3].forEach((v, i) => expect(s.data[i]).toBeCloseTo(v, 12));
    expect(x.logSoftmax().data[0]).toBeCloseTo(1 - Math.log(z), 12);
    const s0 = x.softmax(0);
    expect(s0.data[0]).toBeCloseTo(Math.exp(1) / (Math.exp(1) + 1), 12);
    expect(tensor([[1000, 0]]).logSoftmax(-1).data[1]).toBeCloseTo(-1000, 3);
    expect(gradcheck((t) => t.softmax(0).mul(tensor([[1, 2, 3, 4]], { dtype: 'float64' })), [sample([3, 4])])).toBe(true);
    expect(gradcheck((t) => t.logSoftmax(), [sample([3, 4])])).toBe(true);
  });

  it('detach, item and toArray', () => {
    const x = tensor([[1, 2]], { requiresGrad: true });
    const d = x.mul(2).detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.toArray()).toEqual([[2, 4]]);
    expect(tensor([[5]]).item()).toBe(5);
    expect(() => x.item()).toThrow();
  });
});

describe('contract: backward()', () => {
  it('accumulates into the .grad of leaves with requiresGrad, as PyTorch', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const c = tensor([1, 1, 1]);
    x.mul(x).sum().backward();
    x.mul(3).sum().backward();
    expect(x.grad!.toArray()).toEqual([5, 7, 9]);
    expect(c.grad).toBeNull();
  });

  it('needs an explicit grad for a non-scalar output, and uses it', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.mul(x);
    expect(() => y.backward()).toThrow(GradientError);
    y.backward({ grad: tensor([1, 10]) });
    expect(x.grad!.toArray()).toEqual([2, 40]);
  });

  it('throws on a second pass through a freed graph, unless retainGraph', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.exp().sum();
    y.backward({ retainGraph: true });
    y.backward();
    expect(x.grad!.data[0]).toBeCloseTo(2 * Math.E, 5);
    expect(() => y.backward()).toThrow(/free|retainGraph/i);
  });

  it('returns a BackwardReport', () => {
    const w = tensor([3, 4], { requiresGrad: true });
    const report = w.mul(tensor([1, 1])).sum().backward();
    expect(report.ok).toBe(true);
    expect(report.clipScale).toBe(1);
    expect(report.nonFinite).toBeNull();
    expect(report.totalNorm).toBeCloseTo(Math.SQRT2, 6);
  });
});

describe('contract: noGrad and gradcheck', () => {
  it('noGrad records no graph and returns the result of fn', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = noGrad(() => x.mul(2));
    expect(y.requiresGrad).toBe(false);
    expect(y.node).toBeNull();
    expect(noGrad(() => 42)).toBe(42);
  });

  it('gradcheck returns true for a correct gradient', () => {
    expect(gradcheck((x) => x.tanh().logSoftmax(1).sum(), [sample([3, 4])])).toBe(true);
    expect(gradcheck((x) => x.pow(2).sum(), [sample([2])], { eps: 1e-5, atol: 1e-4, rtol: 1e-2 })).toBe(true);
  });

  it('gradcheck names the input index, the element and both values when they disagree', () => {
    const a = sample([2]);
    const b = sample([3]);
    // A wrong gradient: detach part of the second input so the analytic gradient misses it.
    const wrong = (p: Tensor, q: Tensor): Tensor => p.sum().add(q.mul(q.detach()).sum());
    let message = '';
    try {
      gradcheck((p, q) => wrong(p!, q!), [a, b]);
    } catch (error) {
      expect(error).toBeInstanceOf(GradientError);
      message = (error as Error).message;
    }
    expect(message).toMatch(/input 1/);
    expect(message).toMatch(/element 0/);
    expect(message).toContain(`analytic ${b.data[0]}`);
    expect(message).toMatch(new RegExp(`numeric ${(2 * b.data[0]!).toPrecision(4).slice(0, 4).replace('.', '\\.')}`));
  });

  it('gradcheck uses the documented tolerances atol 1e-5 and rtol 1e-3 by default', () => {
    const x = tensor([0.7], { dtype: 'float64', requiresGrad: true });
    // value t (numeric derivative 1), analytic derivative 1 + delta: passes iff delta <= atol + rtol.
    const offBy = (delta: number) => (t: Tensor): Tensor => t.mul(1 + delta).sub(t.detach().mul(delta));
    expect(gradcheck(offBy(0.9e-3), [x])).toBe(true);
    expect(() => gradcheck(offBy(1.2e-3), [x])).toThrow(GradientError);
    expect(gradcheck(offBy(1.2e-3), [x], { rtol: 3e-3 })).toBe(true);
    // value 0 (numeric derivative 0), analytic derivative delta: passes iff delta <= atol.
    const zeroOffBy = (delta: number) => (t: Tensor): Tensor => t.mul(delta).sub(t.detach().mul(delta));
    expect(gradcheck(zeroOffBy(0.8e-5), [x])).toBe(true);
    expect(() => gradcheck(zeroOffBy(2e-5), [x])).toThrow(GradientError);
    expect(gradcheck(zeroOffBy(2e-5), [x], { atol: 3e-5 })).toBe(true);
  });
});
