import { softmaxCrossEntropy } from '../autograd/functional.js';
import { Tensor, checkTensor } from '../autograd/tensor.js';
import { ArgumentError, ShapeError, checkOptions, describeValue, formatShape } from '../errors.js';
import { shapesEqual } from '../tensor/shape.js';
import { softplus } from './functional.js';

/** How a loss combines its per-element values: their mean (default), their sum, or none (per element). */
export type Reduction = 'mean' | 'sum' | 'none';

/** Options every loss takes. */
export interface LossOptions {
  reduction?: Reduction;
}

/** Class indices as a loss target: an Int32Array, plain numbers, or a tensor holding integers. */
export type ClassTargets = Int32Array | readonly number[] | Tensor;

function checkReduction(op: string, reduction: unknown): Reduction {
  if (reduction === 'mean' || reduction === 'sum' || reduction === 'none') return reduction;
  throw new ArgumentError(op, `reduction must be 'mean', 'sum' or 'none', got ${describeValue(reduction)}`);
}

function reduce(values: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'mean') return values.mean();
  if (reduction === 'sum') return values.sum();
  return values;
}

/** Class indices as an Int32Array; non-integers are an error (a float target is a common slip). */
export function toClassIndices(op: string, targets: ClassTargets): Int32Array {
  if (targets instanceof Int32Array) return targets;
  if (!(targets instanceof Tensor) && !Array.isArray(targets)) {
    throw new ArgumentError(op, `targets must be class indices (an Int32Array, a number[] or a Tensor), got ${describeValue(targets)}`);
  }
  const values = targets instanceof Tensor ? targets.data : targets;
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (!Number.isInteger(value)) {
      throw new ArgumentError(op, `targets must be class indices (integers), got ${value} at index ${i}`);
    }
    out[i] = value;
    // why: an index beyond the Int32 range would wrap around to some other class
    if (out[i] !== value) throw new ArgumentError(op, `targets must be class indices, got ${value} at index ${i}`);
  }
  return out;
}

/**
 * Cross-entropy between logits [N, C] and class indices [N], PyTorch's `F.cross_entropy`:
 * loss_n = logsumexp(z_n) − z_n[t_n], computed stably in one fused op.
 * @example
 * const loss = nn.crossEntropy(model.forward(x), [0, 2, 1]); // 0-d tensor
 */
export function crossEntropy(logits: Tensor, targets: ClassTargets, options: LossOptions = {}): Tensor {
  const reduction = checkReduction('crossEntropy', checkOptions('crossEntropy', options).reduction ?? 'mean');
  return softmaxCrossEntropy(logits, toClassIndices('crossEntropy', targets), reduction);
}

function checkSameShape(op: string, input: Tensor, target: Tensor): void {
  checkTensor(op, 'input', input);
  checkTensor(op, 'target', target);
  if (!shapesEqual(input.shape, target.shape)) {
    throw new ShapeError(
      op,
      `input and target must have the same shape, got input ${formatShape(input.shape)} and target ${formatShape(target.shape)}` +
        ' (reshape one of them; broadcasting here is usually a bug)',
      [input.shape, target.shape],
    );
  }
}

/**
 * Mean squared error (input − target)², PyTorch's `F.mse_loss`. Shapes must be equal.
 * @example nn.mseLoss(prediction, target).item();
 */
export function mseLoss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  const reduction = checkReduction('mseLoss', checkOptions('mseLoss', options).reduction ?? 'mean');
  checkSameShape('mseLoss', input, target);
  const diff = input.sub(target);
  return reduce(diff.mul(diff), reduction);
}

/**
 * Binary cross-entropy on logits x with targets y ∈ [0, 1], PyTorch's
 * `F.binary_cross_entropy_with_logits`, in the stable form
 * max(x, 0) − x·y + log(1 + e^(−|x|)) = softplus(x) − x·y, whose gradient is σ(x) − y.
 * @example nn.binaryCrossEntropyWithLogits(model.forward(x), y).backward();
 */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  const reduction = checkReduction('binaryCrossEntropyWithLogits', checkOptions('binaryCrossEntropyWithLogits', options).reduction ?? 'mean');
  checkSameShape('binaryCrossEntropyWithLogits', input, target);
  return reduce(softplus(input).sub(input.mul(target)), reduction);
}
