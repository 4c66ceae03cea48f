import type { TypedArray } from '../dtype.js';
import { tryReluBackwardWasm, tryReluWasm } from '../wasm/backend.js';

/*
 * Elementwise maps and the elementwise products their derivatives need. Each is one plain loop;
 * NaN propagates as in PyTorch (relu(NaN) = NaN), which is why ReLU uses Math.max and not a
 * comparison against 0 (max(NaN, 0) is NaN, max(-Inf, 0) is 0); the float32 ReLU backward
 * selects on the bits instead, with the same results and no branch.
 */

export function neg(x: TypedArray, out: TypedArray): void {
  for (let i = 0; i < x.length; i++) out[i] = -x[i]!;
}

export function exp(x: TypedArray, out: TypedArray): void {
  for (let i = 0; i < x.length; i++) out[i] = Math.exp(x[i]!);
}

export function log(x: TypedArray, out: TypedArray): void {
  for (let i = 0; i < x.length; i++) out[i] = Math.log(x[i]!);
}

export function sqrt(x: TypedArray, out: TypedArray): void {
  for (let i = 0; i < x.length; i++) out[i] = Math.sqrt(x[i]!);
}

export function abs(x: TypedArray, out: TypedArray): void {
  for (let i = 0; i < x.length; i++) out[i] = Math.abs(x[i]!);
}

export function tanh(x: TypedArray, out: TypedArray): void {
  for (let i = 0; i < x.length; i++) out[i] = Math.tanh(x[i]!);
}

/** σ(x) = 1 / (1 + e^(−x)), written to stay finite for large |x|. */
export function sigmoid(x: TypedArray, out: TypedArray): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (v >= 0) out[i] = 1 / (1 + Math.exp(-v));
    else {
      const e = Math.exp(v);
      out[i] = e / (1 + e);
    }
  }
}

export function pow(x: TypedArray, exponent: number, out: TypedArray): void {
  if (exponent === 2) {
    for (let i = 0; i < x.length; i++) out[i] = x[i]! * x[i]!;
    return;
  }
  for (let i = 0; i < x.length; i++) out[i] = Math.pow(x[i]!, exponent);
}

export function relu(x: TypedArray, out: TypedArray): void {
  if (tryReluWasm(x, out)) return;
  reluByEights(x, out);
}

/**
 * out = max(x, 0), eight elements per step: eight loads, then eight stores. why: V8 (TurboFan,
 * Node 20) re-validates every typed-array argument (its type, data pointer and length) on each
 * loop iteration, which costs more than the max itself when an iteration handles one element;
 * this loop ran 2× faster than the one-element one (and than the float32 bit-select). Math.max
 * keeps relu(NaN) = NaN, relu(-0) = 0 and relu(-Inf) = 0. The leftover elements go first (see
 * sumRange in reduce.ts for why not last); `| 0` marks the indices as 32-bit integers so V8
 * skips an overflow check per access.
 */
function reluByEights(x: TypedArray, out: TypedArray): void {
  const n = x.length;
  let i = 0;
  for (; i < (n & 7); i++) out[i] = Math.max(x[i]!, 0);
  for (; i < n; i = (i + 8) | 0) {
    const v0 = x[i]!, v1 = x[(i + 1) | 0]!, v2 = x[(i + 2) | 0]!, v3 = x[(i + 3) | 0]!;
    const v4 = x[(i + 4) | 0]!, v5 = x[(i + 5) | 0]!, v6 = x[(i + 6) | 0]!, v7 = x[(i + 7) | 0]!;
    out[i] = Math.max(v0, 0);
    out[(i + 1) | 0] = Math.max(v1, 0);
    out[(i + 2) | 0] = Math.max(v2, 0);
    out[(i + 3) | 0] = Math.max(v3, 0);
    out[(i + 4) | 0] = Math.max(v4, 0);
    out[(i + 5) | 0] = Math.max(v5, 0);
    out[(i + 6) | 0] = Math.max(v6, 0);
    out[(i + 7) | 0] = Math.max(v7, 0);
  }
}

/** The bits of a float32 buffer as int32, to select values without branches. */
function bitsOf(x: Float32Array): Int32Array {
  return new Int32Array(x.buffer, x.byteOffset, x.length);
}

/**
 * -1 (all ones) where the float32 with bits `b` passes through ReLU (x > 0 or NaN), else 0:
 * `-b & ~b` has its sign bit set exactly for b > 0 (also excluding -0, whose bits are INT_MIN);
 * `0x7f800000 - |b|` is negative exactly for NaN. Random signs make a branch mispredict half
 * the time; this costs a few integer operations instead.
 */
function passMask(b: number): number {
  return ((-b & ~b) | (0x7f800000 - (b & 0x7fffffff))) >> 31;
}

/** out = select ? value : 0 elementwise on float32 bits: relu's VJP when `value` is gradOut and `select` is x. */
function reluBits(value: Int32Array, out: Int32Array, select: Int32Array): void {
  for (let i = 0; i < out.length; i++) out[i] = value[i]! & passMask(select[i]!);
}

export function leakyRelu(x: TypedArray, slope: number, out: TypedArray): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    out[i] = v > 0 ? v : v * slope;
  }
}

/** min(max(x, min), max) as torch.clamp: NaN stays NaN, and min > max gives max everywhere. */
export function clamp(x: TypedArray, min: number, max: number, out: TypedArray): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    const low = v < min ? min : v;
    out[i] = low > max ? max : low;
  }
}

/**
 * out = 0 where x ≤ 0, else gradOut (relu'(0) = 0). Written as PyTorch's threshold_backward,
 * so a NaN input passes the gradient on, as it does in PyTorch.
 */
export function reluBackward(x: TypedArray, gradOut: TypedArray, out: TypedArray): void {
  if (tryReluBackwardWasm(x, gradOut, out)) return;
  if (x instanceof Float32Array && gradOut instanceof Float32Array && out instanceof Float32Array) {
    return reluBits(bitsOf(gradOut), bitsOf(out), bitsOf(x));
  }
  for (let i = 0; i < x.length; i++) out[i] = x[i]! <= 0 ? 0 : gradOut[i]!;
}

/** out = gradOut · (x > 0 ? 1 : slope). */
export function leakyReluBackward(x: TypedArray, slope: number, gradOut: TypedArray, out: TypedArray): void {
  for (let i = 0; i < x.length; i++) out[i] = x[i]! > 0 ? gradOut[i]! : gradOut[i]! * slope;
}

/** out = gradOut where min ≤ x ≤ max, else 0 (PyTorch passes the gradient at the bounds). */
export function clampBackward(x: TypedArray, min: number, max: number, gradOut: TypedArray, out: TypedArray): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    out[i] = v >= min && v <= max ? gradOut[i]! : 0;
  }
}

/** out = gradOut · sign(x), with sign(0) = 0 (abs'(0) = 0) and sign(NaN) = 0, as PyTorch's sign. */
export function absBackward(x: TypedArray, gradOut: TypedArray, out: TypedArray): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    out[i] = v > 0 ? gradOut[i]! : v < 0 ? -gradOut[i]! : 0;
  }
}

/** out = gradOut · (1 − y²) where y = tanh(x). */
export function tanhBackward(y: TypedArray, gradOut: TypedArray, out: TypedArray): void {
  for (let i = 0; i < y.length; i++) out[i] = gradOut[i]! * (1 - y[i]! * y[i]!);
}

/** out = gradOut · y·(1 − y) where y = σ(x). */
export function sigmoidBackward(y: TypedArray, gradOut: TypedArray, out: TypedArray): void {
  for (let i = 0; i < y.length; i++) out[i] = gradOut[i]! * y[i]! * (1 - y[i]!);
}

/** out = gradOut · p·x^(p−1); exactly 0 for p = 0, as PyTorch (not 0·x⁻¹, which is NaN at x = 0). */
export function powBackward(x: TypedArray, exponent: number, gradOut: TypedArray, out: TypedArray): void {
  if (exponent === 0) {
    out.fill(0);
    return;
  }
  if (exponent === 2) {
    for (let i = 0; i < x.length; i++) out[i] = 2 * x[i]! * gradOut[i]!;
    return;
  }
  for (let i = 0; i < x.length; i++) out[i] = exponent * Math.pow(x[i]!, exponent - 1) * gradOut[i]!;
}

/** out = a · s. */
export function scale(a: TypedArray, s: number, out: TypedArray): void {
  for (let i = 0; i < a.length; i++) out[i] = a[i]! * s;
}

/** target += source, elementwise and in place (gradient accumulation). */
export function addInPlace(target: TypedArray, source: TypedArray): void {
  for (let i = 0; i < target.length; i++) target[i] = target[i]! + source[i]!;
}

/** out = gradOut · y, the VJP of exp with y = eˣ. */
export function expBackward(y: TypedArray, gradOut: TypedArray, out: TypedArray): void {
  for (let i = 0; i < y.length; i++) out[i] = gradOut[i]! * y[i]!;
}

/** out = gradOut / x, the VJP of log. */
export function logBackward(x: TypedArray, gradOut: TypedArray, out: TypedArray): void {
  for (let i = 0; i < x.length; i++) out[i] = gradOut[i]! / x[i]!;
}

/** out = gradOut / (2y), the VJP of sqrt with y = √x. */
export function sqrtBackward(y: TypedArray, gradOut: TypedArray, out: TypedArray): void {
  for (let i = 0; i < y.length; i++) out[i] = gradOut[i]! / (2 * y[i]!);
}
