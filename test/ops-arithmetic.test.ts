import { describe, expect, it } from 'vitest';
import { tensor } from '../src/index.js';
import { awayFromZero, checkOp, expectAllClose, refMap, refOf, refZip, uniform, withSpecialValues } from './helpers.js';

/** Same shapes, broadcast pairs in both directions, size-1 dims, 0-d operands. */
const BROADCAST_PAIRS: number[][][] = [
  [[2, 3], [2, 3]],
  [[2, 3], [3]],
  [[3], [2, 3]],
  [[3, 3], [3, 1]],
  [[2, 1, 4], [3, 1]],
  [[1, 4], [5, 1]],
  [[], [2, 3]],
  [[2, 3], []],
  [[], []],
];

describe('add', () => {
  it('matches a direct loop and passes gradcheck at broadcast pairs, size-1 dims and 0-d', () => {
    checkOp({ op: (a, b) => a!.add(b!), reference: (a, b) => refZip(a!, b!, (x, y) => x + y), shapes: BROADCAST_PAIRS });
  });

  it('takes a plain number as a 0-d operand of the tensor dtype', () => {
    const x = tensor([1, 2], { dtype: 'float64' });
    const y = x.add(0.5);
    expect(y.dtype).toBe('float64');
    expectAllClose(y, [1.5, 2.5]);
  });

  it('sums the gradient of a broadcast bias over the broadcast rows', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
    const b = tensor([10, 20, 30], { requiresGrad: true });
    x.add(b).sum().backward();
    expectAllClose(b.grad!, [2, 2, 2]);
    expectAllClose(x.grad!, [[1, 1, 1], [1, 1, 1]]);
  });
});

describe('sub', () => {
  it('matches a direct loop and passes gradcheck at broadcast pairs', () => {
    checkOp({ op: (a, b) => a!.sub(b!), reference: (a, b) => refZip(a!, b!, (x, y) => x - y), shapes: BROADCAST_PAIRS });
  });

  it('gives the second operand the negated gradient', () => {
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([5, 7], { requiresGrad: true });
    a.sub(b).sum().backward();
    expectAllClose(a.grad!, [1, 1]);
    expectAllClose(b.grad!, [-1, -1]);
  });
});

describe('mul', () => {
  it('matches a direct loop and passes gradcheck at broadcast pairs', () => {
    checkOp({ op: (a, b) => a!.mul(b!), reference: (a, b) => refZip(a!, b!, (x, y) => x * y), shapes: BROADCAST_PAIRS });
  });

  it('differentiates x·x as 2x (one tensor used twice)', () => {
    const x = tensor([1, -2, 3], { requiresGrad: true, dtype: 'float64' });
    x.mul(x).sum().backward();
    expectAllClose(x.grad!, [2, -4, 6]);
  });
});

describe('div', () => {
  it('matches a direct loop and passes gradcheck with denominators away from 0', () => {
    checkOp({
      op: (a, b) => a!.div(b!),
      reference: (a, b) => refZip(a!, b!, (x, y) => x / y),
      shapes: BROADCAST_PAIRS,
      values: [uniform(-2, 2), awayFromZero(0.5, 2)],
    });
  });

  it('divides by 0 as IEEE does: ±Inf and NaN for 0/0', () => {
    const y = tensor([1, -1, 0]).div(tensor([0, 0, 0]));
    expect(Array.from(y.data)).toEqual([Infinity, -Infinity, NaN]);
  });
});

describe('neg', () => {
  it('matches a direct loop and passes gradcheck', () => {
    checkOp({ op: (x) => x!.neg(), reference: (x) => refMap(x!, (v) => -v), shapes: [[[2, 3]], [[1, 5, 1]], [[]]] });
  });
});

describe('pow', () => {
  it('matches Math.pow for an integer exponent on any sign', () => {
    checkOp({ op: (x) => x!.pow(3), reference: (x) => refMap(x!, (v) => v ** 3), shapes: [[[2, 3]], [[4, 1]], [[]]] });
  });

  it('matches Math.pow for a fractional exponent on positive bases', () => {
    checkOp({
      op: (x) => x!.pow(1.5),
      reference: (x) => refMap(x!, (v) => v ** 1.5),
      shapes: [[[2, 3]], [[1, 4]], [[]]],
      values: uniform(0.5, 3),
    });
  });

  it('matches for exponent 2 (the fast path) and a negative exponent', () => {
    checkOp({ op: (x) => x!.pow(2), reference: (x) => refMap(x!, (v) => v * v), shapes: [[[3, 2]], [[5]]] });
    checkOp({
      op: (x) => x!.pow(-2),
      reference: (x) => refMap(x!, (v) => v ** -2),
      shapes: [[[3, 2]], [[1]]],
      values: awayFromZero(0.5, 2),
    });
  });

  it('has gradient 0 for exponent 0, even at x = 0 (PyTorch)', () => {
    const x = tensor([0, 2, -3], { requiresGrad: true });
    const y = x.pow(0);
    expectAllClose(y, [1, 1, 1]);
    y.sum().backward();
    expectAllClose(x.grad!, [0, 0, 0]);
  });

  it('gives a NaN for a negative base with a fractional exponent, as Math.pow', () => {
    expect(Number.isNaN(tensor([-2]).pow(0.5).item())).toBe(true);
  });
});

describe('large float32 inputs (the kernels fast and SIMD paths)', () => {
  it.each([
    ['add', (a: number, b: number) => a + b],
    ['sub', (a: number, b: number) => a - b],
    ['mul', (a: number, b: number) => a * b],
    ['div', (a: number, b: number) => a / b],
  ] as const)('%s of 1000 and 1027 elements matches the loop bit for bit, NaN, ±Inf and ±0 included', (op, f) => {
    for (const size of [1000, 1027]) {
      const a = withSpecialValues(size, 1);
      const b = withSpecialValues(size, 2);
      const out = tensor(a, { dtype: 'float32' })[op](tensor(b, { dtype: 'float32' }));
      const expected = refZip({ data: a, shape: [size] }, { data: b, shape: [size] }, (x, y) => Math.fround(f(x, y)));
      expect(Array.from(out.data)).toEqual(Array.from(expected.data));
      const row = tensor(a, { dtype: 'float32', shape: [size / (size === 1000 ? 4 : 13), size === 1000 ? 4 : 13] });
      const column = tensor(b.subarray(0, row.shape[0]), { dtype: 'float32', shape: [row.shape[0]!, 1] });
      const broadcast = row[op](column);
      const expectedBroadcast = refZip(refOf(row), refOf(column), (x, y) => Math.fround(f(x, y)));
      expect(Array.from(broadcast.data)).toEqual(Array.from(expectedBroadcast.data));
    }
  });

  it('mul of 1000 float32 elements sends each side the other side times the upstream gradient', () => {
    const a = tensor(withSpecialValues(1000, 3), { dtype: 'float32', requiresGrad: true });
    const b = tensor(withSpecialValues(1000, 4), { dtype: 'float32', requiresGrad: true });
    const upstream = tensor(withSpecialValues(1000, 5), { dtype: 'float32' });
    a.mul(b).backward({ grad: upstream });
    const g = refOf(upstream);
    expect(Array.from(a.grad!.data)).toEqual(Array.from(refZip(g, refOf(b), (x, y) => Math.fround(x * y)).data));
    expect(Array.from(b.grad!.data)).toEqual(Array.from(refZip(g, refOf(a), (x, y) => Math.fround(x * y)).data));
  });
});
