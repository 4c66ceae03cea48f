import { ones, zeros } from '../autograd/creation.js';
import { checkTensor, type Tensor } from '../autograd/tensor.js';
import { ArgumentError, ShapeError, checkOptions, describeValue, formatShape } from '../errors.js';
import { checkDType, type DType } from '../tensor/dtype.js';
import { checkElementLimit, sizeOf } from '../tensor/shape.js';
import { Module } from './module.js';

/** Options of `LayerNorm`. */
export interface LayerNormOptions {
  eps?: number;
  /** Learn a per-element scale (`weight`, init 1) and shift (`bias`, init 0). Default true. */
  elementwiseAffine?: boolean;
  /** Learn the shift when affine (default true). */
  bias?: boolean;
  dtype?: DType;
}

/**
 * Layer normalisation over the last dimensions (PyTorch's `nn.LayerNorm`):
 * y = (x − mean) / √(var + eps) · weight + bias, with the biased variance (divide by n).
 * Built from primitives (mean, sub, mul, sqrt, div), so its gradient comes from theirs.
 * @example
 * const norm = new nn.LayerNorm(4);
 * norm.forward(randn([2, 4])).mean(-1).toArray(); // ≈ [0, 0]
 */
export class LayerNorm extends Module {
  readonly normalizedShape: readonly number[];
  readonly eps: number;
  weight: Tensor | null;
  bias: Tensor | null;

  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    super();
    const shape: unknown[] = typeof normalizedShape === 'number' ? [normalizedShape] : Array.isArray(normalizedShape) ? normalizedShape.slice() : [];
    if (shape.length === 0 || !shape.every((d) => Number.isInteger(d) && (d as number) > 0)) {
      throw new ArgumentError('LayerNorm', `normalizedShape must be positive integers, got ${describeValue(normalizedShape)}`);
    }
    checkElementLimit('LayerNorm', shape as number[]);
    const { eps = 1e-5, elementwiseAffine = true, bias = true, dtype = 'float32' } = checkOptions('LayerNorm', options);
    if (typeof eps !== 'number' || !(eps > 0) || !Number.isFinite(eps)) throw new ArgumentError('LayerNorm', `eps must be a finite number > 0, got ${describeValue(eps)}`);
    checkDType('LayerNorm', dtype);
    this.normalizedShape = shape as number[];
    this.eps = eps;
    this.weight = elementwiseAffine ? ones(this.normalizedShape, { dtype, requiresGrad: true }) : null;
    this.bias = elementwiseAffine && bias ? zeros(this.normalizedShape, { dtype, requiresGrad: true }) : null;
  }

  forward(x: Tensor): Tensor {
    checkTensor('LayerNorm.forward', 'input', x);
    const k = this.normalizedShape.length;
    const trailing = x.shape.slice(x.ndim - k);
    if (x.ndim < k || trailing.some((d, i) => d !== this.normalizedShape[i])) {
      throw new ShapeError(
        'LayerNorm',
        `input's last dimensions must be ${formatShape(this.normalizedShape)}, got input ${formatShape(x.shape)}`,
        [x.shape, this.normalizedShape],
      );
    }
    const features = sizeOf(this.normalizedShape);
    const rows = x.reshape([x.size / features, features]);
    const mean = rows.mean(-1, true);
    const centered = rows.sub(mean);
    const variance = centered.mul(centered).mean(-1, true); // biased, as PyTorch
    let y = centered.div(variance.add(this.eps).sqrt()).reshape(x.shape);
    if (this.weight !== null) y = y.mul(this.weight);
    if (this.bias !== null) y = y.add(this.bias);
    return y;
  }
}
