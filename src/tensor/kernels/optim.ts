import type { TypedArray } from '../dtype.js';
import { tryAdamWasm, trySgdWasm } from '../wasm/backend.js';
import type { UpdateSize } from './update-size.js';

/*
 * Optimizer updates, in place, and the measure of their size. They touch every parameter once
 * per step, so on a small, deep network (many 64×64 weights) the update loop costs as much as a
 * fifth of the step: worth a kernel of its own like any other hot loop.
 */

/**
 * Plain SGD (no momentum), in place: param ← param − lr·(grad + weightDecay·param), the decay
 * term only when weightDecay ≠ 0, as PyTorch (0·θ would turn an infinite weight into NaN).
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
    param[i] = w - lr * (weightDecay === 0 ? grad[i]! : grad[i]! + weightDecay * w);
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
    param[i] = before - lr * (weightDecay === 0 ? grad[i]! : grad[i]! + weightDecay * before);
    const after = param[i]!; // as stored: rounded to float32 for a float32 parameter
    weight += after * after;
    update += (after - before) * (after - before);
  }
  return { weight, update };
}

/**
 * The scalars of one Adam step at step t (torch.optim.Adam / AdamW): `shrink` = 1 − lr·λ for
 * AdamW's decoupled decay (else 1), `l2` = λ for Adam's coupled decay (else 0), `keep1` = 1 − β₁,
 * `beta2` = β₂, `keep2` = 1 − β₂, `stepSize` = lr / (1 − β₁ᵗ), `bias2Sqrt` = √(1 − β₂ᵗ), `eps` = ε.
 */
export interface AdamStep {
  shrink: number;
  l2: number;
  keep1: number;
  beta2: number;
  keep2: number;
  stepSize: number;
  bias2Sqrt: number;
  eps: number;
}

/**
 * One Adam step on a parameter and its moments, in place:
 *   θ ← θ·shrink;   g ← ∇ + l2·θ (only when l2 ≠ 0, as PyTorch);   m ← m + keep1·(g − m);   v ← β₂·v + keep2·g²
 *   (AMSGrad: v̂ ← max(v̂, v), used for v below);   θ ← θ − stepSize·m / (√v / bias2Sqrt + ε)
 * float32 parameters large enough to pay for the copies take the WebAssembly SIMD kernel, which
 * computes in float32 op by op as PyTorch does (AMSGrad stays here) and, with `measure`, returns
 * the step's size as `sgdUpdate` does; the TypeScript loop computes each value in float64 and
 * rounds it once when it stores it, and measures nothing (a monitor then compares with its copy).
 * @example
 * adamUpdate(w.data, w.grad.data, m, v, null, { shrink: 1, l2: 0, keep1: 0.1, beta2: 0.999, keep2: 0.001, stepSize: 1e-2, bias2Sqrt: 0.0316, eps: 1e-8 });
 */
export function adamUpdate(
  param: TypedArray, grad: TypedArray, expAvg: TypedArray, expAvgSq: TypedArray, maxExpAvgSq: TypedArray | null, step: AdamStep, measure = false,
): UpdateSize | undefined {
  if (maxExpAvgSq === null) {
    const done = tryAdamWasm(param, grad, expAvg, expAvgSq, step, measure);
    if (done !== undefined) return done === 'done' ? undefined : done;
  }
  const { shrink, l2, keep1, beta2, keep2, stepSize, bias2Sqrt, eps } = step;
  // why each stored value is read back (expAvg[i], expAvgSq[i]): the update must use it rounded
  // to the parameter's dtype, as PyTorch does; a value read twice is read once (5–14 % less time per element)
  const n = param.length;
  for (let i = 0; i < n; i++) {
    if (shrink !== 1) param[i] = param[i]! * shrink;
    const w = param[i]!;
    const g = l2 === 0 ? grad[i]! : grad[i]! + l2 * w;
    const m = expAvg[i]!;
    expAvg[i] = m + keep1 * (g - m); // lerp, as PyTorch
    expAvgSq[i] = beta2 * expAvgSq[i]! + keep2 * g * g;
    let second = expAvgSq[i]!;
    if (maxExpAvgSq !== null) {
      maxExpAvgSq[i] = Math.max(maxExpAvgSq[i]!, second);
      second = maxExpAvgSq[i]!;
    }
    param[i] = w - (stepSize * expAvg[i]!) / (Math.sqrt(second) / bias2Sqrt + eps);
  }
  return undefined;
}
