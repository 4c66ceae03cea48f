import type { TypedArray } from '../dtype.js';

/*
 * Reductions over the (outer, length, inner) view of a tensor split at one axis
 * (see splitAtAxis). Sums accumulate in JavaScript numbers, i.e. float64, even for float32 data.
 */

/** Sum of all elements, four float64 accumulators to shorten the dependency chain. */
export function sumAll(x: TypedArray): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const n = x.length;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += x[i]!;
    s1 += x[i + 1]!;
    s2 += x[i + 2]!;
    s3 += x[i + 3]!;
  }
  for (; i < n; i++) s0 += x[i]!;
  return s0 + s1 + s2 + s3;
}

/** out[o, i] = Σ_k x[o, k, i]. */
export function sumAxis(x: TypedArray, outer: number, length: number, inner: number, out: TypedArray): void {
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      let sum = 0;
      const base = o * length;
      for (let k = 0; k < length; k++) sum += x[base + k]!;
      out[o] = sum;
    }
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

/** out[o, k, i] = out[o, k, i]! + g[o, i]: spreads a reduced gradient back along the axis (the VJP of sum). */
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
  let sumOfSquares = 0;
  let maxAbs = 0;
  let nonFiniteCount = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    const a = Math.abs(v);
    sumOfSquares += v * v;
    if (a > maxAbs) maxAbs = a;
    // why: a - a is 0 for finite a and NaN for ±Inf or NaN, so one test catches both.
    if (a - a !== 0) nonFiniteCount++;
  }
  return { sumOfSquares, maxAbs, nonFiniteCount };
}

/** True when every element is finite; stops at the first NaN or ±Inf. */
export function allFinite(x: TypedArray): boolean {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (v - v !== 0) return false;
  }
  return true;
}
