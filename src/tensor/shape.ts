import { ShapeError, describeValue, formatShape } from '../errors.js';
import { MAX_ELEMENTS } from './dtype.js';

/** A tensor shape: one non-negative integer per dimension; `[]` is a 0-d (scalar) tensor. */
export type Shape = readonly number[];

/** Number of elements of a shape (1 for `[]`). */
export function sizeOf(shape: Shape): number {
  let size = 1;
  for (const dim of shape) size *= dim;
  return size;
}

/** Row-major strides, in elements. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    strides[axis] = stride;
    stride *= shape[axis]!;
  }
  return strides;
}

/** Throws a ShapeError unless every dimension is a non-negative integer and the size is within `MAX_ELEMENTS`. */
export function checkShape(op: string, shape: unknown): number[] {
  elementCount(op, shape);
  return (shape as number[]).map((dim) => dim + 0); // why: + 0 turns a -0 dimension into 0
}

/**
 * The number of elements of a user-supplied shape, checked without copying it: a ShapeError
 * unless it is an array of non-negative integers whose product is at most `MAX_ELEMENTS`
 * (so a huge request fails here, before any memory is touched).
 * @example
 * elementCount('zeros', [2, 3]); // 6
 * elementCount('zeros', [1e6, 1e6]); // throws ShapeError: zeros: a tensor holds at most 2147483647 (2^31 − 1) elements, got shape [1000000,1000000] with 1000000000000 elements
 */
export function elementCount(op: string, shape: unknown): number {
  if (!Array.isArray(shape)) {
    throw new ShapeError(op, `shape must be an array of non-negative integers, got ${describeValue(shape)}`);
  }
  let size = 1;
  for (let axis = 0; axis < shape.length; axis++) {
    const dim: unknown = shape[axis];
    if (typeof dim !== 'number' || !Number.isInteger(dim) || dim < 0) {
      throw new ShapeError(
        op,
        `dimension ${axis} of shape [${shape.map((dim) => describeValue(dim)).join(',')}] must be a non-negative integer, got ${describeValue(dim)}`,
      );
    }
    size *= dim;
  }
  checkElementLimit(op, shape as number[], size);
  return size;
}

/** Throws a ShapeError naming the op, the shape, its element count and the limit when `size > MAX_ELEMENTS`. */
export function checkElementLimit(op: string, shape: Shape, size = sizeOf(shape)): void {
  if (size <= MAX_ELEMENTS) return;
  throw new ShapeError(
    op,
    `a tensor holds at most ${MAX_ELEMENTS} (2^31 − 1) elements, got shape ${formatShape(shape)} with ${size} elements`,
    [shape],
  );
}


export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * NumPy broadcasting: align shapes at the right; each pair of dimensions must be equal or
 * contain a 1, and the result takes the larger one.
 */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const ndim = Math.max(a.length, b.length);
  const out = new Array<number>(ndim);
  for (let i = 0; i < ndim; i++) {
    const da = a[a.length - ndim + i] ?? 1;
    const db = b[b.length - ndim + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(
        op,
        `shapes ${formatShape(a)} and ${formatShape(b)} cannot be broadcast together ` +
          `(dimension ${i} of the result: ${da} vs ${db}; sizes must be equal or one of them 1)`,
        [a, b],
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** True when `from` broadcasts to exactly `to`. */
export function broadcastsTo(from: Shape, to: Shape): boolean {
  if (from.length > to.length) return false;
  for (let i = 1; i <= from.length; i++) {
    const d = from[from.length - i]!;
    if (d !== 1 && d !== to[to.length - i]) return false;
  }
  return true;
}

/**
 * Turns a possibly negative axis into 0..ndim-1, or throws a ShapeError naming the op.
 * As in PyTorch, a 0-d tensor accepts axis 0 or -1, as if it had one axis of length 1.
 */
export function normalizeAxis(op: string, axis: number, shape: Shape): number {
  const ndim = Math.max(shape.length, 1);
  if (!Number.isInteger(axis) || axis < -ndim || axis >= ndim) {
    throw new ShapeError(
      op,
      `axis ${axis} is out of range for shape ${formatShape(shape)}: expected an integer in [${-ndim}, ${ndim - 1}]`,
      [shape],
    );
  }
  return axis < 0 ? axis + ndim : axis;
}

/**
 * Splits a shape around `axis` into (outer, axis length, inner): element [o, k, i] lives at
 * o·length·inner + k·inner + i. Every axis reduction is written over this view.
 */
export function splitAtAxis(shape: Shape, axis: number): { outer: number; length: number; inner: number } {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i]!;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i]!;
  return { outer, length: shape[axis] ?? 1, inner }; // a 0-d tensor: one axis of length 1
}

/** The shape after reducing `axis` (kept as 1 with keepDim). */
export function reducedShape(shape: Shape, axis: number, keepDim: boolean): number[] {
  if (shape.length === 0) return []; // reducing a 0-d tensor along its one implicit axis, as PyTorch
  const out = shape.slice();
  if (keepDim) out[axis] = 1;
  else out.splice(axis, 1);
  return out;
}

/**
 * The rows and columns of a 2-D shape, for code that has already checked `shape.length === 2`.
 * @example const [rows, cols] = matrixShape([3, 4]); // 3, 4
 */
export function matrixShape(shape: readonly number[]): [rows: number, cols: number] {
  return [shape[0]!, shape[1]!];
}
