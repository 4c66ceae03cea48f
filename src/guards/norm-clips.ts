import { checkOptions, countOf } from '../errors.js';
import type { Guard } from '../autograd/hooks.js';
import { clampInPlace } from './clip.js';
import {
  checkNormType, checkPositive, clipCoefficient, nonFiniteLabels, parameterLabel, reportNonFiniteNorm, scaleAll, totalNorm, viewNorm,
} from './norms.js';

/*
 * Clips with a fixed threshold, run at the end of the backward pass on the accumulated `.grad`
 * (where `torch.nn.utils.clip_grad_*_` or Keras's optimizer options would run).
 */

/** Options of `globalNormClip`. */
export interface GlobalNormClipOptions {
  /** The largest total norm let through. */
  maxNorm: number;
  /** p of the p-norm (≥ 1, or Infinity). Default 2. */
  normType?: number;
}

/**
 * `clipGradNorm` as a guard: at the end of the pass the total p-norm of all gradients is measured
 * (p = 2 and ∞ from the statistics the engine already computed) and every gradient is scaled by
 * `min(maxNorm / (total + 1e-6), 1)`. Sets `report.clipScale` and records the scaling. A non-finite
 * total scales nothing: the gradients stay as they were and the report says so (`ok: false`).
 * Counterparts: PyTorch `clip_grad_norm_`, optax `clip_by_global_norm`, Keras `global_clipnorm`.
 *
 * @example
 * const report = loss.backward({ guards: [globalNormClip({ maxNorm: 1 })] });
 * report.clipScale; // 1 when nothing was clipped
 */
export function globalNormClip(options: GlobalNormClipOptions): Guard {
  const maxNorm = checkPositive('globalNormClip', 'maxNorm', checkOptions('globalNormClip', options).maxNorm, true);
  const normType = checkNormType('globalNormClip', options.normType ?? 2);
  return {
    name: 'globalNormClip',
    endPass(event, control) {
      const total = totalNorm(event.grads, normType);
      if (!Number.isFinite(total)) {
        reportNonFiniteNorm('globalNormClip', total, nonFiniteLabels(event.parameters, event.grads), control);
        return;
      }
      const coef = clipCoefficient(maxNorm, total);
      if (coef < 1) scaleAll('globalNormClip', event.grads, coef, total, control);
    },
  };
}

/** Options of `parameterNormClip`. */
export interface ParameterNormClipOptions {
  /** The largest 2-norm let through for each parameter's gradient. */
  maxNorm: number;
}

/**
 * Keras's `clipnorm`: each parameter's gradient is clipped on its own to 2-norm at most `maxNorm`,
 * `g ← g · maxNorm / max(‖g‖, maxNorm)` (TensorFlow's `clip_by_norm`, no 1e-6 term). Unlike a global
 * clip this changes the direction of the whole update. Non-finite gradients are left as they are.
 *
 * @example
 * loss.backward({ guards: [parameterNormClip({ maxNorm: 1 })] });
 */
export function parameterNormClip(options: ParameterNormClipOptions): Guard {
  const maxNorm = checkPositive('parameterNormClip', 'maxNorm', options.maxNorm);
  return {
    name: 'parameterNormClip',
    endPass(event, control) {
      event.grads.forEach((view, i) => {
        const norm = viewNorm(view, 2);
        if (!(norm > maxNorm) || !Number.isFinite(norm)) return;
        const factor = maxNorm / norm;
        view.scale(factor);
        const target = parameterLabel(event.parameters[i]!, i);
        control.report.actions.push({
          guard: 'parameterNormClip', kind: 'scale', target, factor,
          message: `parameterNormClip: ${target} norm ${norm.toPrecision(4)} scaled by ${factor.toPrecision(4)}`,
        });
      });
    },
  };
}

/** Options of `valueClip`. */
export interface ValueClipOptions {
  /** Every gradient element is clamped to [-clipValue, clipValue]. */
  clipValue: number;
}

/**
 * `clipGradValue` as a guard: clamps every element of every gradient to `[-clipValue, clipValue]`
 * at the end of the pass (PyTorch `clip_grad_value_`, optax `clip`, Keras `clipvalue`). The
 * statistics tell which gradients need no pass at all (max |g| ≤ clipValue). NaN stays NaN.
 *
 * @example
 * loss.backward({ guards: [valueClip({ clipValue: 0.5 })] });
 */
export function valueClip(options: ValueClipOptions): Guard {
  const clipValue = checkPositive('valueClip', 'clipValue', checkOptions('valueClip', options).clipValue, true);
  return {
    name: 'valueClip',
    endPass(event, control) {
      event.grads.forEach((view, i) => {
        if (view.stats.maxAbs <= clipValue) return;
        const count = clampInPlace(view.data, clipValue);
        view.changed();
        const target = parameterLabel(event.parameters[i]!, i);
        control.report.actions.push({
          guard: 'valueClip', kind: 'clamp', target, count,
          message: `valueClip: clamped ${countOf(count, 'value')} of ${target} to ±${clipValue}`,
        });
      });
    },
  };
}
