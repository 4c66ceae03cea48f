import { describe, expect, it } from 'vitest';
import { tensor } from '../src/index.js';
import { checkOp, distinct, expectAllClose, nanMax, refMap, refOf, refReduce, sizeOfShape, type Ref } from './helpers.js';

const add = (a: number, b: number): number => a + b;

/** Every axis (positive and negative) of a few shapes with size-1 dims, with and without keepDim. */
const AXIS_CASES: Array<{ shape: number[]; axis: number; keepDim: boolean }> = [
  { shape: [2, 3], axis: 0, keepDim: false },
  { shape: [2, 3], axis: 1, keepDim: true },
  { shape: [2, 3], axis: -1, keepDim: false },
  { shape: [2, 1, 4], axis: 1, keepDim: false },
  { shape: [2, 3, 4], axis: 1, keepDim: true },
  { shape: [3, 2, 2], axis: -3, keepDim: false },
  { shape: [5], axis: 0, keepDim: false },
  { shape: [1, 1], axis: 0, keepDim: true },
];

const FULL_SHAPES: number[][][] = [[[2, 3]], [[1, 4, 1]], [[]], [[7]]];

function mean(x: Ref, axis: number | null, keepDim: boolean): Ref {
  const total = refReduce(x, axis, keepDim, add);
  const count = axis === null ? sizeOfShape(x.shape) : x.shape[axis < 0 ? axis + x.shape.length : axis]!;
  return refMap(total, (v) => v / count);
}

describe('sum', () => {
  it('sums every element into a 0-d tensor and passes gradcheck', () => {
    checkOp({ op: (x) => x!.sum(), reference: (x) => refReduce(x!, null, false, add), shapes: FULL_SHAPES });
    expect(tensor([[1, 2], [3, 4]]).sum().shape).toEqual([]);
  });

  it.each(AXIS_CASES)('sums along axis $axis of $shape (keepDim $keepDim) and passes gradcheck', ({ shape, axis, keepDim }) => {
    checkOp({ op: (x) => x!.sum(axis, keepDim), reference: (x) => refReduce(x!, axis, keepDim, add), shapes: [[shape]] });
  });

  it('accumulates float32 sums in float64 (1e8 + 1 − 1e8 loses nothing before the final rounding)', () => {
    const x = new Float32Array(1001).fill(1);
    x[0] = 1e8;
    expect(tensor(x).sum().item()).toBe(Math.fround(1e8 + 1000));
  });
});

describe('mean', () => {
  it('averages every element into a 0-d tensor and passes gradcheck', () => {
    checkOp({ op: (x) => x!.mean(), reference: (x) => mean(x!, null, false), shapes: FULL_SHAPES });
  });

  it.each(AXIS_CASES)('averages along axis $axis of $shape (keepDim $keepDim) and passes gradcheck', ({ shape, axis, keepDim }) => {
    checkOp({ op: (x) => x!.mean(axis, keepDim), reference: (x) => mean(x!, axis, keepDim), shapes: [[shape]] });
  });
});

describe('max', () => {
  it('takes the maximum of every element into a 0-d tensor and passes gradcheck away from ties', () => {
    checkOp({ op: (x) => x!.max(), reference: (x) => refReduce(x!, null, false, nanMax), shapes: FULL_SHAPES, values: distinct });
  });

  it.each(AXIS_CASES)('takes the maximum along axis $axis of $shape (keepDim $keepDim) and passes gradcheck', ({ shape, axis, keepDim }) => {
    checkOp({ op: (x) => x!.max(axis, keepDim), reference: (x) => refReduce(x!, axis, keepDim, nanMax), shapes: [[shape]], values: distinct });
  });

  it('sends the gradient to the first maximal element along an axis (torch.max(dim))', () => {
    const x = tensor([[1, 3, 3], [2, 2, 1], [5, 5, 5]], { requiresGrad: true });
    x.max(1).sum().backward();
    expectAllClose(x.grad!, [[0, 1, 0], [1, 0, 0], [1, 0, 0]]);
  });

  it('sends the gradient to the first maximum along axis 0 too', () => {
    const x = tensor([[4, 1], [4, 2]], { requiresGrad: true });
    x.max(0).sum().backward();
    expectAllClose(x.grad!, [[1, 0], [0, 1]]);
  });

  it('splits the gradient evenly among ties for a full max() (torch.max())', () => {
    const x = tensor([1, 3, 3, 2, 3], { requiresGrad: true });
    x.max().mul(6).backward();
    expectAllClose(x.grad!, [0, 2, 2, 0, 2]);
  });

  it('lets NaN win, as torch.max', () => {
    expect(Number.isNaN(tensor([1, NaN, 3]).max().item())).toBe(true);
    const rows = tensor([[1, NaN], [3, 2]]).max(1);
    expect(Array.from(rows.data)).toEqual([NaN, 3]);
  });

  it('returns -Inf rows as -Inf and +Inf as the maximum', () => {
    expect(Array.from(tensor([[-Infinity, -Infinity], [1, Infinity]]).max(1).data)).toEqual([-Infinity, Infinity]);
  });
});

describe('large float32 inputs (the kernels fast and SIMD paths)', () => {
  it('sum of 1000 and 1027 float32 elements equals the float64 loop rounded once', () => {
    for (const size of [1000, 1027]) {
      const x = Float64Array.from({ length: size }, (_, i) => Math.fround(Math.sin(i) * 3));
      let total = 0;
      for (const v of x) total += v;
      expectAllClose(tensor(x, { dtype: 'float32' }).sum(), Math.fround(total), { rtol: 1e-7 });
      const mean = tensor(x, { dtype: 'float32', shape: [size] }).mean();
      expectAllClose(mean, total / size, { rtol: 1e-6 });
    }
  });

  it('sum of 1000 float32 elements is NaN with a NaN and Inf with an Inf', () => {
    const x = new Float32Array(1000).fill(1);
    x[500] = NaN;
    expect(Number.isNaN(tensor(x).sum().item())).toBe(true);
    x[500] = Infinity;
    expect(tensor(x).sum().item()).toBe(Infinity);
    x[501] = -Infinity;
    expect(Number.isNaN(tensor(x).sum().item())).toBe(true);
  });

  it('max along an axis of a [40, 30] float32 tensor matches the loop', () => {
    const x = tensor(Float64Array.from({ length: 1200 }, (_, i) => Math.fround(Math.cos(i * 1.7))), { shape: [40, 30], dtype: 'float32' });
    expectAllClose(x.max(1), refReduce(refOf(x), 1, false, nanMax), { rtol: 0 });
    expectAllClose(x.sum(0), refReduce(refOf(x), 0, false, add), { rtol: 1e-6 });
  });
});
