import { describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '../src/index.js';
import { avoiding, awayFromZero, checkOp, expectAllClose, refMap, uniform, withSpecialValues } from './helpers.js';

const SHAPES: number[][][] = [[[2, 3]], [[1, 4, 1]], [[]], [[5]]];

/** Gradient of sum(f(x)) at the given points, in float64. */
function gradientAt(points: number[], f: (x: Tensor) => Tensor): number[] {
  const x = tensor(points, { dtype: 'float64', requiresGrad: true });
  f(x).sum().backward();
  return Array.from(x.grad!.data);
}

describe('exp, log, sqrt, tanh, sigmoid', () => {
  it('exp matches Math.exp and passes gradcheck', () => {
    checkOp({ op: (x) => x!.exp(), reference: (x) => refMap(x!, Math.exp), shapes: SHAPES });
  });

  it('log matches Math.log on positive inputs and passes gradcheck', () => {
    checkOp({ op: (x) => x!.log(), reference: (x) => refMap(x!, Math.log), shapes: SHAPES, values: uniform(0.2, 4) });
  });

  it('sqrt matches Math.sqrt on positive inputs and passes gradcheck', () => {
    checkOp({ op: (x) => x!.sqrt(), reference: (x) => refMap(x!, Math.sqrt), shapes: SHAPES, values: uniform(0.2, 4) });
  });

  it('tanh matches Math.tanh and passes gradcheck', () => {
    checkOp({ op: (x) => x!.tanh(), reference: (x) => refMap(x!, Math.tanh), shapes: SHAPES, values: uniform(-3, 3) });
  });

  it('sigmoid matches 1 / (1 + e^-x) and passes gradcheck', () => {
    checkOp({ op: (x) => x!.sigmoid(), reference: (x) => refMap(x!, (v) => 1 / (1 + Math.exp(-v))), shapes: SHAPES, values: uniform(-5, 5) });
  });

  it('sigmoid stays finite and exact at large |x|', () => {
    const y = tensor([-800, -40, 40, 800], { dtype: 'float64' }).sigmoid();
    expectAllClose(y, [0, Math.exp(-40) / (1 + Math.exp(-40)), 1 / (1 + Math.exp(-40)), 1], { rtol: 1e-12 });
  });

  it('log and sqrt at 0 and below follow IEEE: -Inf, NaN, and an infinite sqrt gradient at 0', () => {
    expect(Array.from(tensor([0, -1]).log().data)).toEqual([-Infinity, NaN]);
    expect(Array.from(tensor([0, -1]).sqrt().data)).toEqual([0, NaN]);
    expect(gradientAt([0], (x) => x.sqrt())).toEqual([Infinity]);
  });
});

describe('abs', () => {
  it('matches Math.abs away from 0 and passes gradcheck', () => {
    checkOp({ op: (x) => x!.abs(), reference: (x) => refMap(x!, Math.abs), shapes: SHAPES, values: awayFromZero(0.1, 2) });
  });

  it("has abs'(0) = 0 (PyTorch's sign(0) = 0)", () => {
    expect(gradientAt([-1, 0, 1], (x) => x.abs())).toEqual([-1, 0, 1]);
  });
});

describe('relu and leakyRelu', () => {
  it('relu matches max(x, 0) away from 0 and passes gradcheck', () => {
    checkOp({ op: (x) => x!.relu(), reference: (x) => refMap(x!, (v) => Math.max(v, 0)), shapes: SHAPES, values: awayFromZero(0.1, 2) });
  });

  it("has relu'(0) = 0 (PyTorch)", () => {
    expect(gradientAt([-1, 0, 1], (x) => x.relu())).toEqual([0, 0, 1]);
  });

  it('relu keeps NaN (relu(NaN) is NaN, not 0) and maps -Inf to 0', () => {
    const y = tensor([NaN, -Infinity, Infinity]).relu();
    expect(Array.from(y.data)).toEqual([NaN, 0, Infinity]);
  });

  it('leakyRelu matches x > 0 ? x : slope·x for the default and a custom slope', () => {
    checkOp({ op: (x) => x!.leakyRelu(), reference: (x) => refMap(x!, (v) => (v > 0 ? v : 0.01 * v)), shapes: SHAPES, values: awayFromZero(0.1, 2) });
    checkOp({ op: (x) => x!.leakyRelu(0.2), reference: (x) => refMap(x!, (v) => (v > 0 ? v : 0.2 * v)), shapes: SHAPES, values: awayFromZero(0.1, 2) });
  });

  it('has leakyRelu gradient slope at 0 (PyTorch: x > 0 ? 1 : slope)', () => {
    expectAllClose(gradientAt([-1, 0, 1], (x) => x.leakyRelu(0.2)), [0.2, 0.2, 1]);
  });
});

describe('clamp', () => {
  it('matches min(max(x, lo), hi) away from the bounds and passes gradcheck', () => {
    checkOp({
      op: (x) => x!.clamp(-0.5, 0.5),
      reference: (x) => refMap(x!, (v) => Math.min(Math.max(v, -0.5), 0.5)),
      shapes: SHAPES,
      values: avoiding([-0.5, 0.5], 0.05),
    });
  });

  it('takes one bound only', () => {
    checkOp({ op: (x) => x!.clamp(0.3), reference: (x) => refMap(x!, (v) => Math.max(v, 0.3)), shapes: SHAPES, values: avoiding([0.3], 0.05) });
    checkOp({ op: (x) => x!.clamp(undefined, -0.3), reference: (x) => refMap(x!, (v) => Math.min(v, -0.3)), shapes: SHAPES, values: avoiding([-0.3], 0.05) });
  });

  it('passes the gradient at the bounds themselves (PyTorch: lo ≤ x ≤ hi)', () => {
    expect(gradientAt([-2, -1, 0, 1, 2], (x) => x.clamp(-1, 1))).toEqual([0, 1, 1, 1, 0]);
  });

  it('gives hi everywhere when lo > hi, as torch.clamp', () => {
    expectAllClose(tensor([-5, 0, 5]).clamp(2, 1), [1, 1, 1]);
  });

  it('keeps NaN', () => {
    expect(Number.isNaN(tensor([NaN]).clamp(-1, 1).item())).toBe(true);
  });
});

describe('large float32 inputs (the kernels fast and SIMD paths)', () => {
  const unary: Array<[string, (t: Tensor) => Tensor, (v: number) => number]> = [
    ['relu', (t) => t.relu(), (v) => Math.max(v, 0)],
    ['neg', (t) => t.neg(), (v) => -v],
    ['abs', (t) => t.abs(), Math.abs],
    ['clamp', (t) => t.clamp(-1, 1), (v) => Math.min(Math.max(v, -1), 1)],
    ['leakyRelu', (t) => t.leakyRelu(0.25), (v) => (v > 0 ? v : 0.25 * v)],
  ];

  it.each(unary)('%s of 1000 and 1027 float32 elements matches the loop bit for bit, NaN, ±Inf and ±0 included', (_name, op, f) => {
    for (const size of [1000, 1027]) {
      const x = withSpecialValues(size, 6);
      const out = op(tensor(x, { dtype: 'float32' }));
      expect(Array.from(out.data)).toEqual(Array.from(x, (v) => Math.fround(f(v))));
    }
  });

  it('relu backward on 1000 float32 elements passes the gradient exactly where x > 0 (and at NaN, as PyTorch)', () => {
    const values = withSpecialValues(1000, 7);
    const x = tensor(values, { dtype: 'float32', requiresGrad: true });
    const upstream = withSpecialValues(1000, 8);
    x.relu().backward({ grad: tensor(upstream, { dtype: 'float32' }) });
    expect(Array.from(x.grad!.data)).toEqual(Array.from(values, (v, i) => (v <= 0 ? 0 : upstream[i]!)));
  });
});
