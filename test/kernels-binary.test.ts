import { afterEach, describe, expect, it } from 'vitest';
import { Generator, setKernelBackend } from '../src/index.js';
import type { TypedArray } from '../src/index.js';
import { binary, type BinaryKernel } from '../src/tensor/kernels/binary.js';

/*
 * The fast paths of the binary kernels against their definitions: same shape, out[i] = a[i] ⊕ b[i];
 * the row broadcast ([M,N] ⊕ [N], the bias add), out[r, j] = a[r, j] ⊕ b[j]; and the [M,1]
 * column case that must not take the row broadcast.
 */

const generator = new Generator(31337);
const KERNELS: BinaryKernel[] = ['add', 'sub', 'mul', 'div'];
const APPLY: Record<BinaryKernel, (x: number, y: number) => number> = {
  add: (x, y) => x + y,
  sub: (x, y) => x - y,
  mul: (x, y) => x * y,
  div: (x, y) => x / y,
};

function random(size: number, dtype: 'float32' | 'float64'): TypedArray {
  const data = dtype === 'float32' ? new Float32Array(size) : new Float64Array(size);
  for (let i = 0; i < size; i++) data[i] = generator.normal();
  return data;
}

describe('binary kernels, same shape (TypeScript kernels forced, eight elements per iteration)', () => {
  afterEach(() => setKernelBackend('auto'));

  it('computes a[i] ⊕ b[i] for every kernel, dtype and length, the last few included', () => {
    setKernelBackend('ts');
    for (const kernel of KERNELS) {
      for (const dtype of ['float32', 'float64'] as const) {
        for (const size of [1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 1023]) {
          const a = random(size, dtype);
          const b = random(size, dtype);
          const out = dtype === 'float32' ? new Float32Array(size) : new Float64Array(size);
          binary(kernel, a, [size], b, [size], out, [size]);
          const round = dtype === 'float32' ? Math.fround : (v: number): number => v;
          for (let i = 0; i < size; i++) expect(out[i], `${kernel} ${dtype} [${size}] at ${i}`).toBe(round(APPLY[kernel](a[i]!, b[i]!)));
        }
      }
    }
  });
});

describe('binary kernels, row broadcast', () => {
  it('computes a[r, j] ⊕ b[j] for every kernel, dtype and odd shape', () => {
    for (const kernel of KERNELS) {
      for (const dtype of ['float32', 'float64'] as const) {
        for (const [rows, length] of [[1, 1], [3, 5], [64, 128], [7, 1], [2, 33], [5, 4], [3, 6], [3, 8], [2, 15], [2, 17]] as const) {
          const a = random(rows * length, dtype);
          const b = random(length, dtype);
          const out = dtype === 'float32' ? new Float32Array(rows * length) : new Float64Array(rows * length);
          binary(kernel, a, [rows, length], b, [length], out, [rows, length]);
          const round = dtype === 'float32' ? Math.fround : (v: number): number => v;
          for (let r = 0; r < rows; r++) {
            for (let j = 0; j < length; j++) {
              expect(out[r * length + j], `${kernel} ${dtype} [${rows},${length}] at ${r},${j}`).toBe(round(APPLY[kernel](a[r * length + j]!, b[j]!)));
            }
          }
        }
      }
    }
  });

  it('broadcasts a [M,1] column along rows even when M equals the row length', () => {
    const a = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const column = Float64Array.from([10, 20, 30]);
    const out = new Float64Array(9);
    binary('add', a, [3, 3], column, [3, 1], out, [3, 3]);
    expect(Array.from(out)).toEqual([11, 12, 13, 24, 25, 26, 37, 38, 39]);
  });
});
