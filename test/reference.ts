/*
 * Direct-loop reference implementations for the op tests. They use no library code: every
 * element is reached by its coordinates, never by strides or kernels, so a bug in a kernel
 * cannot hide in its own reference.
 */
import type { Tensor } from '../src/index.js';

/** A plain float64 array with a shape: what the reference loops read and write. */
export interface Ref {
  data: Float64Array;
  shape: number[];
}

export function refOf(t: Tensor): Ref {
  return { data: Float64Array.from(t.data), shape: t.shape.slice() };
}

export function sizeOfShape(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Coordinates of flat index `index` in a row-major array of `shape`. */
export function unravel(index: number, shape: readonly number[]): number[] {
  const coords = new Array<number>(shape.length).fill(0);
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    coords[axis] = index % shape[axis]!;
    index = Math.floor(index / shape[axis]!);
  }
  return coords;
}

/** Flat row-major index of `coords` in `shape`. */
export function ravel(coords: readonly number[], shape: readonly number[]): number {
  let index = 0;
  for (let axis = 0; axis < shape.length; axis++) index = index * shape[axis]! + coords[axis]!;
  return index;
}

/** NumPy's broadcasting rule, written the naive way: null when the shapes do not broadcast. */
export function refBroadcastShape(a: readonly number[], b: readonly number[]): number[] | null {
  const ndim = Math.max(a.length, b.length);
  const padA = [...new Array<number>(ndim - a.length).fill(1), ...a];
  const padB = [...new Array<number>(ndim - b.length).fill(1), ...b];
  const out: number[] = [];
  for (let i = 0; i < ndim; i++) {
    if (padA[i] === padB[i]) out.push(padA[i]!);
    else if (padA[i] === 1) out.push(padB[i]!);
    else if (padB[i] === 1) out.push(padA[i]!);
    else return null;
  }
  return out;
}

/** The element of `x` that output coordinate `coords` reads under broadcasting. */
function broadcastRead(x: Ref, coords: readonly number[]): number {
  const offset = coords.length - x.shape.length;
  const own = x.shape.map((dim, axis) => (dim === 1 ? 0 : coords[offset + axis]!));
  return x.data[ravel(own, x.shape)]!;
}

/** f applied elementwise. */
export function refMap(x: Ref, f: (v: number) => number): Ref {
  return { data: x.data.map(f), shape: x.shape.slice() };
}

/** f applied to every broadcast pair, by output coordinates. */
export function refZip(a: Ref, b: Ref, f: (x: number, y: number) => number): Ref {
  const shape = refBroadcastShape(a.shape, b.shape);
  if (shape === null) throw new Error(`reference: [${a.shape}] and [${b.shape}] do not broadcast`);
  const data = new Float64Array(sizeOfShape(shape));
  for (let i = 0; i < data.length; i++) {
    const coords = unravel(i, shape);
    data[i] = f(broadcastRead(a, coords), broadcastRead(b, coords));
  }
  return { data, shape };
}

/** Folds `axis` (every element when null) with `f`, starting from the first element. */
export function refReduce(x: Ref, axis: number | null, keepDim: boolean, f: (acc: number, v: number) => number): Ref {
  if (axis === null) {
    let acc = x.data[0]!;
    for (let i = 1; i < x.data.length; i++) acc = f(acc, x.data[i]!);
    return { data: Float64Array.of(acc), shape: keepDim ? x.shape.map(() => 1) : [] };
  }
  const ax = axis < 0 ? axis + x.shape.length : axis;
  const kept = x.shape.map((d, i) => (i === ax ? 1 : d));
  const data = new Float64Array(sizeOfShape(kept));
  const seen = new Uint8Array(data.length);
  for (let i = 0; i < x.data.length; i++) {
    const coords = unravel(i, x.shape);
    coords[ax] = 0;
    const target = ravel(coords, kept);
    data[target] = seen[target] ? f(data[target]!, x.data[i]!) : x.data[i]!;
    seen[target] = 1;
  }
  return { data, shape: keepDim ? kept : kept.filter((_, i) => i !== ax) };
}

/** max that lets NaN win, as torch.max. */
export const nanMax = (acc: number, v: number): number => (Number.isNaN(acc) || Number.isNaN(v) ? NaN : Math.max(acc, v));

/** [m,k]·[k,n] by the textbook triple loop. */
export function refMatmul(a: Ref, b: Ref): Ref {
  const [m, k] = a.shape as [number, number];
  const n = b.shape[1]!;
  const data = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a.data[i * k + p]! * b.data[p * n + j]!;
      data[i * n + j] = s;
    }
  }
  return { data, shape: [m, n] };
}

export function refTranspose(x: Ref): Ref {
  const [rows, cols] = x.shape as [number, number];
  const data = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) data[c * rows + r] = x.data[r * cols + c]!;
  return { data, shape: [cols, rows] };
}

/** softmax (or log-softmax) along `axis` straight from the definition exp(x)/Σexp(x), shifted by the max. */
export function refSoftmax(x: Ref, axis: number, log: boolean): Ref {
  const ax = axis < 0 ? axis + x.shape.length : axis;
  const max = refReduce(x, ax, true, nanMax);
  const shifted = refZip(x, max, (v, m) => v - m);
  const sums = refReduce(refMap(shifted, Math.exp), ax, true, (a, v) => a + v);
  return refZip(shifted, sums, (v, s) => (log ? v - Math.log(s) : Math.exp(v) / s));
}

/**
 * `size` float32-exact values in [-2, 2) with NaN, ±Inf, ±0 and subnormals planted every few places.
 * Single float32 +, −, ·, / computed in float64 then rounded are exact (53 ≥ 2·24 + 2 bits), so
 * kernels can be compared with `Math.fround(f(x, y))` bit for bit.
 */
export function withSpecialValues(size: number, seed: number): Float64Array {
  // 1e-40 is subnormal in float32: rounded here so that both dtypes hold exactly the same value.
  const specials = [NaN, Infinity, -Infinity, 0, -0, Math.fround(1e-40), Math.fround(-1e-40)];
  let state = seed >>> 0;
  const data = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    // why: a local LCG keeps this file free of library code (Numerical Recipes constants).
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    data[i] = Math.fround((state / 2 ** 32) * 4 - 2);
  }
  for (let i = seed % 5; i < size; i += 37) data[i] = specials[i % specials.length]!;
  return data;
}
