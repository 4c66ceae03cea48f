import type { TypedArray } from '../dtype.js';
import { bufferStats } from './reduce.js';
import { weightAndUpdateLoop, type UpdateSize } from './update-size.js';
import { statsOnWasm } from '../wasm/backend.js';
import { ResidentCopies } from '../wasm/resident.js';

/*
 * How far did each weight move in the last optimizer step? A monitor's ‖ΔW‖/‖W‖. Two ways to know:
 * the optimizer measures its own step while it writes it (cheapest: the old and new values are in
 * cache, no copy is kept), or a copy of the weights taken at the last measurement is compared
 * with them now. Buffers are identified by a key (the parameter) and a version number that every
 * in-place write raises (the tensor's `version`), so an optimizer's figure is used only when it
 * is known to be the one change since the last measurement.
 */

/** An optimizer's own measure of its step on a buffer, and the buffer's version before and after it. */
export interface MeasuredStep extends UpdateSize {
  versionBefore: number;
  versionAfter: number;
}

/**
 * The meter watching each key: optimizers measure their steps on these only, and stop once the
 * meter (and the monitor holding it) is gone, since it is held weakly.
 */
const watchers = new WeakMap<object, WeakRef<UpdateMeter>>();
const measuredSteps = new WeakMap<object, MeasuredStep>();

/** True when a live meter (a monitor) watches `key`: the optimizer should measure its step on it (`recordUpdateSize`). */
export function updateSizeWanted(key: object): boolean {
  return watchers.get(key)?.deref() !== undefined;
}

/**
 * An optimizer's measure of the step it just applied to `key`'s buffer, which took the buffer
 * from `versionBefore` to `versionAfter`.
 * @example
 * const before = param.version;
 * const size = sgdUpdate(param.data, grad, lr, 0, true); // undefined if it could not measure
 * param.bumpVersion();
 * if (size !== undefined) recordUpdateSize(param, size, before, param.version);
 */
export function recordUpdateSize(key: object, size: UpdateSize, versionBefore: number, versionAfter: number): void {
  const step = measuredSteps.get(key);
  // why update the kept record in place: no WeakMap insertion and no new object per parameter per step
  if (step === undefined) measuredSteps.set(key, { weight: size.weight, update: size.update, versionBefore, versionAfter });
  else {
    step.weight = size.weight;
    step.update = size.update;
    step.versionBefore = versionBefore;
    step.versionAfter = versionAfter;
  }
}

/** The last step an optimizer measured on `key` (for tests and tools), or undefined; the next measured step updates this same object. */
export function measuredStepOf(key: object): Readonly<MeasuredStep> | undefined {
  return measuredSteps.get(key);
}

/** What a meter knows of one key since its last measurement. */
interface Watch {
  /** The buffer's version at the last measurement (or when first remembered). */
  version: number;
  /** True while the kept copy equals the buffer as it was at `version`. */
  copyFresh: boolean;
  /** Σw² at the last measurement. */
  weight: number;
}

/**
 * Measures how far buffers moved between two measurements: for each key (a parameter), Σw² and
 * Σ(w − w at the last measurement)². Given the buffer's version, it takes the optimizer's own
 * measure when exactly that optimizer step happened since (see `recordUpdateSize`); otherwise it
 * compares with a copy taken at the last measurement. Float32 copies from STATS_WASM_THRESHOLD
 * elements live in a kernel memory of their own (`ResidentCopies`), where a measurement is one
 * copy in and one SIMD pass; the others are plain arrays (`weightAndUpdateLoop`). Once an
 * optimizer's figures are used the copy is no longer refreshed; if a later change is not an
 * optimizer step it can measure (a rollback, two steps, no version), that step's update is NaN
 * and the copy is refreshed, so the next one is measured again.
 * @example
 * const meter = new UpdateMeter();
 * meter.remember(weight, weight.data, weight.version); // before the optimizer step
 * optimizer.step();
 * const { weight: w2, update } = meter.measure(weight, weight.data, weight.version); // ‖ΔW‖/‖W‖ = √update / √w2
 */
export class UpdateMeter {
  private readonly copies = new Map<object, TypedArray>();
  private readonly watches = new Map<object, Watch>();
  private resident: ResidentCopies | undefined;
  private readonly self = new WeakRef(this);

  /**
   * Starts watching `key`: keeps a copy of `data` unless one of the same length and dtype is kept
   * already. With `version`, optimizers are asked to measure their steps on it.
   */
  remember(key: object, data: TypedArray, version?: number): void {
    if (this.holdsCopy(key, data)) return;
    if (version !== undefined) {
      watchers.set(key, this.self);
      this.watches.set(key, { version, copyFresh: true, weight: NaN });
    }
    this.keepCopy(key, data);
  }

  /** Σw² and Σ(w − w at the last measurement)² (update NaN when unknown), as of `version`. */
  measure(key: object, data: TypedArray, version?: number): UpdateSize {
    const watch = version === undefined ? undefined : this.watches.get(key);
    if (watch === undefined || version === undefined) return this.measureWithCopy(key, data);
    const step = measuredSteps.get(key);
    let size: UpdateSize;
    if (step !== undefined && step.versionBefore === watch.version && step.versionAfter === version) {
      size = { weight: step.weight, update: step.update };
      watch.copyFresh = false;
    } else if (watch.copyFresh) size = this.measureWithCopy(key, data);
    else if (version === watch.version) size = { weight: watch.weight, update: 0 }; // nothing wrote to it since
    else {
      size = { weight: bufferStats(data).sumOfSquares, update: NaN };
      this.keepCopy(key, data);
      watch.copyFresh = true;
    }
    watch.version = version;
    watch.weight = size.weight;
    return size;
  }

  private holdsCopy(key: object, data: TypedArray): boolean {
    if (this.resident?.holds(key, data.length) === true && data instanceof Float32Array) return true;
    const copy = this.copies.get(key);
    return copy !== undefined && copy.length === data.length && copy.constructor === data.constructor;
  }

  private keepCopy(key: object, data: TypedArray): void {
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
  private measureWithCopy(key: object, data: TypedArray): UpdateSize {
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
