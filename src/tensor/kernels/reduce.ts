import type { TypedArray } from '../dtype.js';
import { tryStatsWasm, trySumWasm } from '../wasm/backend.js';

/*
 * Reductions over the (outer, length, inner) view of a tensor split at one axis
 * (see splitAtAxis). Sums accumulate in JavaScript numbers, i.e. float64, even for float32 data.
 */

/** Sum of all elements, eight float64 accumulators to shorten the dependency chain. */
export function sumAll(x: TypedArray): number {
  return trySumWasm(x) ?? sumRange(x, 0, x.length);
}

/**
 * Σ x[start..end) with eight accumulators (one add chain each: with four, 1M floats took ~15 %
 * longer here). The leftover elements are summed *before* the main loop: a tail loop after it
 * would often never run while the function warms up, and V8 then deoptimizes the hot loop's
 * compiled code on every call that does reach the tail.
 */
function sumRange(x: TypedArray, start: number, end: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
  let i = start;
  const head = start + ((end - start) & 7);
  for (; i < head; i++) s0 += x[i]!;
  for (; i < end; i += 8) {
    s0 += x[i]!;
    s1 += x[i + 1]!;
    s2 += x[i + 2]!;
    s3 += x[i + 3]!;
    s4 += x[i + 4]!;
    s5 += x[i + 5]!;
    s6 += x[i + 6]!;
    s7 += x[i + 7]!;
  }
  return s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7;
}

/** Rows summed per sweep of a block of columns: the lines they touch stay in L1 for the next block. */
export const ROWS_PER_SWEEP = 512;
/** Float64 column sums, reused across calls (JavaScript runs one kernel at a time). */
let columnSums = new Float64Array(64);

/**
 * out[o, i] = Σ_k x[o, k, i], summed in float64. For inner > 1 (a bias gradient: Σ over the batch)
 * each block of eight columns is summed down the rows in eight local variables, so no partial sum
 * is loaded and stored per element; that ran 2.6–5× faster than adding each row into an array of
 * sums (2–6 ns per element, and the slowest op of step B in some processes), and long axes are cut
 * into sweeps of ROWS_PER_SWEEP rows, beyond which the lines of one block no longer stay cached.
 */
export function sumAxis(x: TypedArray, outer: number, length: number, inner: number, out: TypedArray): void {
  if (inner === 1) {
    for (let o = 0; o < outer; o++) out[o] = sumRange(x, o * length, (o + 1) * length);
    return;
  }
  if (columnSums.length < inner) columnSums = new Float64Array(inner);
  const sums = columnSums;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) sums[i] = 0;
    for (let k = 0; k < length; k += ROWS_PER_SWEEP) {
      addColumnSums(x, (o * length + k) * inner, Math.min(ROWS_PER_SWEEP, length - k), inner, sums);
    }
    const at = o * inner;
    for (let i = 0; i < inner; i++) out[at + i] = sums[i]!;
  }
}

/** sums[i] += Σ_{k < rows} x[start + k·inner + i] for every column i; the inner % 8 leftover columns first. */
function addColumnSums(x: TypedArray, start: number, rows: number, inner: number, sums: Float64Array): void {
  const head = inner & 7;
  for (let i = 0; i < head; i++) {
    let s = 0;
    for (let k = 0, p = start + i; k < rows; k++, p += inner) s += x[p]!;
    sums[i] = sums[i]! + s;
  }
  for (let i = head; i < inner; i += 8) {
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
    for (let k = 0, p = start + i; k < rows; k++, p += inner) {
      s0 += x[p]!;
      s1 += x[p + 1]!;
      s2 += x[p + 2]!;
      s3 += x[p + 3]!;
      s4 += x[p + 4]!;
      s5 += x[p + 5]!;
      s6 += x[p + 6]!;
      s7 += x[p + 7]!;
    }
    sums[i] = sums[i]! + s0;
    sums[i + 1] = sums[i + 1]! + s1;
    sums[i + 2] = sums[i + 2]! + s2;
    sums[i + 3] = sums[i + 3]! + s3;
    sums[i + 4] = sums[i + 4]! + s4;
    sums[i + 5] = sums[i + 5]! + s5;
    sums[i + 6] = sums[i + 6]! + s6;
    sums[i + 7] = sums[i + 7]! + s7;
  }
}

/** out[o, k, i] = g[o, i]: spreads a reduced gradient back along the axis (the VJP of sum). */
export function expandAxis(g: TypedArray, outer: number, length: number, inner: number, out: TypedArray): void {
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < length; k++) {
      const base = (o * length + k) * inner;
      const gBase = o * inner;
      for (let i = 0; i < inner; i++) out[base + i] = g[gBase + i]!;
    }
  }
}

/**
 * One pass over a buffer: Σx², max |x| and the count of non-finite elements. Every guard reads
 * these numbers instead of scanning the gradient again. Σx² is a float64 number: summed in
 * float64 in TypeScript, from float32 partial sums on WebAssembly (~1e-7 relative, as PyTorch's
 * float32 norm).
 */
export interface BufferStats {
  sumOfSquares: number;
  maxAbs: number;
  nonFiniteCount: number;
}

export function bufferStats(x: TypedArray): BufferStats {
  return tryStatsWasm(x) ?? bufferStatsLoop(x); // WebAssembly declines non-finite sums: the loop counts them
}

/** The TypeScript statistics loop (float64 and small float32 buffers; the reference for the WebAssembly kernel). */
export function bufferStatsLoop(x: TypedArray): BufferStats {
  // Two independent lanes (even and odd elements) shorten the dependency chains; the leftover
  // element is taken first (see sumRange for why not last).
  let squares0 = 0;
  let squares1 = 0;
  let max0 = 0;
  let max1 = 0;
  // why: v·0 is 0 for finite v and NaN for ±Inf or NaN, so one sum tells whether any is non-finite.
  let poison = 0;
  const n = x.length;
  let i = n & 1;
  if (i === 1) {
    const v = x[0]!;
    const a = Math.abs(v);
    squares0 = v * v;
    max0 = a > 0 ? a : 0; // NaN is counted, not a maximum (as in the loop below)
    poison = v * 0;
  }
  for (; i < n; i += 2) {
    const v0 = x[i]!;
    const v1 = x[i + 1]!;
    const a0 = Math.abs(v0);
    const a1 = Math.abs(v1);
    squares0 += v0 * v0;
    squares1 += v1 * v1;
    max0 = a0 > max0 ? a0 : max0;
    max1 = a1 > max1 ? a1 : max1;
    poison += (v0 + v1) * 0; // an overflowing sum only sends x to the exact count
  }
  const nonFiniteCount = poison === 0 ? 0 : countNonFinite(x);
  return { sumOfSquares: squares0 + squares1, maxAbs: max0 > max1 ? max0 : max1, nonFiniteCount };
}

/** How many elements are NaN or ±Inf (the rare path of bufferStats). */
function countNonFinite(x: TypedArray): number {
  let count = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (v - v !== 0) count++;
  }
  return count;
}

/** True when every element is finite (no NaN, no ±Inf). */
export function allFinite(x: TypedArray): boolean {
  // why: (v0 + … + v3)·0 is 0 when all four are finite and NaN otherwise, so the common case
  // costs one multiply-add per four elements and no branch; a sum that overflows (possible
  // only for huge float64 values) falls through to the exact test.
  let poison = 0;
  const n = x.length;
  let i = n & 3;
  for (let k = 0; k < i; k++) poison += x[k]! * 0;
  for (; i < n; i += 4) poison += (x[i]! + x[i + 1]! + x[i + 2]! + x[i + 3]!) * 0;
  return poison === 0 || countNonFinite(x) === 0;
}
