import { describe, expect, it } from 'vitest';
import { Generator } from '../src/index.js';
import type { TypedArray } from '../src/index.js';
import { GradientView } from '../src/index.js';
import { allFinite, bufferStats, sumAll, sumAxis } from '../src/tensor/kernels/reduce.js';
import { firstMaxIndex, maxAxis } from '../src/tensor/kernels/maximum.js';
import { expectAllClose } from './helpers.js';

/*
 * The reductions unrolled for speed (several accumulators, leftovers first) against one-at-a-time
 * loops written from the definitions, on lengths that are and are not multiples of the unroll.
 */

const generator = new Generator(99);

function random(size: number, dtype: 'float32' | 'float64'): TypedArray {
  const data = dtype === 'float32' ? new Float32Array(size) : new Float64Array(size);
  for (let i = 0; i < size; i++) data[i] = generator.normal();
  return data;
}

const LENGTHS = [1, 2, 3, 4, 5, 7, 8, 63, 64, 65, 1001];
const DTYPES = ['float32', 'float64'] as const;

describe('sum kernels', () => {
  it('sumAll equals the one-accumulator sum for every length and dtype', () => {
    for (const dtype of DTYPES) {
      for (const n of [0, ...LENGTHS]) {
        const x = random(n, dtype);
        let expected = 0;
        for (let i = 0; i < n; i++) expected += x[i]!;
        expect(sumAll(x)).toBeCloseTo(expected, 10);
      }
    }
  });

  it('sumAxis over contiguous rows (inner = 1) equals the row sums', () => {
    for (const length of LENGTHS) {
      const outer = 3;
      const x = random(outer * length, 'float32');
      const out = new Float32Array(outer);
      sumAxis(x, outer, length, 1, out);
      for (let o = 0; o < outer; o++) {
        let expected = 0;
        for (let k = 0; k < length; k++) expected += x[o * length + k]!;
        expect(out[o]).toBeCloseTo(expected, 4);
      }
    }
  });

  it('sumAxis along a strided axis (inner > 1) equals the column sums, past every column block and row sweep', () => {
    // the kernel sums eight columns at a time (inner % 8 leftovers first) in sweeps of 512 rows
    for (const dtype of DTYPES) {
      for (const inner of [2, 7, 8, 9, 15, 16, 17, 64, 100]) {
        for (const length of [1, 3, 512, 513, 1100]) {
          const outer = length > 512 ? 1 : 3;
          const x = random(outer * length * inner, dtype);
          const out = dtype === 'float32' ? new Float32Array(outer * inner) : new Float64Array(outer * inner);
          sumAxis(x, outer, length, inner, out);
          for (let o = 0; o < outer; o++) {
            for (let i = 0; i < inner; i++) {
              let expected = 0;
              for (let k = 0; k < length; k++) expected += x[(o * length + k) * inner + i]!;
              const tolerance = (dtype === 'float32' ? 1e-6 : 1e-12) * Math.max(1, Math.abs(expected));
              expect(Math.abs(out[o * inner + i]! - expected), `${dtype} [${outer},${length},${inner}] at (${o},${i})`).toBeLessThanOrEqual(tolerance);
            }
          }
        }
      }
    }
  });
});

/** max and first argmax by the definition: NaN wins (first NaN), ties go to the first index. */
function directMax(row: ArrayLike<number>): [number, number] {
  let best = row[0]!;
  let index = 0;
  for (let k = 0; k < row.length; k++) {
    const v = row[k]!;
    if (Number.isNaN(v)) return [v, k];
    if (v > best) {
      best = v;
      index = k;
    }
  }
  return [best, index];
}

describe('maxAxis over contiguous rows', () => {
  it('finds the maximum and its first index on random rows of every length', () => {
    for (const dtype of DTYPES) {
      for (const length of LENGTHS) {
        const outer = 4;
        const x = random(outer * length, dtype);
        const out = dtype === 'float32' ? new Float32Array(outer) : new Float64Array(outer);
        const argmax = new Int32Array(outer);
        maxAxis(x, outer, length, 1, out);
        firstMaxIndex(x, outer, length, 1, out, argmax);
        for (let o = 0; o < outer; o++) {
          const [value, index] = directMax(x.subarray(o * length, (o + 1) * length));
          expect(out[o]).toBe(value);
          expect(argmax[o]).toBe(index);
        }
      }
    }
  });

  it('gives ties to the first index, lets the first NaN win and handles ±Inf', () => {
    const rows = [
      [1, 5, 2, 5, 5, 0, 5],
      [1, Number.NaN, 9, Number.NaN, 2],
      [9, 3, 2, 1, 0, Number.NaN],
      [-Infinity, -Infinity, -Infinity],
      [1, Infinity, 2, Infinity, 3],
      [-3, -1, -2, -1, -7],
    ];
    for (const row of rows) {
      const x = Float64Array.from(row);
      const out = new Float64Array(1);
      const argmax = new Int32Array(1);
      maxAxis(x, 1, row.length, 1, out);
      firstMaxIndex(x, 1, row.length, 1, out, argmax);
      const [value, index] = directMax(row);
      expect(Object.is(out[0], value) || (Number.isNaN(out[0]) && Number.isNaN(value)), `row ${row}`).toBe(true);
      expect(argmax[0], `row ${row}`).toBe(index);
    }
  });
  it('finds NaN, ±Inf and new maxima wherever they sit in the blocks of eight of long rows', () => {
    // maxRow tests eight elements at once and re-scans a block only when one beats the running
    // maximum or is NaN: put the special value at every position of rows whose lengths leave every head size.
    for (const length of [9, 16, 17, 23, 40]) {
      for (const special of [Number.NaN, Infinity, -Infinity, 1e30, -1e-30]) {
        for (let at = 0; at < length; at++) {
          for (const dtype of DTYPES) {
            const x = random(length, dtype);
            x[at] = special;
            const out = dtype === 'float32' ? new Float32Array(1) : new Float64Array(1);
            maxAxis(x, 1, length, 1, out);
            const [value] = directMax(x);
            expect(Object.is(out[0], value) || (Number.isNaN(out[0]) && Number.isNaN(value)),
              `${dtype} length ${length}, ${special} at ${at}: got ${out[0]}, expected ${value}`).toBe(true);
          }
        }
      }
    }
    const ascending = Float32Array.from({ length: 37 }, (_, k) => k - 20); // every block holds a new maximum
    const out = new Float32Array(1);
    maxAxis(ascending, 1, 37, 1, out);
    expect(out[0]).toBe(16);
  });
});

describe('maxAxis and firstMaxIndex along a strided axis (inner > 1)', () => {
  it('match the definition on each column, with ties, NaN and ±Inf mixed in', () => {
    const [outer, length, inner] = [2, 5, 3];
    const x = random(outer * length * inner, 'float64');
    x[(0 * length + 1) * inner + 0] = Number.NaN; // column (0, 0): NaN at k = 1
    x[(0 * length + 3) * inner + 0] = Number.NaN;
    x[(1 * length + 0) * inner + 1] = 9; // column (1, 1): tie at k = 0 and 4
    x[(1 * length + 4) * inner + 1] = 9;
    x[(1 * length + 2) * inner + 2] = Number.POSITIVE_INFINITY;
    const out = new Float64Array(outer * inner);
    const argmax = new Int32Array(outer * inner);
    maxAxis(x, outer, length, inner, out);
    firstMaxIndex(x, outer, length, inner, out, argmax);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const column = Array.from({ length }, (_, k) => x[(o * length + k) * inner + i]!);
        const [value, index] = directMax(column);
        expect(Object.is(out[o * inner + i], value) || (Number.isNaN(out[o * inner + i]) && Number.isNaN(value))).toBe(true);
        expect(argmax[o * inner + i]).toBe(index);
      }
    }
    expect([argmax[0], argmax[inner + 1], argmax[inner + 2]]).toEqual([1, 0, 2]);
  });

  it('match the definition past every column block and row sweep, clean or with one NaN or ±Inf', () => {
    // the kernel scans eight columns at a time (inner % 8 leftovers first) in sweeps of 512 rows,
    // and falls back to the exact loop for a slab holding a non-finite value
    const specials = [undefined, Number.NaN, Infinity, -Infinity];
    for (const dtype of DTYPES) {
      for (const inner of [2, 7, 8, 9, 17, 64]) {
        for (const length of [1, 2, 513, 1100]) {
          for (const special of specials) {
            const outer = length > 512 ? 1 : 2;
            const x = random(outer * length * inner, dtype);
            if (special !== undefined) x[Math.floor(x.length * 0.7)] = special;
            const out = dtype === 'float32' ? new Float32Array(outer * inner) : new Float64Array(outer * inner);
            maxAxis(x, outer, length, inner, out);
            for (let o = 0; o < outer; o++) {
              for (let i = 0; i < inner; i++) {
                const [value] = directMax(Array.from({ length }, (_, k) => x[(o * length + k) * inner + i]!));
                const got = out[o * inner + i]!;
                expect(Object.is(got, value) || (Number.isNaN(got) && Number.isNaN(value)),
                  `${dtype} [${outer},${length},${inner}] with ${special} at (${o},${i}): got ${got}, expected ${value}`).toBe(true);
              }
            }
          }
        }
      }
    }
  });
});

describe('bufferStats', () => {
  it('returns Σx², max|x| and no non-finite values for finite data of every length', () => {
    for (const dtype of DTYPES) {
      for (const n of [0, ...LENGTHS]) {
        const x = random(n, dtype);
        let squares = 0;
        let maxAbs = 0;
        for (let i = 0; i < n; i++) {
          squares += x[i]! * x[i]!;
          maxAbs = Math.max(maxAbs, Math.abs(x[i]!));
        }
        const stats = bufferStats(x);
        // float32 buffers on WebAssembly sum squares in float32 chunks (~1e-7 relative, as PyTorch's float32 norm)
        expectAllClose([stats.sumOfSquares], [squares], { rtol: dtype === 'float32' ? 1e-6 : 1e-12, atol: 0, message: `${dtype} length ${n}` });
        expect(stats.maxAbs).toBe(maxAbs);
        expect(stats.nonFiniteCount).toBe(0);
      }
    }
  });

  it('counts every NaN and ±Inf, at the odd leftover element too', () => {
    const x = new Float32Array([Number.NaN, 1, -2, Infinity, 0, -Infinity, 3]);
    const stats = bufferStats(x);
    expect(stats.nonFiniteCount).toBe(3);
    expect(stats.maxAbs).toBe(Infinity);
    expect(Number.isNaN(stats.sumOfSquares)).toBe(true);
    expect(bufferStats(new Float64Array([Infinity])).nonFiniteCount).toBe(1);
  });
});

describe('allFinite', () => {
  it('is true for finite data of every length and false with one NaN or ±Inf anywhere', () => {
    for (const n of [0, ...LENGTHS]) {
      const x = random(n, 'float32');
      expect(allFinite(x)).toBe(true);
      for (const bad of [Number.NaN, Infinity, -Infinity]) {
        for (const at of n === 0 ? [] : [0, n - 1, n >> 1]) {
          const y = Float32Array.from(x);
          y[at] = bad;
          expect(allFinite(y), `${bad} at ${at} of ${n}`).toBe(false);
        }
      }
    }
  });

  it('is true for huge finite float64 values whose sum overflows', () => {
    expect(allFinite(new Float64Array([1.7e308, 1.7e308, 1.7e308, 1.7e308, -1.7e308]))).toBe(true);
    expect(allFinite(new Float64Array([1.7e308, 1.7e308, Infinity, 1]))).toBe(false);
  });
});

describe('GradientView.finite', () => {
  it('agrees with the statistics and is recomputed after changed()', () => {
    const data = new Float32Array([1, 2, 3]);
    const view = new GradientView(data, [3]);
    expect(view.finite).toBe(true);
    data[1] = Number.NaN;
    view.changed();
    expect(view.finite).toBe(false);
    expect(view.stats.nonFiniteCount).toBe(1);
  });

  it('notices an overflow to Inf caused by scale() with a factor above 1', () => {
    const view = new GradientView(new Float32Array([3e38, 1]), [2]);
    expect(view.finite).toBe(true);
    view.scale(10);
    expect(view.finite).toBe(false);
  });
});
