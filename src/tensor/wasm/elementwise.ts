import type { BufferStats } from '../kernels/reduce.js';
import { weightAndUpdateLoop, type UpdateSize } from '../kernels/update-size.js';
import { BLOCK_FLOATS, slotFloats } from './elementwise-kernel.js';
import { SQUARES_SCALE } from './squares-kernel.js';
import { areaStart, kernel, memoryDoubles, memoryFloats, type WasmKernels } from './runtime.js';

/*
 * Host side of the elementwise kernels: copy the operands into the kernel memory (each in a slot
 * rounded up to whole blocks, placed where copies run fast: see `areaStart`), run the kernel,
 * copy the result out. Same contracts as the TypeScript kernels in kernels/binary.ts, unary.ts
 * and reduce.ts, for float32 only.
 */

/** out = a + b (`'add'`) or a · b (`'mul'`) for same-length arrays. */
export function binaryWasm(kernels: WasmKernels, name: 'add' | 'mul', a: Float32Array, b: Float32Array, out: Float32Array): void {
  const n = out.length;
  const slot = slotFloats(n);
  const aAt = areaStart(0);
  const bAt = areaStart(aAt + slot);
  const outAt = areaStart(bAt + slot);
  const memory = memoryFloats(kernels, outAt + slot);
  memory.set(a, aAt);
  memory.set(b, bAt);
  kernel(kernels, name)(aAt * 4, bAt * 4, outAt * 4, slot * 4);
  out.set(memory.subarray(outAt, outAt + n));
}

/** out = max(x, 0), NaN kept. */
export function reluWasm(kernels: WasmKernels, x: Float32Array, out: Float32Array): void {
  const n = x.length;
  const slot = slotFloats(n);
  const xAt = areaStart(0);
  const outAt = areaStart(xAt + slot);
  const memory = memoryFloats(kernels, outAt + slot);
  memory.set(x, xAt);
  kernel(kernels, 'relu')(xAt * 4, outAt * 4, slot * 4);
  out.set(memory.subarray(outAt, outAt + n));
}

/**
 * out = 0 where x ≤ 0, else gradOut (NaN in x passes the gradient, as PyTorch's threshold_backward).
 * With `measure`, also the output's statistics, taken in kernel memory (see `statsInMemory`).
 */
export function reluBackwardWasm(kernels: WasmKernels, x: Float32Array, gradOut: Float32Array, out: Float32Array, measure = false): BufferStats | null {
  const n = x.length;
  const slot = slotFloats(n);
  const xAt = areaStart(0);
  const gradAt = areaStart(xAt + slot);
  const outAt = areaStart(gradAt + slot);
  const memory = memoryFloats(kernels, outAt + slot + BLOCK_FLOATS);
  memory.set(x, xAt);
  memory.set(gradOut, gradAt);
  if (measure) memory.fill(0, gradAt + n, gradAt + slot); // a zero gradient in the padding gives a zero output there
  kernel(kernels, 'reluBackward')(xAt * 4, gradAt * 4, outAt * 4, slot * 4);
  out.set(memory.subarray(outAt, outAt + n));
  return measure ? statsInMemory(kernels, outAt, n, outAt + slot) : null;
}

/** Σx, accumulated in float64. */
export function sumWasm(kernels: WasmKernels, x: Float32Array): number {
  const n = x.length;
  const slot = slotFloats(n);
  const xAt = areaStart(0);
  copyIn(memoryFloats(kernels, xAt + slot), x, xAt, slot);
  return kernel(kernels, 'sum')(xAt * 4, slot * 4);
}

/**
 * Σx² and max |x| ignoring NaN of the `n` floats at float offset `at` of the kernel memory, whose
 * padding up to whole blocks is zero, in one pass (the `squares` kernel); `maxAt` is scratch for
 * one f32. null when the sum is not finite (elements above ~4e9, or NaN/±Inf): the float64 loop
 * then gives the exact figures and counts the non-finite values.
 */
export function statsInMemory(kernels: WasmKernels, at: number, n: number, maxAt: number): BufferStats | null {
  const sumOfSquares = kernel(kernels, 'squares')(at * 4, slotFloats(n) * 4, maxAt * 4) / (SQUARES_SCALE * SQUARES_SCALE);
  if (!Number.isFinite(sumOfSquares)) return null;
  return { sumOfSquares, maxAbs: memoryFloats(kernels, maxAt + 1)[maxAt]!, nonFiniteCount: 0 };
}

/** Σx² and max |x| ignoring NaN of a float32 buffer (see `statsInMemory`). */
export function statsWasm(kernels: WasmKernels, x: Float32Array): BufferStats | null {
  const n = x.length;
  const slot = slotFloats(n);
  const xAt = areaStart(0);
  copyIn(memoryFloats(kernels, xAt + slot + BLOCK_FLOATS), x, xAt, slot);
  return statsInMemory(kernels, xAt, n, xAt + slot);
}

/**
 * Σw² and Σ(w − previous)² of `n` floats at float offsets `at` and `previousAt` of the kernel
 * memory (padding zero in both): the `updateSquares` kernel, or the float64 TypeScript loop when
 * its float32 sums cannot be trusted (see `needsExactSums`). `resultAt` (a multiple of 2) is
 * scratch for one f64. The previous values may be overwritten.
 */
export function updateSizeInMemory(kernels: WasmKernels, at: number, previousAt: number, n: number, resultAt: number): UpdateSize {
  const weight = kernel(kernels, 'updateSquares')(at * 4, previousAt * 4, slotFloats(n) * 4, resultAt * 4);
  const update = memoryDoubles(kernels)[resultAt / 2]!;
  if (!needsExactSums(weight, update, n)) return { weight, update };
  const memory = memoryFloats(kernels, resultAt);
  return weightAndUpdateLoop(memory.subarray(at, at + n), memory.subarray(previousAt, previousAt + n));
}

/** Below n·2⁻¹⁰⁰, a float32 sum of n squares may have lost a part that matters (see `needsExactSums`). */
const TINY_SQUARES_PER_ELEMENT = 2 ** -100;

/**
 * True when the float32 sums of `updateSquares`, `sgdMeasured` or `adamMeasured` (Σw², Σ(Δw)²
 * over n elements) must be redone in float64: one is not finite (a square above float32's range,
 * or NaN/±Inf), or one is so small that its squares may have been subnormal (|x| < ~1e-19) and
 * lost digits. Above n·2⁻¹⁰⁰, what subnormal squares can lose (< n·2⁻¹²⁶) is below 2⁻²⁶ of the
 * sum. A zero Σ(Δw)² with a normal Σw² stands: a nonzero step whose square vanishes in float32
 * (|Δw| < ~4e-23) needs a weight below ~1e-15, and what such steps add to ‖ΔW‖/‖W‖ is below
 * 4e-8 however the weights lie (~1e-22 for weights of order 1).
 */
export function needsExactSums(weight: number, update: number, n: number): boolean {
  const tiny = n * TINY_SQUARES_PER_ELEMENT;
  return !(Number.isFinite(weight) && Number.isFinite(update)) || weight < tiny || (update > 0 && update < tiny);
}

/** memory[at ..] ← values, then zeros up to `at + end` (the padding of a slot that must add nothing). */
export function copyIn(memory: Float32Array, values: Float32Array, at: number, end: number): void {
  memory.set(values, at);
  if (end > values.length) memory.fill(0, at + values.length, at + end);
}

/**
 * The end of an optimizer kernel that measured its step: the new weights (at `paramAt` of the
 * kernel memory) copied back into `param`, and Σw², Σ(Δw)² as the kernel summed them (Σw²
 * returned as `weight`, Σ(Δw)² stored as an f64 at `resultAt`), or redone in float64 against the
 * old values still in `param` when the float32 sums cannot be trusted (see `needsExactSums`).
 */
export function finishMeasuredStep(kernels: WasmKernels, param: Float32Array, paramAt: number, weight: number, resultAt: number): UpdateSize {
  const n = param.length;
  const update = memoryDoubles(kernels)[resultAt / 2]!;
  const after = memoryFloats(kernels, resultAt).subarray(paramAt, paramAt + n);
  if (needsExactSums(weight, update, n)) return weightAndUpdateLoop(after, param); // and param ← after
  param.set(after);
  return { weight, update };
}

/** x ← x · factor in float32 arithmetic, in place. */
export function scaleWasm(kernels: WasmKernels, x: Float32Array, factor: number): void {
  const n = x.length;
  const slot = slotFloats(n);
  const at = areaStart(0);
  const memory = memoryFloats(kernels, at + slot);
  memory.set(x, at);
  kernel(kernels, 'scale')(at * 4, slot * 4, factor);
  x.set(memory.subarray(at, at + n));
}

/** param ← param − lr·(grad + weightDecay·param) in float32 arithmetic (plain SGD), in place. */
export function sgdWasm(kernels: WasmKernels, param: Float32Array, grad: Float32Array, lr: number, weightDecay: number): void {
  const n = param.length;
  const slot = slotFloats(n);
  const paramAt = areaStart(0);
  const gradAt = areaStart(paramAt + slot);
  const memory = memoryFloats(kernels, gradAt + slot);
  memory.set(param, paramAt);
  memory.set(grad, gradAt);
  kernel(kernels, weightDecay === 0 ? 'sgd' : 'sgdDecay')(paramAt * 4, gradAt * 4, slot * 4, lr, weightDecay);
  param.set(memory.subarray(paramAt, paramAt + n));
}
