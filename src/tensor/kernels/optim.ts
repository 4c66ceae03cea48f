import type { TypedArray } from '../dtype.js';
import { trySgdWasm } from '../wasm/backend.js';

/*
 * Optimizer updates, in place. They touch every parameter once per step, so on a small, deep
 * network (many 64×64 weights) the update loop costs as much as a fifth of the step: worth a
 * kernel of its own like any other hot loop.
 */

/**
 * Plain SGD (no momentum), in place: param ← param − lr·(grad + weightDecay·param).
 * float32 parameters large enough to pay for the copies take the WebAssembly SIMD kernel, which
 * computes in float32 as PyTorch does; the TypeScript loop computes in float64 and rounds once.
 * @example
 * sgdUpdate(weight.data, weight.grad.data, 0.1, 0);
 */
export function sgdUpdate(param: TypedArray, grad: TypedArray, lr: number, weightDecay: number): void {
  if (trySgdWasm(param, grad, lr, weightDecay)) return;
  for (let i = 0; i < param.length; i++) param[i] = param[i]! - lr * (grad[i]! + weightDecay * param[i]!);
}
