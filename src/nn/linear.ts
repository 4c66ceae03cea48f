import { linear } from '../autograd/functional.js';
import { zeros } from '../autograd/creation.js';
import type { Tensor } from '../autograd/tensor.js';
import { checkOptions, positiveInteger } from '../errors.js';
import { checkDType, type DType } from '../tensor/dtype.js';
import { checkElementLimit } from '../tensor/shape.js';
import * as init from './init.js';
import { Module } from './module.js';

/** Options of `Linear`. */
export interface LinearOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** Parameter dtype (default 'float32'; 'float64' for gradcheck and study). */
  dtype?: DType;
}

/**
 * y = x·Wᵀ + b, PyTorch's `nn.Linear`: `weight` is [outFeatures, inFeatures] and `bias` is
 * [outFeatures]. Default init as PyTorch: `kaiming_uniform_(a=√5)` for the weight, which is
 * U(±1/√inFeatures), and U(±1/√inFeatures) for the bias.
 * @example
 * const layer = new nn.Linear(3, 2);
 * layer.forward(randn([4, 3])).shape; // [4, 2]
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  weight: Tensor;
  bias: Tensor | null;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    positiveInteger('Linear', 'inFeatures', inFeatures);
    positiveInteger('Linear', 'outFeatures', outFeatures);
    checkElementLimit('Linear', [outFeatures, inFeatures]);
    const dtype = checkDType('Linear', checkOptions('Linear', options).dtype ?? 'float32');
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = zeros([outFeatures, inFeatures], { dtype, requiresGrad: true });
    this.bias = options.bias === false ? null : zeros([outFeatures], { dtype, requiresGrad: true });
    this.resetParameters();
  }

  /** PyTorch's default init: weight by kaiming_uniform(a=√5) = U(±1/√in), then bias U(±1/√in). */
  resetParameters(): void {
    init.kaimingUniform(this.weight, { a: Math.sqrt(5) });
    if (this.bias !== null) {
      const bound = 1 / Math.sqrt(this.inFeatures);
      init.uniform(this.bias, -bound, bound);
    }
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}
