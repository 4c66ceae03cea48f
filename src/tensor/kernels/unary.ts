import type { TypedArray } from '../dtype.js';
import type { BufferStats } from './reduce.js';
import { tryReluBackwardWasm, tryReluWasm, tryScaleWasm } from '../wasm/backend.js';

/*
 * Elementwise maps and the elementwise products their derivatives need. Each is one plain loop;
 * NaN propagates as in PyTorch (relu(NaN) = NaN, relu(-Inf) = 0); float32 ReLU and its VJP
 * select on the bits, with the same results as Math.max and no branch.
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

/**
 * out = max(x, 0). float32 selects on the bits (`reluBits`); float64 (the gradcheck dtype, not a
 * hot path) uses Math.max, which keeps relu(NaN) = NaN, relu(-0) = 0 and relu(-Inf) = 0.
 */
export function relu(x: TypedArray, out: TypedArray): void {
  if (tryReluWasm(x, out)) return;
  if (x instanceof Float32Array && out instanceof Float32Array) {
    const bits = bitsOf(x);
    return reluBits(bits, bitsOf(out), bits);
  }
  for (let i = 0; i < x.length; i++) out[i] = Math.max(x[i]!, 0);
}

/** The bits of a float32 buffer as int32, to select values without branches. */
function bitsOf(x: Float32Array): Int32Array {
  return new Int32Array(x.buffer, x.byteOffset, x.length);
}

/**
 * -1 (all ones) where the float32 with bits `b` passes through ReLU (x > 0 or NaN), else 0:
 * `-b & ~b` has its sign bit set exactly for b > 0 (also excluding -0, whose bits are INT_MIN);
 * `0x7f800000 - |b|` is negative exactly for NaN. `x > 0 ? x : 0` and Math.max both branch in
 * V8's code, and on random signs that branch mispredicts half the time (~1.5 GB/s measured, ~4×
 * slower than this); these few integer operations do not.
 */
function passMask(b: number): number {
  return ((-b & ~b) | (0x7f800000 - (b & 0x7fffffff))) >> 31;
}

/**
 * out = select > 0 (or NaN) ? value : 0 elementwise on float32 bits: relu when `value` and
 * `select` are x, its VJP when `value` is gradOut. Eight elements per step: V8 (Node 20)
 * re-validates every typed-array argument (type, data pointer, length) on each loop iteration,
 * which costs more than the select itself when an iteration handles one element (2× measured).
 * The leftover elements go first (see sumRange in reduce.ts for why not last); `| 0` marks
 * indices as 32-bit integers so V8 skips an overflow check per access.
 */
function reluBits(value: Int32Array, out: Int32Array, select: Int32Array): void {
  const n = out.length;
  let i = 0;
  for (; i < (n & 7); i++) out[i] = value[i]! & passMask(select[i]!);
  for (; i < n; i = (i + 8) | 0) {
    const s0 = select[i]!, s1 = select[(i + 1) | 0]!, s2 = select[(i + 2) | 0]!, s3 = select[(i + 3) | 0]!;
    const s4 = select[(i + 4) | 0]!, s5 = select[(i + 5) | 0]!, s6 = select[(i + 6) | 0]!, s7 = select[(i + 7) | 0]!;
    const v0 = value[i]!, v1 = value[(i + 1) | 0]!, v2 = value[(i + 2) | 0]!, v3 = value[(i + 3) | 0]!;
    const v4 = value[(i + 4) | 0]!, v5 = value[(i + 5) | 0]!, v6 = value[(i + 6) | 0]!, v7 = value[(i + 7) | 0]!;
    out[i] = v0 & passMask(s0);
    out[(i + 1) | 0] = v1 & passMask(s1);
    out[(i + 2) | 0] = v2 & passMask(s2);
    out[(i + 3) | 0] = v3 & passMask(s3);
    out[(i + 4) | 0] = v4 & passMask(s4);
    out[(i + 5) | 0] = v5 & passMask(s5);
    out[(i + 6) | 0] = v6 & passMask(s6);
    out[(i + 7) | 0] = v7 & passMask(s7);
  }
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
 * so a NaN input passes the gradient on, as it does in PyTorch. With `measure`, returns out's
 * statistics when the WebAssembly kernel took them on the way (undefined: measure it yourself).
 */
export function reluBackward(x: TypedArray, gradOut: TypedArray, out: TypedArray, measure = false): BufferStats | undefined {
  const ran = tryReluBackwardWasm(x, gradOut, out, measure);
  if (ran !== undefined) return ran ?? undefined;
  if (x instanceof Float32Array && gradOut instanceof Float32Array && out instanceof Float32Array) {
    reluBits(bitsOf(gradOut), bitsOf(out), bitsOf(x));
    return undefined;
  }
  for (let i = 0; i < x.length; i++) out[i] = x[i]! <= 0 ? 0 : gradOut[i]!;
  return undefined;
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

/**
 * x ← x · factor in place: a clip's rescaling of a gradient. float32 buffers are multiplied by the
 * float32 nearest to `factor`, as PyTorch's `grad.mul_(clip_coef)` with a float32 coefficient
 * does (a float32 × float32 product is exact in float64, so rounding it once gives the float32
 * product: the WebAssembly kernel, taken from 256 elements, gives the same bits). Returns the
 * factor applied.
 */
export function scaleInPlace(x: TypedArray, factor: number): number {
  const applied = x instanceof Float32Array ? Math.fround(factor) : factor;
  if (tryScaleWasm(x, applied)) return applied;
  for (let i = 0; i < x.length; i++) x[i] = x[i]! * applied;
  return applied;
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
