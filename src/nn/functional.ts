import { apply } from '../autograd/apply.js';
import type { Tensor } from '../autograd/tensor.js';

/**
 * GELU with the exact erf form, x·Φ(x) (PyTorch's `F.gelu` with `approximate='none'`).
 * @example nn.gelu(tensor([-1, 0, 1])).toArray(); // [-0.1587, 0, 0.8413]
 */
export function gelu(x: Tensor): Tensor {
  return apply('gelu', [x], null);
}

/**
 * softplus(x) = log(1 + eˣ), computed as max(x, 0) + log1p(e^(−|x|)) so it never overflows.
 * (PyTorch's `F.softplus` switches to x above a threshold of 20; the difference is below e^(−20).)
 * @example nn.softplus(tensor([0])).item(); // 0.6931…
 */
export function softplus(x: Tensor): Tensor {
  return apply('softplus', [x], null);
}
