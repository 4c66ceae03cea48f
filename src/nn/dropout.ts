import { Tensor, checkTensor } from '../autograd/tensor.js';
import { ArgumentError, describeValue } from '../errors.js';
import { allocate } from '../tensor/dtype.js';
import { globalGenerator, type Generator } from '../tensor/rng.js';
import { Module } from './module.js';

/**
 * Dropout (PyTorch's `nn.Dropout`): in training, zeroes each element with probability `p` and
 * scales the survivors by 1/(1 − p), so the expected value is unchanged; in eval mode it
 * passes the input through. The mask comes from the seeded global generator.
 * @example
 * const drop = new nn.Dropout(0.5);
 * drop.eval().forward(x); // x itself
 */
export class Dropout extends Module {
  readonly #generator: Generator;

  constructor(readonly p = 0.5, generator: Generator = globalGenerator) {
    super();
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new ArgumentError('Dropout', `p must be a number in [0, 1], got ${describeValue(p)}`);
    this.#generator = generator;
  }

  forward(x: Tensor): Tensor {
    checkTensor('Dropout.forward', 'input', x);
    if (!this.training || this.p === 0) return x;
    const mask = allocate(x.dtype, x.size);
    if (this.p < 1) {
      const scale = 1 / (1 - this.p);
      // why: an element survives with probability 1 − p (PyTorch's bernoulli(1 − p))
      for (let i = 0; i < mask.length; i++) mask[i] = this.#generator.uniform() < 1 - this.p ? scale : 0;
    }
    return x.mul(new Tensor(mask, x.shape.slice()));
  }
}
