import type { BufferStats } from '../kernels/reduce.js';
import { BLOCK_FLOATS, slotFloats } from './elementwise-kernel.js';
import { kernel, memoryFloats, type WasmKernels } from './runtime.js';

/*
 * Host side of the elementwise kernels: copy the operands into the kernel memory (each in a slot
 * rounded up to whole blocks), run the kernel, copy the result out. Same contracts as the
 * TypeScript kernels in kernels/binary.ts, unary.ts and reduce.ts, for float32 only.
 */


/** out = a + b (`'add'`) or a · b (`'mul'`) for same-length arrays. */
export function binaryWasm(kernels: WasmKernels, name: 'add' | 'mul', a: Float32Array, b: Float32Array, out: Float32Array): void {
  const n = out.length;
  const slot = slotFloats(n);
  const memory = memoryFloats(kernels, 3 * slot);
  memory.set(a, 0);
  memory.set(b, slot);
  kernel(kernels, name)(0, slot * 4, 2 * slot * 4, slot * 4);
  out.set(memory.subarray(2 * slot, 2 * slot + n));
}

/** out = max(x, 0), NaN kept. */
export function reluWasm(kernels: WasmKernels, x: Float32Array, out: Float32Array): void {
  const n = x.length;
  const slot = slotFloats(n);
  const memory = memoryFloats(kernels, 2 * slot);
  memory.set(x, 0);
  kernel(kernels, 'relu')(0, slot * 4, slot * 4);
  out.set(memory.subarray(slot, slot + n));
}

/** out = 0 where x ≤ 0, else gradOut (NaN in x passes the gradient, as PyTorch's threshold_backward). */
export function reluBackwardWasm(kernels: WasmKernels, x: Float32Array, gradOut: Float32Array, out: Float32Array): void {
  const n = x.length;
  const slot = slotFloats(n);
  const memory = memoryFloats(kernels, 3 * slot);
  memory.set(x, 0);
  memory.set(gradOut, slot);
  kernel(kernels, 'reluBackward')(0, slot * 4, 2 * slot * 4, slot * 4);
  out.set(memory.subarray(2 * slot, 2 * slot + n));
}

/** Σx, accumulated in float64. */
export function sumWasm(kernels: WasmKernels, x: Float32Array): number {
  const n = x.length;
  const slot = slotFloats(n);
  const memory = memoryFloats(kernels, slot);
  memory.set(x, 0);
  memory.fill(0, n, slot);
  return kernel(kernels, 'sum')(0, slot * 4);
}

/**
 * Σx² and max |x| ignoring NaN, in one pass (see the `stats` kernel). `nonFiniteCount` is 0: the
 * caller counts non-finite values when Σx² is not finite (it is then the only object made).
 */
export function statsWasm(kernels: WasmKernels, x: Float32Array): BufferStats {
  const n = x.length;
  const slot = slotFloats(n);
  const memory = memoryFloats(kernels, slot + BLOCK_FLOATS);
  memory.set(x, 0);
  memory.fill(0, n, slot);
  const sumOfSquares = kernel(kernels, 'stats')(0, slot * 4, slot * 4);
  return { sumOfSquares, maxAbs: memory[slot]!, nonFiniteCount: 0 };
}

/** x ← x · factor in float32 arithmetic, in place. */
export function scaleWasm(kernels: WasmKernels, x: Float32Array, factor: number): void {
  const n = x.length;
  const slot = slotFloats(n);
  const memory = memoryFloats(kernels, slot);
  memory.set(x, 0);
  kernel(kernels, 'scale')(0, slot * 4, factor);
  x.set(memory.subarray(0, n));
}

/** param ← param − lr·(grad + weightDecay·param) in float32 arithmetic (plain SGD). */
export function sgdWasm(kernels: WasmKernels, param: Float32Array, grad: Float32Array, lr: number, weightDecay: number): void {
  const n = param.length;
  const slot = slotFloats(n);
  const memory = memoryFloats(kernels, 2 * slot);
  memory.set(param, 0);
  memory.set(grad, slot);
  kernel(kernels, 'sgd')(0, slot * 4, slot * 4, lr, weightDecay);
  param.set(memory.subarray(0, n));
}
