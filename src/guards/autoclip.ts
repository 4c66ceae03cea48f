import { ArgumentError, checkOptions, describeValue, positiveInteger } from '../errors.js';
import type { Guard } from '../autograd/hooks.js';
import { clipCoefficient, nonFiniteLabels, reportNonFiniteNorm, scaleAll, totalNorm } from './norms.js';

/** Options of `autoClip`. */
export interface AutoClipOptions {
  /** Which percentile of the norm history becomes the clipping threshold (0–100). Default 10. */
  percentile?: number;
  /** How many past global norms to keep (the oldest is dropped first). Default 1000. */
  history?: number;
}

/** An `autoClip` guard, with its history readable for plots and tests. */
export interface AutoClipGuard extends Guard {
  /** The global norms in the history, oldest first. */
  norms(): number[];
}

/**
 * AutoClip (Seetharaman et al. 2020, "AutoClip: Adaptive Gradient Clipping for Source
 * Separation Networks"): the current global 2-norm joins a bounded history of past norms, then
 * the gradients are clipped by global norm (PyTorch's rule, with its 1e-6) at the p-th
 * percentile of that history, interpolated linearly as NumPy's `percentile`. A non-finite norm
 * neither joins the history nor scales anything: the report says so.
 *
 * It needs history: on the first pass the percentile of one norm is that norm, so nothing is
 * clipped. It cannot save a network whose gradients explode from the very first step.
 *
 * @example
 * const clip = autoClip({ percentile: 10 });
 * for (const batch of batches) { … loss.backward({ guards: [clip] }); optimizer.step(); }
 */
export function autoClip(options: AutoClipOptions = {}): AutoClipGuard {
  const percentileRank = checkOptions('autoClip', options).percentile ?? 10;
  const capacity = options.history ?? 1000;
  if (typeof percentileRank !== 'number' || !(percentileRank >= 0 && percentileRank <= 100)) {
    throw new ArgumentError('autoClip', `percentile must be a number in [0, 100], got ${describeValue(percentileRank)}`);
  }
  positiveInteger('autoClip', 'history', capacity);
  const history: number[] = [];
  return {
    name: 'autoClip',
    norms: () => history.slice(),
    endPass(event, control) {
      const total = totalNorm(event.grads, 2);
      if (!Number.isFinite(total)) {
        reportNonFiniteNorm('autoClip', total, nonFiniteLabels(event.parameters, event.grads), control);
        return;
      }
      history.push(total);
      if (history.length > capacity) history.shift();
      const threshold = percentile(history, percentileRank);
      const coef = clipCoefficient(threshold, total);
      if (coef < 1) scaleAll('autoClip', event.grads, coef, total, control);
    },
  };
}

/**
 * NumPy's default `percentile` (method 'linear'): sort, take the fractional index
 * `q/100 · (n − 1)` and interpolate between its two neighbours.
 * @example
 * percentile([1, 2, 3, 4], 10); // 1.3, as np.percentile([1, 2, 3, 4], 10)
 */
export function percentile(values: readonly number[], q: number): number {
  const sorted = values.slice().sort((a, b) => a - b);
  const index = (q / 100) * (sorted.length - 1);
  const below = Math.floor(index);
  const above = Math.min(below + 1, sorted.length - 1);
  const low = sorted[below]!;
  return low + (sorted[above]! - low) * (index - below);
}
