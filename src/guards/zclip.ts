import { ArgumentError, checkOptions as checkOptionsObject, describeValue, positiveInteger } from '../errors.js';
import type { Guard, PassControl } from '../autograd/hooks.js';
import { clipCoefficient, nonFiniteLabels, reportNonFiniteNorm, scaleAll, totalNorm } from './norms.js';

/** Options of `zclip`. */
export interface ZClipOptions {
  /** Clip when the z-score of the global norm exceeds this. Default 2.5. */
  zThreshold?: number;
  /** Smoothing of the moving mean and variance (weight of the old value). Default 0.97. */
  alpha?: number;
  /** Passes that only collect norms before the statistics start. Default 25. */
  warmupSteps?: number;
  /**
   * `'clip'` (default) scales a spike down; `'skip'` abandons the pass instead, as
   * `control.stop()` does: every `.grad` is left as it was, `report.skipped` and `!report.ok`.
   */
  onSpike?: 'clip' | 'skip';
}

/** The moving statistics of a `zclip` guard. */
export interface ZClipState {
  /** Norms collected so far during warm-up (empty afterwards). */
  warmup: number[];
  /** Moving mean μ of the global norm (NaN during warm-up). */
  mean: number;
  /** Moving variance σ² of the global norm (NaN during warm-up). */
  variance: number;
}

/** A `zclip` guard, with its statistics readable. */
export interface ZClipGuard extends Guard {
  state(): ZClipState;
}

/** ZClip's ε in the z-score's denominator, as the authors' implementation. */
const SIGMA_EPSILON = 1e-6;

/**
 * ZClip (Kumar et al. 2025, "ZClip: Adaptive Spike Mitigation for LLM Pre-Training"). The first
 * `warmupSteps` passes only collect global 2-norms; their mean and (population) variance
 * initialise μ and σ². After that, z = (‖g‖ − μ)/(σ + 1e-6); when z > zThreshold the gradients are
 * scaled (PyTorch's global-norm rule) to norm μ + (zThreshold²/z)·σ, and μ, σ² are updated by
 * exponential averaging with that *clipped* norm (`μ ← αμ + (1−α)n`, `σ² ← ασ² + (1−α)(n − μ)²`
 * with the new μ, as the authors' code), otherwise with the raw norm. A non-finite norm scales
 * nothing and leaves the statistics alone; the report says so.
 *
 * It needs history: during warm-up nothing is clipped, so it cannot save a network whose
 * gradients explode from the first steps; it is made for sudden spikes in a healthy run.
 *
 * @example
 * const clip = zclip({ zThreshold: 2.5 });
 * const report = loss.backward({ guards: [clip] });
 * if (!report.skipped) optimizer.step();
 */
export function zclip(options: ZClipOptions = {}): ZClipGuard {
  const settings = checkOptions(options);
  const state: ZClipState = { warmup: [], mean: NaN, variance: NaN };
  return {
    name: 'zclip',
    state: () => ({ warmup: state.warmup.slice(), mean: state.mean, variance: state.variance }),
    endPass(event, control) {
      const total = totalNorm(event.grads, 2);
      if (!Number.isFinite(total)) {
        reportNonFiniteNorm('zclip', total, nonFiniteLabels(event.parameters, event.grads), control);
        return;
      }
      if (state.warmup.length < settings.warmupSteps) {
        collect(state, total, settings.warmupSteps);
        return;
      }
      const threshold = spikeThreshold(state, total, settings.zThreshold);
      if (threshold !== null) {
        if (settings.onSpike === 'skip') skipSpike(total, threshold, control);
        else scaleAll('zclip', event.grads, clipCoefficient(threshold, total), total, control);
      }
      update(state, threshold ?? total, settings.alpha);
    },
  };
}

function checkOptions(options: ZClipOptions): Required<ZClipOptions> {
  checkOptionsObject('zclip', options);
  const settings = {
    zThreshold: options.zThreshold ?? 2.5,
    alpha: options.alpha ?? 0.97,
    warmupSteps: options.warmupSteps ?? 25,
    onSpike: options.onSpike ?? 'clip',
  };
  if (typeof settings.zThreshold !== 'number' || !(settings.zThreshold > 0 && settings.zThreshold < Infinity)) throw new ArgumentError('zclip', `zThreshold must be a finite number > 0, got ${describeValue(settings.zThreshold)}`);
  if (typeof settings.alpha !== 'number' || !(settings.alpha >= 0 && settings.alpha < 1)) throw new ArgumentError('zclip', `alpha must be a number in [0, 1), got ${describeValue(settings.alpha)}`);
  positiveInteger('zclip', 'warmupSteps', settings.warmupSteps);
  if (settings.onSpike !== 'clip' && settings.onSpike !== 'skip') {
    throw new ArgumentError('zclip', `onSpike must be 'clip' or 'skip', got ${describeValue(settings.onSpike)}`);
  }
  return settings;
}

/** Warm-up: collect; once full, μ = mean and σ² = population variance of the collected norms. */
function collect(state: ZClipState, norm: number, warmupSteps: number): void {
  state.warmup.push(norm);
  if (state.warmup.length < warmupSteps) return;
  const n = state.warmup.length;
  const mean = state.warmup.reduce((sum, x) => sum + x, 0) / n;
  state.mean = mean;
  state.variance = state.warmup.reduce((sum, x) => sum + (x - mean) * (x - mean), 0) / n;
}

/** The norm to clip to when the z-score exceeds the threshold, else null. */
function spikeThreshold(state: ZClipState, norm: number, zThreshold: number): number | null {
  const sigma = Math.sqrt(state.variance);
  const z = (norm - state.mean) / (sigma + SIGMA_EPSILON);
  if (!(z > zThreshold)) return null;
  // why: the paper's adaptive scaling divides the allowance zThreshold·σ by z/zThreshold, so the
  // further out the spike, the closer to μ it is pulled.
  return state.mean + ((zThreshold * zThreshold) / z) * sigma;
}

function update(state: ZClipState, norm: number, alpha: number): void {
  state.mean = alpha * state.mean + (1 - alpha) * norm;
  const deviation = norm - state.mean;
  state.variance = alpha * state.variance + (1 - alpha) * deviation * deviation;
}

function skipSpike(total: number, threshold: number, control: PassControl): void {
  control.report.actions.push({
    guard: 'zclip', kind: 'skip',
    message: `zclip: global norm ${total.toPrecision(4)} is a spike (clip threshold ${threshold.toPrecision(4)}); pass skipped`,
  });
  control.stop();
}
