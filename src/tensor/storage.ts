import { ShapeError, describeValue } from '../errors.js';
import { allocate, type DType, type TypedArray } from './dtype.js';
import { checkShape, sizeOf, type Shape } from './shape.js';

/** Nested arrays of numbers, as `tensor()` accepts them. */
export type NestedArray = number | NestedArray[];

/**
 * Reads nested arrays into a flat row-major buffer and infers their shape.
 * Ragged nesting and non-numbers are ShapeErrors that say where they were found.
 */
export function fromNested(op: string, values: NestedArray, dtype: DType): { data: TypedArray; shape: number[] } {
  const shape: number[] = [];
  let probe: NestedArray = values;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    if (probe.length === 0) break;
    probe = probe[0]!;
  }
  const data = allocate(dtype, sizeOf(shape));
  let offset = 0;
  // Iterative walk (no recursion): a stack of (array, depth, next index).
  const stack: Array<{ items: NestedArray; depth: number; path: number[] }> = [{ items: values, depth: 0, path: [] }];
  while (stack.length > 0) {
    const { items, depth, path } = stack.pop()!;
    if (depth === shape.length) {
      if (typeof items !== 'number') {
        throw new ShapeError(op, `expected a number at index [${path.join(',')}], got ${describe(items)}`, [shape]);
      }
      data[offset++] = items;
      continue;
    }
    if (!Array.isArray(items) || items.length !== shape[depth]) {
      const got = Array.isArray(items) ? `an array of length ${items.length}` : describe(items);
      throw new ShapeError(
        op,
        `nested arrays are ragged: expected an array of length ${shape[depth]} at index [${path.join(',')}], got ${got}`,
        [shape],
      );
    }
    for (let i = items.length - 1; i >= 0; i--) stack.push({ items: items[i]!, depth: depth + 1, path: [...path, i] });
  }
  return { data, shape };
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return describeValue(value);
}

/** Checks that `data` holds exactly as many elements as `shape` asks for. */
export function checkDataLength(op: string, length: number, shape: Shape): void {
  const expected = sizeOf(shape);
  if (length !== expected) {
    throw new ShapeError(
      op,
      `data has ${length} elements but shape [${shape.join(',')}] needs ${expected}`,
      [shape],
    );
  }
}

/** Validates a user-supplied shape (non-negative integers). */
export function validShape(op: string, shape: unknown): number[] {
  return checkShape(op, shape);
}

/** Nested arrays from a flat row-major buffer (a plain number for a 0-d tensor). */
export function toNested(data: TypedArray, shape: Shape): NestedArray {
  if (shape.length === 0) return data[0]!;
  const build = (offset: number, axis: number): NestedArray[] => {
    const length = shape[axis]!;
    if (axis === shape.length - 1) return Array.from(data.subarray(offset, offset + length));
    const stride = sizeOf(shape.slice(axis + 1));
    const rows: NestedArray[] = [];
    for (let i = 0; i < length; i++) rows.push(build(offset + i * stride, axis + 1));
    return rows;
  };
  return build(0, 0);
}
