import { ArgumentError, formatShape } from '../errors.js';
import type { GradientView, GuardAction, PassControl } from '../autograd/hooks.js';
import type { Tensor } from '../autograd/tensor.js';

/*
 * Arithmetic the clipping guards share: p-norms over gradient views (reusing each view's
 * one-pass statistics where the norm allows it), PyTorch's clipping coefficient, and labels.
 */

/** PyTorch's `clip_grad_norm_` constant: keeps the coefficient finite when the norm is 0. */
export const CLIP_EPSILON = 1e-6;

/**
 * The p-norm of one buffer. p = 2 and p = ∞ come from the view's cached statistics (no scan);
 * any other p needs one pass of its own.
 */
export function viewNorm(view: GradientView, normType: number): number {
  const stats = view.stats;
  if (normType === 2) return Math.sqrt(stats.sumOfSquares);
  if (normType === Infinity) return infinityNorm(view);
  return Math.pow(powerSum(view.data, normType), 1 / normType);
}

/**
 * The p-norm of all buffers taken together, as `torch.nn.utils.clip_grad_norm_`:
 * ‖(‖g₁‖ₚ, …, ‖gₙ‖ₚ)‖ₚ, which equals the p-norm of every element concatenated; max |g| for ∞.
 */
export function totalNorm(views: readonly GradientView[], normType: number): number {
  if (normType === Infinity) {
    let best = 0;
    for (const view of views) best = maxPropagatingNaN(best, infinityNorm(view));
    return best;
  }
  let sum = 0;
  for (const view of views) {
    sum += normType === 2 ? view.stats.sumOfSquares : powerSum(view.data, normType);
  }
  return Math.pow(sum, 1 / normType);
}

/** `min(maxNorm / (total + 1e-6), 1)`: the factor PyTorch multiplies every gradient by. */
export function clipCoefficient(maxNorm: number, total: number): number {
  return Math.min(maxNorm / (total + CLIP_EPSILON), 1);
}

/** Checks a norm type the way `clipGradNorm` documents it: p ≥ 1 or Infinity. */
export function checkNormType(op: string, normType: number): number {
  if (typeof normType !== 'number' || Number.isNaN(normType) || normType < 1) {
    throw new ArgumentError(op, `normType must be a number ≥ 1 or Infinity, got ${String(normType)}`);
  }
  return normType;
}

/** Checks a threshold that must be a finite number > 0 (or ≥ 0 when `allowZero`). */
export function checkPositive(op: string, name: string, value: number, allowZero = false): number {
  const ok = typeof value === 'number' && Number.isFinite(value) && (allowZero ? value >= 0 : value > 0);
  if (!ok) throw new ArgumentError(op, `${name} must be a finite number ${allowZero ? '≥ 0' : '> 0'}, got ${String(value)}`);
  return value;
}

/**
 * How reports and errors name a parameter: its `stateDict` key when it has one (modules name
 * their parameters), else its position in the list at hand and its shape. For in-backward
 * guards the list is the order in which the pass reached the leaves.
 */
export function parameterLabel(parameter: Tensor, index: number): string {
  return parameter.name ?? `parameter ${index} ${formatShape(parameter.shape)}`;
}

/** The labels of the parameters whose gradients hold NaN or ±Inf. */
export function nonFiniteLabels(parameters: readonly Tensor[], views: readonly GradientView[]): string[] {
  const labels: string[] = [];
  for (let i = 0; i < views.length; i++) {
    if (!views[i]!.finite) labels.push(parameterLabel(parameters[i]!, i));
  }
  return labels;
}

/**
 * The deliberate difference from PyTorch: a non-finite total norm does not scale anything
 * (PyTorch's coefficient would be NaN or 0 and wipe out every gradient). The gradients are left
 * as they were, the report is marked not ok and says which parameters hold the NaN/Inf
 * (`report.nonFinite.op` is the guard's name when no trap has named an op before it).
 */
export function reportNonFiniteNorm(
  guard: string, total: number, labels: readonly string[], control: PassControl,
): void {
  const report = control.report;
  report.ok = false;
  report.nonFinite ??= { op: guard, phase: 'backward', detail: `non-finite gradients in ${labels.join(', ')}` };
  report.actions.push({
    guard,
    kind: 'nonFinite',
    message: `${guard}: the total gradient norm is ${total}; gradients left unchanged (non-finite in ${labels.join(', ')})`,
  });
}

/** Scales every view by `factor` (cached statistics follow) and records it as a global clip. */
export function scaleAll(guard: string, views: readonly GradientView[], factor: number, total: number, control: PassControl): void {
  for (const view of views) view.scale(factor);
  control.report.clipScale *= factor;
  const action: GuardAction = {
    guard,
    kind: 'scale',
    factor,
    message: `${guard}: total norm ${total.toPrecision(4)} scaled by ${factor.toPrecision(4)}`,
  };
  control.report.actions.push(action);
}

function infinityNorm(view: GradientView): number {
  const stats = view.stats;
  // why: the one-pass max skips NaN; a buffer with non-finite values but a finite max holds a NaN.
  if (stats.nonFiniteCount > 0 && Number.isFinite(stats.maxAbs)) return NaN;
  return stats.maxAbs;
}

function maxPropagatingNaN(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
  return a > b ? a : b;
}

/** Σ |x|ᵖ in float64. */
function powerSum(data: ArrayLike<number>, p: number): number {
  let sum = 0;
  if (p === 1) {
    for (let i = 0; i < data.length; i++) sum += Math.abs(data[i]!);
    return sum;
  }
  for (let i = 0; i < data.length; i++) sum += Math.pow(Math.abs(data[i]!), p);
  return sum;
}
