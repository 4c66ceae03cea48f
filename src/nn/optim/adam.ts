import { ArgumentError, checkBoolean } from '../../errors.js';
import type { TypedArray } from '../../tensor/dtype.js';
import { adamUpdate } from '../../tensor/kernels/optim.js';
import type { UpdateSize } from '../../tensor/kernels/update-size.js';
import { Optimizer, checkRange, type ParamGroup, type ParamState, type ParamsInput } from './optimizer.js';

/** Options of `Adam` and `AdamW` (defaults as `torch.optim`). */
export interface AdamOptions {
  lr: number;
  betas: readonly [number, number];
  eps: number;
  weightDecay: number;
  /** Use the running maximum of the second moment (Reddi et al. 2018). */
  amsgrad: boolean;
}

/**
 * Adam (Kingma & Ba 2015) by the rule of `torch.optim.Adam`, at step t:
 *   g ← ∇ + λ·θ (L2 decay, coupled);   m ← β₁·m + (1 − β₁)·g;   v ← β₂·v + (1 − β₂)·g²
 *   θ ← θ − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
 * @example
 * const optimizer = new optim.Adam(model.parameters(), { lr: 1e-3 });
 */
export class Adam extends Optimizer<AdamOptions> {
  /** Decoupled weight decay (AdamW) instead of L2 added to the gradient. */
  protected readonly decoupled: boolean = false;

  constructor(params: ParamsInput<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, ...options });
  }

  protected validate(group: ParamGroup<AdamOptions>): void {
    const name = this.constructor.name;
    checkRange(name, 'lr', group.lr);
    checkRange(name, 'eps', group.eps);
    checkRange(name, 'weightDecay', group.weightDecay);
    checkBoolean(name, 'amsgrad', group.amsgrad);
    if (!Array.isArray(group.betas) || group.betas.length !== 2) {
      throw new ArgumentError(name, `betas must be a pair [β₁, β₂], got ${String(group.betas)}`);
    }
    checkRange(name, 'betas[0]', group.betas[0], 1);
    checkRange(name, 'betas[1]', group.betas[1], 1);
  }

  protected update(param: TypedArray, grad: TypedArray, state: ParamState, group: ParamGroup<AdamOptions>, measure: boolean): UpdateSize | undefined {
    const { lr, betas: [beta1, beta2], eps, weightDecay, amsgrad } = group;
    const expAvg = this.buffer(state, 'expAvg', param);
    const expAvgSq = this.buffer(state, 'expAvgSq', param);
    const maxExpAvgSq = amsgrad ? this.buffer(state, 'maxExpAvgSq', param) : null;
    return adamUpdate(param, grad, expAvg, expAvgSq, maxExpAvgSq, {
      // why: AdamW shrinks the weights directly, before and apart from the adaptive step
      shrink: this.decoupled ? 1 - lr * weightDecay : 1,
      l2: this.decoupled ? 0 : weightDecay,
      keep1: 1 - beta1,
      beta2,
      keep2: 1 - beta2,
      stepSize: lr / (1 - beta1 ** state.step),
      bias2Sqrt: Math.sqrt(1 - beta2 ** state.step),
      eps,
    }, measure);
  }
}

/**
 * AdamW (Loshchilov & Hutter 2019), `torch.optim.AdamW`: Adam whose weight decay shrinks the
 * weights directly, θ ← θ·(1 − lr·λ), instead of entering the gradient. Default λ = 1e-2.
 * @example
 * const optimizer = new optim.AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.01 });
 */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;

  constructor(params: ParamsInput<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(params, { weightDecay: 1e-2, ...options });
  }
}
