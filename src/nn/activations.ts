import { checkTensor, type Tensor } from '../autograd/tensor.js';
import { ArgumentError, describeValue } from '../errors.js';
import { gelu } from './functional.js';
import { Module } from './module.js';

/*
 * Activation layers: parameter-free modules around one op each. They are modules (not just
 * functions) so that they appear in a Sequential and in the guards' per-layer reports.
 */

/** max(x, 0). @example new nn.ReLU().forward(tensor([-1, 2])).toArray(); // [0, 2] */
export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return checkTensor('ReLU.forward', 'input', x).relu();
  }
}

/** x for x > 0, slope·x otherwise. @example new nn.LeakyReLU(0.1).forward(tensor([-1])).item(); // -0.1 */
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
    if (typeof negativeSlope !== 'number' || !Number.isFinite(negativeSlope)) {
      throw new ArgumentError('LeakyReLU', `negativeSlope must be a finite number, got ${describeValue(negativeSlope)}`);
    }
  }

  forward(x: Tensor): Tensor {
    return checkTensor('LeakyReLU.forward', 'input', x).leakyRelu(this.negativeSlope);
  }
}

/** tanh(x). @example new nn.Tanh().forward(tensor([0])).item(); // 0 */
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return checkTensor('Tanh.forward', 'input', x).tanh();
  }
}

/** 1 / (1 + e^(−x)). @example new nn.Sigmoid().forward(tensor([0])).item(); // 0.5 */
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return checkTensor('Sigmoid.forward', 'input', x).sigmoid();
  }
}

/** x·Φ(x), the exact (erf) GELU, PyTorch's `nn.GELU()`. @example new nn.GELU().forward(tensor([1])).item(); // 0.8413 */
export class GELU extends Module {
  forward(x: Tensor): Tensor {
    return gelu(x);
  }
}
