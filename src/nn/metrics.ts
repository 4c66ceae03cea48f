import type { Tensor } from '../autograd/tensor.js';
import { ShapeError, formatShape } from '../errors.js';
import { matrixShape } from '../tensor/shape.js';
import type { ClassTargets } from './loss.js';

/**
 * Share of rows of logits [N, C] whose largest value is at the target class (ties: first index).
 * Reads values only; records nothing.
 * @example nn.accuracy(model.forward(x), y); // 0.97
 */
export function accuracy(logits: Tensor, targets: ClassTargets): number {
  const labels = 'data' in targets ? targets.data : targets;
  if (logits.ndim !== 2 || logits.shape[0] !== labels.length) {
    throw new ShapeError(
      'accuracy',
      `logits must be [N, C] with one target per row, got logits ${formatShape(logits.shape)} and ${labels.length} targets`,
      [logits.shape],
    );
  }
  const [rows, classes] = matrixShape(logits.shape);
  const values = logits.data;
  let correct = 0;
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (values[r * classes + c]! > values[r * classes + best]!) best = c;
    if (best === labels[r]) correct++;
  }
  return rows === 0 ? 0 : correct / rows;
}
