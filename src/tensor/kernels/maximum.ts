import type { TypedArray } from '../dtype.js';
import { ROWS_PER_SWEEP } from './reduce.js';

/*
 * Maxima over the (outer, length, inner) view of a tensor split at one axis (see splitAtAxis),
 * with torch.max's NaN rule: a line holding NaN has maximum NaN.
 */

/** Running column maxima, reused across calls (JavaScript runs one kernel at a time). */
let columnMaxima = new Float64Array(64);

/**
 * out[o, i] = max_k x[o, k, i]. NaN wins (as torch.max): a line holding NaN has max NaN.
 * Only the values: the argmax is what the VJP needs, so `firstMaxIndex` finds it there, and a
 * forward pass without backward never pays for it (tracking indices halves the speed of the scan).
 * Along a strided axis (inner > 1) blocks of eight columns are scanned down the rows in sweeps, as
 * `sumAxis` sums them: 1.6–1.9× faster than one column at a time (float32 [1024,1024] and [32,64]).
 */
export function maxAxis(x: TypedArray, outer: number, length: number, inner: number, out: TypedArray): void {
  if (inner === 1) {
    for (let o = 0; o < outer; o++) out[o] = maxRow(x, o * length, length);
    return;
  }
  if (columnMaxima.length < inner) columnMaxima = new Float64Array(inner);
  const maxima = columnMaxima;
  for (let o = 0; o < outer; o++) {
    const start = o * length * inner;
    const at = o * inner;
    let poison = 0;
    for (let i = 0; i < inner; i++) {
      const v = x[start + i]!;
      maxima[i] = v;
      poison += v * 0;
    }
    for (let k = 1; k < length; k += ROWS_PER_SWEEP) {
      poison += raiseColumnMaxima(x, start + k * inner, Math.min(ROWS_PER_SWEEP, length - k), inner, maxima);
    }
    // why: NaN, ±Inf or an overflowing sum of them: the exact loop, column by column, lets the first NaN win
    if (poison === 0) for (let i = 0; i < inner; i++) out[at + i] = maxima[i]!;
    else for (let i = 0; i < inner; i++) out[at + i] = maxStrided(x, start + i, length, inner);
  }
}

/**
 * maxima[i] = max(maxima[i], x[start + k·inner + i] for k < rows), eight columns at a time in
 * local variables (the inner % 8 leftover columns first), as `sumAxis` sums them. Returns
 * Σ v·0 over the values read: 0 when all are finite, NaN otherwise (then `maxAxis` takes the exact loop).
 */
function raiseColumnMaxima(x: TypedArray, start: number, rows: number, inner: number, maxima: Float64Array): number {
  let poison = 0;
  const head = inner & 7;
  for (let i = 0; i < head; i++) {
    let m = maxima[i]!;
    for (let k = 0, p = start + i; k < rows; k++, p += inner) {
      const v = x[p]!;
      if (v > m) m = v;
      poison += v * 0;
    }
    maxima[i] = m;
  }
  for (let i = head; i < inner; i += 8) {
    let m0 = maxima[i]!, m1 = maxima[i + 1]!, m2 = maxima[i + 2]!, m3 = maxima[i + 3]!;
    let m4 = maxima[i + 4]!, m5 = maxima[i + 5]!, m6 = maxima[i + 6]!, m7 = maxima[i + 7]!;
    for (let k = 0, p = start + i; k < rows; k++, p += inner) {
      const v0 = x[p]!, v1 = x[p + 1]!, v2 = x[p + 2]!, v3 = x[p + 3]!;
      const v4 = x[p + 4]!, v5 = x[p + 5]!, v6 = x[p + 6]!, v7 = x[p + 7]!;
      if (v0 > m0) m0 = v0;
      if (v1 > m1) m1 = v1;
      if (v2 > m2) m2 = v2;
      if (v3 > m3) m3 = v3;
      if (v4 > m4) m4 = v4;
      if (v5 > m5) m5 = v5;
      if (v6 > m6) m6 = v6;
      if (v7 > m7) m7 = v7;
      poison += ((v0 + v1) + (v2 + v3) + ((v4 + v5) + (v6 + v7))) * 0;
    }
    maxima[i] = m0;
    maxima[i + 1] = m1;
    maxima[i + 2] = m2;
    maxima[i + 3] = m3;
    maxima[i + 4] = m4;
    maxima[i + 5] = m5;
    maxima[i + 6] = m6;
    maxima[i + 7] = m7;
  }
  return poison;
}

/**
 * argmax[o, i] = the first k with x[o, k, i] equal to values[o, i] (a NaN maximum matches the
 * first NaN): the index torch.max(dim) returns, given the maxima `maxAxis` computed.
 */
export function firstMaxIndex(
  x: TypedArray, outer: number, length: number, inner: number, values: TypedArray, argmax: Int32Array,
): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const best = values[o * inner + i]!;
      const base = o * length * inner + i;
      let k = 0;
      if (best === best) while (k < length - 1 && x[base + k * inner] !== best) k++;
      else while (k < length - 1 && x[base + k * inner] === x[base + k * inner]) k++;
      argmax[o * inner + i] = k;
    }
  }
}

/**
 * max of the contiguous row x[base .. base + length), NaN winning. After the first few elements a
 * new maximum is rare, so each block of eight is tested against the running maximum with a chain
 * of short-circuit compares (`!(v <= m)` is true for NaN too), each a well-predicted branch that
 * is not taken, and only a block that holds a larger value (or NaN) takes the one-at-a-time path.
 * The chain ran 1.15–1.2× faster than one OR of eight compares turned into numbers (one branch
 * per block), which itself ran 1.4× faster than eight lanes each updating its own maximum (1M
 * floats, Node 20).
 */
function maxRow(x: TypedArray, base: number, length: number): number {
  let m = x[base]!;
  if (m !== m) return m;
  let p = base;
  const head = base + (length & 7);
  const end = base + length;
  for (; p < head; p++) {
    const v = x[p]!;
    if (!(v <= m)) {
      if (v !== v) return v;
      m = v;
    }
  }
  for (; p < end; p = (p + 8) | 0) {
    if (
      !(x[p]! <= m) || !(x[(p + 1) | 0]! <= m) || !(x[(p + 2) | 0]! <= m) || !(x[(p + 3) | 0]! <= m)
      || !(x[(p + 4) | 0]! <= m) || !(x[(p + 5) | 0]! <= m) || !(x[(p + 6) | 0]! <= m) || !(x[(p + 7) | 0]! <= m)
    ) {
      for (let q = p; q < p + 8; q++) {
        const v = x[q]!;
        if (!(v <= m)) {
          if (v !== v) return v;
          m = v;
        }
      }
    }
  }
  return m;
}

/** The exact reference loop: the first NaN wins. */
function maxStrided(x: TypedArray, base: number, length: number, stride: number): number {
  let best = x[base]!;
  for (let k = 1; k < length && best === best; k++) {
    const v = x[base + k * stride]!;
    if (!(v <= best)) best = v;
  }
  return best;
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
