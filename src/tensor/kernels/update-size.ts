import type { TypedArray } from '../dtype.js';

/** The size of an optimizer step on one buffer: Σw² after it and Σ(Δw)² (‖W‖² and ‖ΔW‖²). */
export interface UpdateSize {
  weight: number;
  update: number;
}

/**
 * Σw² and Σ(w − previous)² in one float64 pass, then `previous ← w`, so the copy is ready for the
 * next step: a monitor's ‖W‖² and ‖ΔW‖² (the update-to-weight ratio is √update / √weight).
 * The TypeScript loop for float64, small and extreme buffers, and the reference for the
 * WebAssembly kernel (see UpdateMeter).
 * @example
 * const { weight, update } = weightAndUpdateLoop(w.data, copyAfterLastStep);
 */
export function weightAndUpdateLoop(data: TypedArray, previous: TypedArray): UpdateSize {
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

/**
 * Adds one element's step to `size`: the optimizers' loops call it with the value before their
 * update and the value as stored after it (so a float32 parameter's step is measured as rounded).
 * @example
 * const size = { weight: 0, update: 0 };
 * for (let i = 0; i < w.length; i++) { const before = w[i]; w[i] = before - lr * g[i]; measureStep(size, before, w[i]); }
 */
export function measureStep(size: UpdateSize, before: number, after: number): void {
  size.weight += after * after;
  size.update += (after - before) * (after - before);
}
