import type { TypedArray } from '../dtype.js';

/*
 * Reductions over the (outer, length, inner) view of a tensor split at one axis
 * (see splitAtAxis). Sums accumulate in JavaScript numbers, i.e. float64, even for float32 data.
 */

/** Sum of all elements, four float64 accumulators to shorten the dependency chain. */
export function sumAll(x: TypedArray): number {
  return sumRange(x, 0, x.length);
}

/**
 * Σ x[start..end) with four accumulators. The leftover elements are summed *before* the main
 * loop: a tail loop after it would often never run while the function warms up, and V8 then
 * deoptimizes the hot loop's compiled code on every call that does reach the tail.
 */
function sumRange(x: TypedArray, start: number, end: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = start;
  const head = start + ((end - start) & 3);
  for (; i < head; i++) s0 += x[i]!;
  for (; i < end; i += 4) {
    s0 += x[i]!;
    s1 += x[i + 1]!;
    s2 += x[i + 2]!;
    s3 += x[i + 3]!;
  }
  return s0 + s1 + s2 + s3;
}

/** out[o, i] = Σ_k x[o, k, i]. */
export function sumAxis(x: TypedArray, outer: number, length: number, inner: number, out: TypedArray): void {
  if (inner === 1) {
    for (let o = 0; o < outer; o++) out[o] = sumRange(x, o * length, (o + 1) * length);
    return;
  }
  const accumulator = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    accumulator.fill(0);
    for (let k = 0; k < length; k++) {
      const base = (o * length + k) * inner;
      for (let i = 0; i < inner; i++) accumulator[i] = accumulator[i]! + x[base + i]!;
    }
    out.set(accumulator, o * inner);
  }
}

/**
 * out[o, i] = max_k x[o, k, i] and argmax[o, i] = the first k that attains it.
 * NaN wins (as torch.max): the first NaN along the axis is the max and its index the argmax.
 */
export function maxAxis(
  x: TypedArray, outer: number, length: number, inner: number,
  out: TypedArray, argmax: Int32Array,
): void {
  if (inner === 1 && length > 0) {
    for (let o = 0; o < outer; o++) maxRow(x, o * length, length, out, argmax, o);
    return;
  }
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * length * inner + i;
      let best = x[base]!;
      let bestIndex = 0;
      for (let k = 1; k < length && best === best; k++) {
        const v = x[base + k * inner]!;
        if (!(v <= best)) {
          best = v;
          bestIndex = k;
        }
      }
      out[o * inner + i] = best;
      argmax[o * inner + i] = bestIndex;
    }
  }
}

/**
 * max and first argmax of the contiguous row x[base .. base + length), written to out[at] and
 * argmax[at]. Four running maxima (independent chains) find the value; one scan finds the first
 * index holding it. `Σ v·0` is NaN exactly when the row holds NaN or ±Inf: such rows go through
 * the exact one-at-a-time loop, so NaN still wins and ties still go to the first index.
 */
function maxRow(x: TypedArray, base: number, length: number, out: TypedArray, argmax: Int32Array, at: number): void {
  let m0 = x[base]!;
  let m1 = m0;
  let m2 = m0;
  let m3 = m0;
  let z = 0;
  const end = base + length;
  let k = base;
  const head = base + (length & 3);
  for (; k < head; k++) {
    const v = x[k]!;
    m0 = v > m0 ? v : m0;
    z += v * 0;
  }
  for (; k < end; k += 4) {
    const v0 = x[k]!, v1 = x[k + 1]!, v2 = x[k + 2]!, v3 = x[k + 3]!;
    m0 = v0 > m0 ? v0 : m0;
    m1 = v1 > m1 ? v1 : m1;
    m2 = v2 > m2 ? v2 : m2;
    m3 = v3 > m3 ? v3 : m3;
    z += v0 * 0 + v1 * 0 + v2 * 0 + v3 * 0;
  }
  if (z !== 0) return maxStrided(x, base, length, 1, out, argmax, at);
  const best = Math.max(m0, m1, m2, m3);
  let index = base;
  while (x[index] !== best) index++;
  out[at] = best;
  argmax[at] = index - base;
}

/** The exact reference loop: NaN wins, ties go to the first index. */
function maxStrided(x: TypedArray, base: number, length: number, stride: number, out: TypedArray, argmax: Int32Array, at: number): void {
  let best = x[base]!;
  let bestIndex = 0;
  for (let k = 1; k < length && best === best; k++) {
    const v = x[base + k * stride]!;
    if (!(v <= best)) {
      best = v;
      bestIndex = k;
    }
  }
  out[at] = best;
  argmax[at] = bestIndex;
}

/** Maximum of all elements (NaN if any is NaN); -Inf for an empty array. */
export function maxAll(x: TypedArray): number {
  let best = -Infinity;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (v !== v) return v;
    if (v > best) best = v;
  }
  return best;
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
 * One pass over a buffer: Σx² (float64), max |x| and the count of non-finite elements.
 * Every guard reads these numbers instead of scanning the gradient again.
 */
export interface BufferStats {
  sumOfSquares: number;
  maxAbs: number;
  nonFiniteCount: number;
}

export function bufferStats(x: TypedArray): BufferStats {
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
    squares0 = v * v;
    max0 = Math.abs(v);
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
    poison += v0 * 0 + v1 * 0;
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

/** True when every element is finite; stops at the first NaN or ±Inf. */
export function allFinite(x: TypedArray): boolean {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (v - v !== 0) return false;
  }
  return true;
}
