import { ArgumentError, checkBoolean } from '../../errors.js';
import type { TypedArray } from '../../tensor/dtype.js';
import { sgdUpdate } from '../../tensor/kernels/optim.js';
import type { UpdateSize } from '../../tensor/kernels/update-size.js';
import { Optimizer, checkRange, type ParamGroup, type ParamState, type ParamsInput } from './optimizer.js';

/** Options of `SGD` (defaults as `torch.optim.SGD`). */
export interface SGDOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
}

/**
 * Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2
 * weight decay, by the rule of `torch.optim.SGD`:
 *   g ← ∇ + λ·θ;   b ← g on the first step, else μ·b + (1 − τ)·g;
 *   g ← g + μ·b (Nesterov) or b;   θ ← θ − lr·g
 * @example
 * const optimizer = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: ParamsInput<SGDOptions>, options: Partial<SGDOptions> = {}) {
    super(params, { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, ...options });
  }

  protected validate(group: ParamGroup<SGDOptions>): void {
    checkRange('SGD', 'lr', group.lr);
    checkRange('SGD', 'momentum', group.momentum);
    checkRange('SGD', 'weightDecay', group.weightDecay);
    checkBoolean('SGD', 'nesterov', group.nesterov);
    checkRange('SGD', 'dampening', group.dampening);
    if (group.dampening > 1) throw new ArgumentError('SGD', `dampening must be a number in [0, 1], got ${group.dampening}`);
    if (group.nesterov && (group.momentum <= 0 || group.dampening !== 0)) {
      throw new ArgumentError('SGD', `Nesterov momentum requires momentum > 0 and dampening 0, got momentum ${group.momentum}, dampening ${group.dampening}`);
    }
  }

  protected update(param: TypedArray, grad: TypedArray, state: ParamState, group: ParamGroup<SGDOptions>, measure: boolean): UpdateSize | void {
    const { lr, momentum, dampening, weightDecay, nesterov } = group;
    if (momentum === 0) return sgdUpdate(param, grad, lr, weightDecay, measure);
    const first = state.buffers.momentumBuffer === undefined;
    const buffer = this.buffer(state, 'momentumBuffer', param);
    const keep = 1 - dampening;
    const n = param.length;
    for (let i = 0; i < n; i++) {
      const w = param[i]!;
      const g = weightDecay === 0 ? grad[i]! : grad[i]! + weightDecay * w; // PyTorch skips a zero decay (0·Inf is NaN)
      // why: PyTorch starts the buffer at the first gradient itself, undamped
      buffer[i] = first ? g : momentum * buffer[i]! + keep * g;
      const velocity = buffer[i]!; // read back: rounded to the dtype, as PyTorch uses it
      param[i] = w - lr * (nesterov ? g + momentum * velocity : velocity);
    }
    // why nothing measured here: summing the step in this TypeScript loop cost more (+35 %) than
    // the monitor's copy of the weights on WebAssembly; plain SGD measures it in its SIMD kernel
  }
}
