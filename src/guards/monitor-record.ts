import type { NonFiniteInfo } from '../autograd/hooks.js';
import type { Tensor } from '../autograd/tensor.js';
import type { UpdateMeter } from '../tensor/kernels/update-meter.js';
import type { LayerStat } from './amplification.js';
import type { Slot } from './monitor-store.js';
import type { SpikeEvent } from './spike.js';

/*
 * What a monitor keeps of each backward pass, and the weight and update norms it measures
 * after an optimizer step.
 */

/** Norms of one parameter in one step. */
export interface ParameterRecord {
  /** 2-norm of its accumulated `.grad`. */
  gradNorm: number;
  /** 2-norm of its values after the optimizer step (NaN until `afterStep` runs). */
  weightNorm: number;
  /** ‖ΔW‖ / ‖W‖ of the optimizer step (NaN until `afterStep` runs). */
  updateRatio: number;
}

/** What the monitor keeps of one backward pass. */
export interface MonitorRecord {
  /** Passes counted from 0. */
  step: number;
  /** 2-norm of all parameter gradients before clipping (NaN for a pass that never finished). */
  totalNorm: number;
  /** Factor a clipping guard applied (1 when none). */
  clipScale: number;
  /** The report's `ok`. */
  ok: boolean;
  /** The loss of the pass (`recordLoss`, else the scalar backward started from; NaN when unknown). */
  loss: number;
  /** Every submodule that ran, by path: its parameters' gradient norm and its amplification. */
  layers: Record<string, LayerStat>;
  /** Module paths in forward order (object keys of `layers` cannot keep it: '10' sorts before 'a'). */
  order: string[];
  /** The op that produced each module's output (`'linear'`, `'relu'`, …). */
  ops: Record<string, string>;
  /** Per parameter, by `stateDict` name. */
  parameters: Record<string, ParameterRecord>;
  /** The first non-finite value of the pass: from the report (nanTrap), else located by the monitor. */
  nonFinite: NonFiniteInfo | null;
  /** 2-norm of all parameters after the step, and ‖ΔW‖/‖W‖ over all of them (NaN until `afterStep`). */
  weightNorm: number;
  updateRatio: number;
  /** Which signals spiked in this pass. */
  spikes: Array<'loss' | 'gradNorm'>;
  /** Batch indices given with `recordBatch` for this pass. */
  batch?: number[];
}

/** A spike event of the monitor's detectors, with the signal it was seen on. */
export interface MonitorSpikeEvent extends SpikeEvent {
  signal: 'loss' | 'gradNorm';
}

/**
 * Records each parameter's weight norm and ‖ΔW‖/‖W‖ in `record` (the newest pass), measured by
 * `meter`: the optimizer's own measure of the step it made, or else a comparison with the
 * weights as they were at the last measurement (or when first kept).
 */
export function recordUpdates(record: Slot, params: readonly Tensor[], meter: UpdateMeter): void {
  let weightSquares = 0;
  let updateSquares = 0;
  for (let i = 0; i < params.length; i++) {
    const param = params[i]!;
    const { weight, update } = meter.measure(param, param.data, param.version);
    weightSquares += weight;
    updateSquares += update;
    const name = param.name ?? `parameter${i}`;
    // why: the usual case, the pass's own parameters in its order, needs no lookup by name
    const index = record.layout.names[i] === name ? i : record.layout.parameterIndex(name);
    if (index !== undefined) {
      record.figures[record.weightNormsAt + index] = Math.sqrt(weight);
      record.figures[record.updateRatiosAt + index] = Math.sqrt(update) / Math.sqrt(weight);
    }
  }
  record.weightNorm = Math.sqrt(weightSquares);
  record.updateRatio = Math.sqrt(updateSquares) / record.weightNorm;
}
