import type { TypedArray } from '../dtype.js';
import { bufferStats } from './reduce.js';
import { statsOnWasm, trySgdWasm } from '../wasm/backend.js';
import { ResidentCopies } from '../wasm/resident.js';

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
 * Σw² and Σ(w − previous)² in one float64 pass, then `previous ← w`, so the copy is ready for the
 * next step: a monitor's ‖W‖² and ‖ΔW‖² (the update-to-weight ratio is √update / √weight).
 * The TypeScript loop, used for float64 and small buffers, and as the reference (see UpdateMeter).
 * @example
 * const { weight, update } = weightAndUpdateLoop(w.data, copyAfterLastStep);
 */
export function weightAndUpdateLoop(data: TypedArray, previous: TypedArray): { weight: number; update: number } {
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
 * Measures how far buffers moved between two measurements: for each key (a parameter), Σw² and
 * Σ(w − w at the last measurement)², keeping one copy per key. Float32 buffers from
 * STATS_WASM_THRESHOLD elements keep their copy in a kernel memory of their own
 * (`ResidentCopies`), where a measurement is one copy in and one SIMD pass; the others keep a
 * plain copy and use `weightAndUpdateLoop`.
 * @example
 * const meter = new UpdateMeter();
 * meter.remember(weight, weight.data);       // before the optimizer step
 * optimizer.step();
 * const { weight: w2, update } = meter.measure(weight, weight.data); // ‖ΔW‖/‖W‖ = √update / √w2
 */
export class UpdateMeter {
  private readonly copies = new Map<object, TypedArray>();
  private resident: ResidentCopies | undefined;

  /** Keeps a copy of `data` under `key` unless one of the same length and dtype is kept already. */
  remember(key: object, data: TypedArray): void {
    if (this.resident?.holds(key, data.length) === true && data instanceof Float32Array) return;
    const copy = this.copies.get(key);
    if (copy !== undefined && copy.length === data.length && copy.constructor === data.constructor) return;
    if (data instanceof Float32Array && statsOnWasm(data)) {
      this.resident ??= ResidentCopies.create();
      if (this.resident !== undefined) {
        this.copies.delete(key);
        return this.resident.keep(key, data);
      }
    }
    this.copies.set(key, data.slice());
  }

  /** Σw² and Σ(w − copy)² (NaN without a copy of this length), then copy ← w. */
  measure(key: object, data: TypedArray): { weight: number; update: number } {
    if (this.resident !== undefined && data instanceof Float32Array) {
      if (statsOnWasm(data)) {
        const measured = this.resident.measure(key, data);
        if (measured !== undefined) return measured;
      } else {
        // the TypeScript path was chosen since the copy was made: it moves to a plain array
        const moved = this.resident.take(key);
        if (moved !== undefined) this.copies.set(key, moved);
      }
    }
    const copy = this.copies.get(key);
    if (copy === undefined || copy.length !== data.length) return { weight: bufferStats(data).sumOfSquares, update: NaN };
    return weightAndUpdateLoop(data, copy);
  }
}
