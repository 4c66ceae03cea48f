import { ArgumentError, NonFiniteError, checkOptions, describeValue } from '../errors.js';
import { GradientView } from '../autograd/hooks.js';
import { Tensor } from '../autograd/tensor.js';
import {
  checkNormType, checkPositive, clipCoefficient, parameterLabel, totalNorm,
} from './norms.js';

/*
 * The functional clips, called between `backward()` and `optimizer.step()` exactly like
 * `torch.nn.utils.clip_grad_norm_` and `clip_grad_value_`.
 */

/** Options of `clipGradNorm`. */
export interface ClipGradNormOptions {
  /** p of the p-norm: every p ≥ 1, or `Infinity` for the max-norm. Default 2. */
  normType?: number;
  /** Throw `NonFiniteError` (naming the parameters) when the total norm is NaN or ±Inf. Default false. */
  errorIfNonfinite?: boolean;
}

/**
 * Scales all gradients together so that their total p-norm is at most `maxNorm`, and returns
 * the total norm before clipping. PyTorch's rule: `coef = min(maxNorm / (total + 1e-6), 1)`,
 * every gradient multiplied by `coef` when it is below 1. Parameters without a gradient are skipped.
 *
 * One deliberate difference from PyTorch: when the total is NaN or ±Inf, PyTorch multiplies by
 * a NaN (or 0) coefficient and wipes out every gradient. Here the gradients are left exactly as
 * they were and the non-finite total is returned, so the caller can see it and skip the step;
 * with `errorIfNonfinite` a `NonFiniteError` names the parameters whose gradients are non-finite.
 *
 * @example
 * loss.backward();
 * const norm = clipGradNorm(model.parameters(), 1.0); // like torch.nn.utils.clip_grad_norm_
 * if (Number.isFinite(norm)) optimizer.step();
 */
export function clipGradNorm(
  parameters: Tensor | Iterable<Tensor>, maxNorm: number, options: ClipGradNormOptions = {},
): number {
  const normType = checkNormType('clipGradNorm', checkOptions('clipGradNorm', options).normType ?? 2);
  checkPositive('clipGradNorm', 'maxNorm', maxNorm, true);
  const all = parameterList('clipGradNorm', parameters);
  const withGrad = all.filter((p) => p.peekGrad() !== null);
  const views = withGrad.map((p) => new GradientView(p.peekGrad()!.data, p.shape));
  const total = totalNorm(views, normType);
  if (!Number.isFinite(total)) {
    if (options.errorIfNonfinite === true) {
      const labels = withGrad.filter((_, i) => !views[i]!.finite).map((p) => parameterLabel(p, all.indexOf(p)));
      throw new NonFiniteError(
        'clipGradNorm',
        'backward',
        undefined,
        `the total norm of order ${normType} of the gradients is ${total}, from non-finite gradients in ${labels.join(', ')}; ` +
          'the gradients were left unchanged',
      );
    }
    return total;
  }
  const coef = clipCoefficient(maxNorm, total);
  if (coef < 1) for (const view of views) view.scale(coef);
  return total;
}

/**
 * Clamps every gradient element to `[-clipValue, clipValue]` in place
 * (`torch.nn.utils.clip_grad_value_`). NaN stays NaN, ±Inf becomes ±clipValue, as `torch.clamp`.
 *
 * @example
 * loss.backward();
 * clipGradValue(model.parameters(), 0.5);
 * optimizer.step();
 */
export function clipGradValue(parameters: Tensor | Iterable<Tensor>, clipValue: number): void {
  checkPositive('clipGradValue', 'clipValue', clipValue, true);
  for (const parameter of parameterList('clipGradValue', parameters).filter((p) => p.peekGrad() !== null)) clampInPlace(parameter.peekGrad()!.data, clipValue);
}

/** Clamps a buffer to [-limit, limit] in place and returns how many values changed. */
export function clampInPlace(data: Float32Array | Float64Array, limit: number): number {
  let count = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v > limit) {
      data[i] = limit;
      count++;
    } else if (v < -limit) {
      data[i] = -limit;
      count++;
    }
  }
  return count;
}

/** The parameters as a list: one tensor or an iterable of tensors, else an ArgumentError naming `op`. */
function parameterList(op: string, parameters: unknown): Tensor[] {
  if (parameters instanceof Tensor) return [parameters];
  const iterable = typeof parameters === 'object' && parameters !== null && Symbol.iterator in parameters;
  const list: unknown[] = iterable ? Array.from(parameters as Iterable<unknown>) : [];
  if (!iterable || !list.every((p) => p instanceof Tensor)) {
    throw new ArgumentError(op, `parameters must be a Tensor or an iterable of tensors, got ${describeValue(parameters)}`);
  }
  return list as Tensor[];
}
