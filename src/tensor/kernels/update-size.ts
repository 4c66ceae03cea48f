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

