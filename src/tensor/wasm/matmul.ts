import { TILE } from './matmul-kernel.js';
import { packOperand, type OperandView } from './pack.js';
import type { BufferStats } from '../kernels/reduce.js';
import { BLOCK_FLOATS } from './elementwise-kernel.js';
import { statsInMemory } from './elementwise.js';
import { areaStart, kernel, memoryFloats, type WasmKernels } from './runtime.js';

/** Float offsets of the areas of the kernel memory one matmul uses, and the total it needs. */
interface Layout {
  aStaging: number;
  bStaging: number;
  aPacked: number;
  bPacked: number;
  c: number;
  end: number;
}

/**
 * [A as given | B as given | packed A | packed B | C with rows padded to whole tiles]; the areas
 * JavaScript copies into or out of start where copies run fast (`areaStart`), 16-byte aligned.
 */
function layout(M: number, K: number, N: number): Layout {
  const paddedM = Math.ceil(M / TILE.rows) * TILE.rows;
  const paddedN = Math.ceil(N / TILE.columns) * TILE.columns;
  const aStaging = areaStart(0);
  const bStaging = areaStart(aStaging + M * K);
  const aPacked = areaStart(bStaging + K * N);
  const bPacked = aPacked + paddedM * K;
  const c = areaStart(bPacked + paddedN * K);
  return { aStaging, bStaging, aPacked, bPacked, c, end: c + paddedM * paddedN };
}

/** How many floats of kernel memory a matmul of this size needs (the memory grows to it and stays). */
export function matmulMemoryFloats(M: number, K: number, N: number): number {
  return layout(M, K, N).end + BLOCK_FLOATS; // and one block of scratch after C
}

/**
 * out[M,N] = op(A)·op(B), or out += op(A)·op(B) with `accumulate`, on the WebAssembly SIMD
 * micro-kernel: the same contract as the TypeScript `matmul` kernel (float32 only).
 *
 * The kernel memory (see `layout`) is reused from call to call:
 * 1. copy A and B in, then pack A into panels of TILE.rows rows and B into panels of
 *    TILE.columns columns (this is where the transpose flags are absorbed), zero-padded to
 *    whole tiles;
 * 2. with `accumulate`, copy `out` into C so the kernel adds to it;
 * 3. run the kernel over every tile, then copy the M×N part of C back to `out`;
 * 4. with `measure`, return C's statistics (Σx², max |x|) from the kernel memory, when C's rows are
 *    contiguous (N a whole number of tiles), it fills whole blocks and nothing was accumulated:
 *    the guards' one-pass statistics without copying the result in again. null otherwise.
 */
export function matmulWasm(
  kernels: WasmKernels,
  a: Float32Array, b: Float32Array, out: Float32Array,
  M: number, K: number, N: number,
  transA: boolean, transB: boolean, accumulate: boolean, measure = false,
): BufferStats | null {
  if (M === 0 || N === 0) return null;
  // why: with K = 0 the packed panels are empty and the kernel's panel loops would not run at all.
  if (K === 0) {
    if (!accumulate) out.fill(0);
    return null;
  }
  const rowPanels = Math.ceil(M / TILE.rows);
  const columnPanels = Math.ceil(N / TILE.columns);
  const paddedN = columnPanels * TILE.columns;
  const at = layout(M, K, N);
  const memory = memoryFloats(kernels, at.end + BLOCK_FLOATS);
  const aView: OperandView = { source: a, lines: M, depth: K, lineStride: transA ? 1 : K, depthStride: transA ? M : 1 };
  const bView: OperandView = { source: b, lines: N, depth: K, lineStride: transB ? K : 1, depthStride: transB ? 1 : N };
  packOperand(kernels, memory, aView, TILE.rows, at.aStaging, at.aPacked);
  packOperand(kernels, memory, bView, TILE.columns, at.bStaging, at.bPacked);
  if (accumulate) copyRows(out, 0, N, memory, at.c, paddedN, M, N);
  const gemm = kernel(kernels, 'gemm');
  gemm(at.aPacked * 4, at.bPacked * 4, at.c * 4, rowPanels, columnPanels, K, paddedN * 4, accumulate ? 1 : 0);
  copyRows(memory, at.c, paddedN, out, 0, N, M, N);
  const measurable = measure && !accumulate && paddedN === N && (M * N) % BLOCK_FLOATS === 0;
  return measurable ? statsInMemory(kernels, at.c, M * N, at.end) : null;
}

/** Below this row length a plain loop beats creating a subarray per row for `set`. */
const SET_MIN_COLUMNS = 32;

/** Copies `rows` rows of `columns` floats between arrays whose rows are `fromStride` / `toStride` apart. */
function copyRows(
  from: Float32Array, fromOffset: number, fromStride: number,
  to: Float32Array, toOffset: number, toStride: number,
  rows: number, columns: number,
): void {
  if (fromStride === columns && toStride === columns) {
    to.set(from.subarray(fromOffset, fromOffset + rows * columns), toOffset);
    return;
  }
  if (columns >= SET_MIN_COLUMNS) {
    for (let r = 0; r < rows; r++) {
      const start = fromOffset + r * fromStride;
      to.set(from.subarray(start, start + columns), toOffset + r * toStride);
    }
    return;
  }
  for (let r = 0; r < rows; r++) {
    const from0 = fromOffset + r * fromStride;
    const to0 = toOffset + r * toStride;
    for (let j = 0; j < columns; j++) to[to0 + j] = from[from0 + j]!;
  }
}
