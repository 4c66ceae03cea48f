import { ArgumentError, describeValue } from '../errors.js';
import { apply } from './apply.js';
import type { Tensor } from './tensor.js';

/**
 * Fused softmax cross-entropy over class indices (PyTorch's `F.cross_entropy` without weights).
 * Equal to `-logits.logSoftmax(1)[n, targets[n]]` reduced; one stable pass, one node.
 * @example
 * softmaxCrossEntropy(tensor([[0, 0]]), Int32Array.from([1])).item(); // 0.6931 (log 2)
 */
export function softmaxCrossEntropy(
  logits: Tensor,
  targets: Int32Array,
  reduction: 'mean' | 'sum' | 'none' = 'mean',
): Tensor {
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') {
    throw new ArgumentError('crossEntropy', `reduction must be 'mean', 'sum' or 'none', got ${describeValue(reduction)}`);
  }
  return apply('crossEntropy', [logits], { targets, reduction });
}

/**
 * Fused `x·weightᵀ + bias` (PyTorch's `F.linear`), weight [out, in].
 * @example
 * linear(tensor([[1, 2]]), tensor([[3, 4]]), tensor([5])).toArray(); // [[16]]
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  return bias ? apply('linear', [x, weight, bias], { hasBias: true }) : apply('linear', [x, weight], { hasBias: false });
}
