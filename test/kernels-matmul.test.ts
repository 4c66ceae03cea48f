import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Generator, setKernelBackend } from '../src/index.js';
import type { TypedArray } from '../src/index.js';
import { matmul } from '../src/tensor/kernels/matmul.js';

/*
 * The TypeScript matmul (packed, 4×8 output tiles, two depths per step, cache blocks of 128 rows × 256 depths ×
 * 1024 columns) against the textbook triple loop in float64, for every transpose variant, on
 * shapes that are not multiples of the tile and that cross every block boundary.
 */

const generator = new Generator(20260529);

beforeAll(() => setKernelBackend('ts'));
afterAll(() => setKernelBackend('auto'));

function random(size: number, dtype: 'float32' | 'float64'): TypedArray {
  const data = dtype === 'float32' ? new Float32Array(size) : new Float64Array(size);
  for (let i = 0; i < size; i++) data[i] = generator.uniform() * 2 - 1;
  return data;
}

/** op(A)·op(B) (+ out when accumulating), each element by its coordinates, in float64. */
function direct(
  a: TypedArray, b: TypedArray, out: TypedArray,
  M: number, K: number, N: number, transA: boolean, transB: boolean, accumulate: boolean,
): Float64Array {
  const result = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let sum = accumulate ? out[i * N + j]! : 0;
      for (let k = 0; k < K; k++) sum += a[transA ? k * M + i : i * K + k]! * b[transB ? j * K + k : k * N + j]!;
      result[i * N + j] = sum;
    }
  }
  return result;
}

function check(M: number, K: number, N: number, transA: boolean, transB: boolean, dtype: 'float32' | 'float64', accumulate = false): void {
  const a = random(M * K, dtype);
  const b = random(K * N, dtype);
  const out = random(M * N, dtype);
  const expected = direct(a, b, out, M, K, N, transA, transB, accumulate);
  matmul(a, b, out, M, K, N, transA, transB, accumulate);
  // float64 sums agree to rounding; float32 results are the float64 sum rounded once.
  const tolerance = dtype === 'float64' ? 1e-12 * Math.max(1, K) : 1e-6 * Math.max(1, Math.sqrt(K));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(out[i]! - expected[i]!));
  expect(worst, `${M}×${K}×${N} transA=${transA} transB=${transB} ${dtype}`).toBeLessThanOrEqual(tolerance);
}

const VARIANTS: Array<[boolean, boolean]> = [[false, false], [false, true], [true, false], [true, true]];
const SHAPES: Array<[number, number, number]> = [
  [1, 1, 1], [1, 7, 1], [3, 5, 2], [4, 4, 4], [5, 3, 9], [13, 17, 11], [33, 64, 31],
  [130, 9, 7], // more rows than two blocks of A (64 each)
  [6, 300, 10], [6, 600, 10], // deeper than 256, and than one block of depths (512)
  [3, 5, 1030], // wider than two blocks of B (512 each)
];

describe('TypeScript matmul kernel', () => {
  for (const [transA, transB] of VARIANTS) {
    it(`matches the triple loop for transA=${transA}, transB=${transB} on odd and block-crossing shapes`, () => {
      for (const [M, K, N] of SHAPES) {
        check(M, K, N, transA, transB, 'float32');
        check(M, K, N, transA, transB, 'float64');
      }
    });
  }

  it('matches on random shapes up to 70 in each dimension', () => {
    for (let trial = 0; trial < 40; trial++) {
      const [M, K, N] = [1 + generator.integer(70), 1 + generator.integer(70), 1 + generator.integer(70)];
      const [transA, transB] = VARIANTS[trial % 4]!;
      check(M, K, N, transA, transB, trial % 2 === 0 ? 'float32' : 'float64');
    }
  });

  it('adds into out with accumulate and overwrites it without', () => {
    for (const [transA, transB] of VARIANTS) {
      check(7, 300, 5, transA, transB, 'float64', true);
      check(9, 6, 13, transA, transB, 'float32', true);
    }
    const out = new Float32Array([5, 5, 5, 5]);
    matmul(new Float32Array([1, 0, 0, 1]), new Float32Array([1, 2, 3, 4]), out, 2, 2, 2);
    expect(Array.from(out)).toEqual([1, 2, 3, 4]);
  });

  it('gives zeros for an empty inner dimension and writes nothing for an empty output', () => {
    const out = new Float32Array([7, 7, 7, 7, 7, 7]);
    matmul(new Float32Array(0), new Float32Array(0), out, 2, 0, 3);
    expect(Array.from(out)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(() => matmul(new Float32Array(0), new Float32Array(12), new Float32Array(0), 0, 3, 4)).not.toThrow();
  });

  it('propagates NaN and Inf like the triple loop', () => {
    const a = new Float64Array([1, Number.NaN, 2, 3]);
    const b = new Float64Array([1, 2, Infinity, 4]);
    const out = new Float64Array(4);
    matmul(a, b, out, 2, 2, 2);
    const expected = direct(a, b, new Float64Array(4), 2, 2, 2, false, false, false);
    expect(Array.from(out)).toEqual(Array.from(expected));
  });
});
