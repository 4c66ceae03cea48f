import { ShapeError, describeValue, formatShape } from '../../errors.js';
import { sizeOf } from '../../tensor/shape.js';
import type { OpDef } from './op.js';

/**
 * reshape: the same row-major data under a new shape. One dimension may be -1 and is inferred.
 * The output shares the input's buffer (a view), as torch.reshape does for contiguous tensors.
 * d reshape(x) = reshape(dy) back to x's shape
 */
export const reshape: OpDef<'reshape'> = {
  saves: [],
  shape([x], { shape }) {
    return resolveShape(x!.shape, shape);
  },
  forward: ([x]) => ({ out: x!.data, saved: null }),
  vjp: (gradOut, _saved, { inputs }) => [{ data: gradOut.data, shape: inputs[0]!.shape }],
};

/** Resolves a requested shape (with at most one -1) against the input's size. */
export function resolveShape(from: readonly number[], requested: readonly number[]): number[] {
  if (!Array.isArray(requested)) {
    throw new ShapeError('reshape', `shape must be an array of integers (one may be -1), got ${describeValue(requested)}`, [from]);
  }
  const inferred = requested.filter((d) => d === -1).length;
  if (inferred > 1) {
    throw new ShapeError('reshape', `only one dimension can be -1, got ${formatShape(requested)} for input ${formatShape(from)}`, [from, requested]);
  }
  const bad = requested.findIndex((d) => d !== -1 && !(Number.isInteger(d) && d >= 0));
  if (bad >= 0) {
    throw new ShapeError(
      'reshape',
      `dimension ${bad} of shape ${formatShape(requested)} must be a non-negative integer or -1, got ${String(requested[bad])}`,
      [from, requested],
    );
  }
  const explicit = requested.map((d) => (d === -1 ? 1 : d));
  const known = sizeOf(explicit);
  const size = sizeOf(from);
  const shape = requested.map((d) => d + 0); // why: + 0 turns a -0 dimension into 0
  if (inferred === 1) {
    const index = requested.indexOf(-1);
    if (known === 0 || size % known !== 0) {
      throw new ShapeError(
        'reshape',
        `cannot reshape ${formatShape(from)} (${size} elements) into ${formatShape(requested)}`,
        [from, requested],
      );
    }
    shape[index] = size / known;
  } else if (known !== size) {
    throw new ShapeError(
      'reshape',
      `cannot reshape ${formatShape(from)} (${size} elements) into ${formatShape(requested)} (${known} elements)`,
      [from, requested],
    );
  }
  return shape;
}
