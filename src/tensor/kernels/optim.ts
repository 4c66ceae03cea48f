import type { TypedArray } from '../dtype.js';
import { bufferStats } from './reduce.js';
import { trySgdWasm, tryWeightUpdateWasm } from '../wasm/backend.js';

/*
 * Optimizer updates, in place, and the measure of their size. They touch every parameter once per step, so on a small, deep
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

/**
 * Σw² and Σ(w − previous)² in one pass, then `previous ← w`, so the copy is ready for the next
 * step: a monitor's ‖W‖ and ‖ΔW‖ (the update-to-weight ratio). The update is NaN without a
 * previous copy of the same length. Sums in float64; float32 buffers from 512 elements on take
 * the WebAssembly SIMD kernel.
 * @example
 * const { weight, update } = weightAndUpdate(w.data, copyAfterLastStep); // ‖ΔW‖/‖W‖ = √update / √weight
 */
export function weightAndUpdate(data: TypedArray, previous: TypedArray | undefined): { weight: number; update: number } {
  if (previous === undefined || previous.length !== data.length) return { weight: bufferStats(data).sumOfSquares, update: NaN };
  const measured = tryWeightUpdateWasm(data, previous);
  if (measured !== undefined) {
    previous.set(data);
    return measured;
  }
  let weight = 0;
  let update = 0;
  const n = data.length;
  for (let i = 0; i < n; i++) {
    const w = data[i]!;
    const d = w - previous[i]!;
    weight += w * w;
    update += d * d;
    previous[i] = w;
  }
  return { weight, update };
}
