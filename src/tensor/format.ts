import type { TypedArray } from './dtype.js';
import { sizeOf, type Shape } from './shape.js';

/** Above this many elements the printout is summarized with `...`, as torch does. */
const SUMMARIZE_ABOVE = 1000;
/** How many leading and trailing entries a summarized dimension shows. */
const EDGE_ITEMS = 3;

/**
 * Formats values like torch's repr: a common number style for the whole tensor (integers as
 * `1.`, fixed with four decimals, or scientific when magnitudes are extreme), columns padded
 * to one width, and large tensors summarized.
 */
export function formatValues(data: TypedArray, shape: Shape, indent: number): string {
  const summarize = sizeOf(shape) > SUMMARIZE_ABOVE;
  const format = chooseFormat(data);
  const width = Array.from(data, (v) => format(v).length).reduce((a, b) => Math.max(a, b), 0);
  const cell = (v: number): string => format(v).padStart(width);
  if (shape.length === 0) return format(data[0]!);
  const strides: number[] = [];
  let stride = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    strides[axis] = stride;
    stride *= shape[axis]!;
  }
  const render = (offset: number, axis: number): string => {
    const length = shape[axis]!;
    const indices = summarize && length > 2 * EDGE_ITEMS
      ? [...range(0, EDGE_ITEMS), -1, ...range(length - EDGE_ITEMS, length)]
      : range(0, length);
    if (axis === shape.length - 1) {
      return '[' + indices.map((i) => (i < 0 ? '...' : cell(data[offset + i]!))).join(', ') + ']';
    }
    const pad = ' '.repeat(indent + axis + 1);
    const separator = ',' + '\n'.repeat(shape.length - axis - 1) + pad;
    return '[' + indices.map((i) => (i < 0 ? '...' : render(offset + i * strides[axis]!, axis + 1))).join(separator) + ']';
  };
  return render(0, 0);
}

function range(start: number, end: number): number[] {
  const out: number[] = [];
  for (let i = start; i < end; i++) out.push(i);
  return out;
}

function chooseFormat(data: TypedArray): (v: number) => string {
  let allIntegers = true;
  let maxAbs = 0;
  let minAbs = Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!Number.isFinite(v)) continue;
    const a = Math.abs(v);
    if (!Number.isInteger(v)) allIntegers = false;
    if (a > maxAbs) maxAbs = a;
    if (a > 0 && a < minAbs) minAbs = a;
  }
  const special = (v: number): string | null => (Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : null);
  if (allIntegers && maxAbs < 1e8) return (v) => special(v) ?? `${v.toFixed(0)}.`;
  if (maxAbs >= 1e8 || (minAbs < 1e-4 && minAbs !== Infinity) || maxAbs / minAbs > 1000 * 1000) {
    return (v) => special(v) ?? v.toExponential(4);
  }
  return (v) => special(v) ?? v.toFixed(4);
}
