import type { GradientView, NonFiniteInfo } from '../autograd/hooks.js';
import type { Tensor } from '../autograd/tensor.js';
import type { TypedArray } from '../tensor/dtype.js';
import { moduleOfParameter, type LayerStat } from './amplification.js';
import type { SpikeEvent } from './spike.js';

/*
 * What a monitor keeps of each backward pass, and the two measurements it makes on plain
 * buffers: per-parameter gradient norms (from cached statistics) and weight/update norms.
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

/** Per-parameter gradient norms from the end-of-pass views (cached statistics, no new scan), and Σ‖g‖² per module. */
export function parameterNorms(
  parameters: readonly Tensor[], grads: readonly GradientView[],
): { records: Record<string, ParameterRecord>; moduleSquares: Map<string, number> } {
  const records: Record<string, ParameterRecord> = {};
  const moduleSquares = new Map<string, number>();
  parameters.forEach((param, i) => {
    const squares = grads[i]?.stats.sumOfSquares ?? NaN;
    records[param.name ?? `parameter${i}`] = { gradNorm: Math.sqrt(squares), weightNorm: NaN, updateRatio: NaN };
    if (param.name === undefined) return;
    const module = moduleOfParameter(param.name);
    moduleSquares.set(module, (moduleSquares.get(module) ?? 0) + squares);
  });
  return { records, moduleSquares };
}

/**
 * Σw² and Σ(w − previous)² in one pass, copying w into `previous` as it goes, so that the copy
 * is ready for the next step's update (the update is NaN without a previous copy).
 */
export function weightAndUpdate(data: TypedArray, previous: TypedArray | undefined): { weight: number; update: number } {
  if (previous === undefined || previous.length !== data.length) return { weight: sumOfSquares(data), update: NaN };
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

function sumOfSquares(data: TypedArray): number {
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += data[i]! * data[i]!;
  return sum;
}
