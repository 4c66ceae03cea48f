import type { TypedArray } from '../dtype.js';
import { trySgdWasm } from '../wasm/backend.js';
import type { UpdateSize } from './update-size.js';

/*
 * Optimizer updates, in place, and the measure of their size. They touch every parameter once
 * per step, so on a small, deep network (many 64×64 weights) the update loop costs as much as a
 * fifth of the step: worth a kernel of its own like any other hot loop.
 */

/**
 * Plain SGD (no momentum), in place: param ← param − lr·(grad + weightDecay·param).
 * float32 parameters large enough to pay for the copies take the WebAssembly SIMD kernel, which
 * computes in float32 as PyTorch does; the TypeScript loop computes in float64 and rounds once.
 * With `measure`, returns the step's size (Σw² after it and Σ(Δw)², see `UpdateSize`), summed
 * while the old and new values are at hand: a monitor's ‖ΔW‖/‖W‖ without a copy of the weights.
 * @example
 * sgdUpdate(weight.data, weight.grad.data, 0.1, 0);
 * const { weight: w2, update } = sgdUpdate(weight.data, weight.grad.data, 0.1, 0, true)!; // ‖ΔW‖/‖W‖ = √update / √w2
 */
export function sgdUpdate(param: TypedArray, grad: TypedArray, lr: number, weightDecay: number, measure = false): UpdateSize | undefined {
  const done = trySgdWasm(param, grad, lr, weightDecay, measure);
  if (done !== undefined) return done === 'done' ? undefined : done;
  if (measure) return sgdMeasuredLoop(param, grad, lr, weightDecay);
  const n = param.length;
  for (let i = 0; i < n; i++) {
    const w = param[i]!;
    param[i] = w - lr * (grad[i]! + weightDecay * w);
  }
  return undefined;
}

/** The TypeScript SGD loop that also sums the new weights' squares and the squares of the steps it took. */
function sgdMeasuredLoop(param: TypedArray, grad: TypedArray, lr: number, weightDecay: number): UpdateSize {
  let weight = 0;
  let update = 0;
  const n = param.length;
  for (let i = 0; i < n; i++) {
    const before = param[i]!;
    param[i] = before - lr * (grad[i]! + weightDecay * before);
    const after = param[i]!; // as stored: rounded to float32 for a float32 parameter
    weight += after * after;
    update += (after - before) * (after - before);
  }
  return { weight, update };
}
