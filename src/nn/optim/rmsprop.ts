import { ArgumentError, checkBoolean } from '../../errors.js';
import type { TypedArray } from '../../tensor/dtype.js';
import { Optimizer, checkRange, type ParamGroup, type ParamState, type ParamsInput } from './optimizer.js';

/** Options of `RMSprop` (defaults as `torch.optim.RMSprop`). */
export interface RMSpropOptions {
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  /** Divide by the estimated variance E[g²] − E[g]² instead of E[g²]. */
  centered: boolean;
}

/**
 * RMSprop (Hinton, lecture 6e) by the rule of `torch.optim.RMSprop`:
 *   g ← ∇ + λ·θ;   v ← α·v + (1 − α)·g²;   centered: ḡ ← α·ḡ + (1 − α)·g, v̂ = v − ḡ², else v̂ = v
 *   d = g / (√v̂ + ε);   with momentum: b ← μ·b + d, θ ← θ − lr·b;   else θ ← θ − lr·d
 * @example
 * const optimizer = new optim.RMSprop(model.parameters(), { lr: 1e-3 });
 */
export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: ParamsInput<RMSpropOptions>, options: Partial<RMSpropOptions> = {}) {
    super(params, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, ...options });
  }

  protected validate(group: ParamGroup<RMSpropOptions>): void {
    checkRange('RMSprop', 'lr', group.lr);
    // why: α > 1 makes the running average of g² negative, and its square root NaN
    checkRange('RMSprop', 'alpha', group.alpha);
    if (group.alpha > 1) throw new ArgumentError('RMSprop', `alpha must be a number in [0, 1], got ${group.alpha}`);
    checkBoolean('RMSprop', 'centered', group.centered);
    checkRange('RMSprop', 'eps', group.eps);
    checkRange('RMSprop', 'weightDecay', group.weightDecay);
    checkRange('RMSprop', 'momentum', group.momentum);
  }

  protected update(param: TypedArray, grad: TypedArray, state: ParamState, group: ParamGroup<RMSpropOptions>): void {
    const { lr, alpha, eps, weightDecay, momentum, centered } = group;
    const squareAvg = this.buffer(state, 'squareAvg', param);
    const gradAvg = centered ? this.buffer(state, 'gradAvg', param) : null;
    const momentumBuffer = momentum > 0 ? this.buffer(state, 'momentumBuffer', param) : null;
    const keep = 1 - alpha;
    const n = param.length;
    for (let i = 0; i < n; i++) {
      const w = param[i]!;
      const g = weightDecay === 0 ? grad[i]! : grad[i]! + weightDecay * w; // PyTorch skips a zero decay (0·Inf is NaN)
      squareAvg[i] = alpha * squareAvg[i]! + keep * g * g;
      let variance = squareAvg[i]!; // stored values are read back: rounded to the dtype, as PyTorch uses them
      if (gradAvg !== null) {
        const mean = gradAvg[i]!;
        gradAvg[i] = mean + keep * (g - mean); // lerp, as PyTorch
        const rounded = gradAvg[i]!;
        variance -= rounded * rounded;
      }
      const direction = g / (Math.sqrt(variance) + eps);
      if (momentumBuffer !== null) {
        momentumBuffer[i] = momentum * momentumBuffer[i]! + direction;
        param[i] = w - lr * momentumBuffer[i]!;
      } else {
        param[i] = w - lr * direction;
      }
    }
  }
}
