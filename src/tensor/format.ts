import type { TypedArray } from './dtype.js';
import { sizeOf, stridesOf, type Shape } from './shape.js';

/*
 * Printing as torch's repr does (torch/_tensor_str.py, default print options): one number
 * style for the whole tensor, chosen from its non-zero finite values; columns padded to one
 * width; rows wrapped at 80 characters; tensors of more than 1000 elements summarized with
 * `...`, keeping 3 entries at each end of every dimension.
 */

/** Digits after the point, as torch's default `precision`. */
const PRECISION = 4;
/** Above this many elements the printout is summarized. */
const SUMMARIZE_ABOVE = 1000;
/** How many leading and trailing entries a summarized dimension shows. */
const EDGE_ITEMS = 3;
/** Characters per line before a row or the suffixes wrap. */
const LINE_WIDTH = 80;

/** How every value of one tensor is printed: a style and the common width. */
interface Formatter {
  readonly width: number;
  format(value: number): string;
}

type Style = 'integer' | 'fixed' | 'scientific';

/**
 * The whole repr: `tensor(<values>, suffix, …)`, moving a suffix to its own line when it would
 * run past 80 characters, as torch does.
 * @example formatTensor(new Float32Array([1, 2.5]), [2], ['requiresGrad=true']) // 'tensor([1.0000, 2.5000], requiresGrad=true)'
 */
export function formatTensor(data: TypedArray, shape: Shape, suffixes: readonly string[]): string {
  const prefix = 'tensor(';
  const body = sizeOf(shape) === 0 ? '[]' : formatValues(data, shape, prefix.length);
  let text = prefix + body;
  let lastLineLength = text.length - text.lastIndexOf('\n') + 1;
  for (const suffix of suffixes) {
    if (lastLineLength + suffix.length + 2 > LINE_WIDTH) {
      text += ',\n' + ' '.repeat(prefix.length) + suffix;
      lastLineLength = prefix.length + suffix.length;
    } else {
      text += ', ' + suffix;
      lastLineLength += suffix.length + 2;
    }
  }
  return text + ')';
}

/** The bracketed values of a non-empty tensor whose printout starts `indent` characters in. */
export function formatValues(data: TypedArray, shape: Shape, indent: number): string {
  const summarize = sizeOf(shape) > SUMMARIZE_ABOVE;
  const formatter = makeFormatter(summarize ? summarizedValues(data, shape) : data);
  if (shape.length === 0) return formatter.format(data[0]!);
  const strides = stridesOf(shape);
  const shown = (length: number): number[] =>
    summarize && length > 2 * EDGE_ITEMS ? [...range(0, EDGE_ITEMS), -1, ...range(length - EDGE_ITEMS, length)] : range(0, length);
  const render = (offset: number, axis: number): string => {
    const pad = ' '.repeat(indent + axis + 1);
    const indices = shown(shape[axis]!);
    if (axis === shape.length - 1) {
      const cells = indices.map((i) => (i < 0 ? ' ...' : formatter.format(data[offset + i]!)));
      const perLine = Math.max(1, Math.floor((LINE_WIDTH - indent - axis) / (formatter.width + 2)));
      const lines: string[] = [];
      for (let i = 0; i < cells.length; i += perLine) lines.push(cells.slice(i, i + perLine).join(', '));
      return '[' + lines.join(',\n' + pad) + ']';
    }
    const separator = ',' + '\n'.repeat(shape.length - axis - 1) + pad;
    return '[' + indices.map((i) => (i < 0 ? '...' : render(offset + i * strides[axis]!, axis + 1))).join(separator) + ']';
  };
  return render(0, 0);
}

/** Picks torch's style from the non-zero finite values and measures the common width. */
function makeFormatter(values: ArrayLike<number>): Formatter {
  const shown: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v) && v !== 0) shown.push(v);
  }
  let style: Style = 'integer';
  if (shown.length > 0) {
    const magnitudes = shown.map(Math.abs);
    const max = Math.max(...magnitudes);
    const min = Math.min(...magnitudes);
    const integers = shown.every(Number.isInteger);
    const extreme = max / min > 1000 || max > 1e8 || (!integers && min < 1e-4);
    style = extreme ? 'scientific' : integers ? 'integer' : 'fixed';
  }
  const width = shown.reduce((w, v) => Math.max(w, formatNumber(v, style).length), 1);
  return { width, format: (v) => formatNumber(v, style).padStart(width) };
}

/** One value in Python's notation: `1.`, `0.5000`, `1.0000e-05`, `nan`, `-inf`. */
function formatNumber(value: number, style: Style): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  // why: JavaScript drops the sign of −0 when formatting; Python keeps it.
  if (Object.is(value, -0)) return '-' + formatNumber(0, style);
  if (style === 'integer') return value.toFixed(0) + '.';
  if (style === 'fixed') return tiesToEven(value.toFixed(PRECISION), value.toFixed(100), PRECISION);
  const [mantissa, exponent] = tiesToEven(value.toExponential(PRECISION), value.toExponential(100), PRECISION).split('e');
  const sign = exponent!.startsWith('-') ? '-' : '+';
  return `${mantissa}e${sign}${exponent!.replace(/^[+-]/, '').padStart(2, '0')}`;
}

/**
 * JavaScript rounds an exact tie away from zero, Python (so torch) to the even digit:
 * 0.03125 prints as 0.0312 in torch. `rounded` is JavaScript's result, `precise` the same
 * number with 100 digits; on a tie whose kept digit is even, the truncation is the answer.
 */
function tiesToEven(rounded: string, precise: string, digits: number): string {
  const [mantissa, exponent] = precise.split('e');
  const point = mantissa!.indexOf('.');
  const kept = mantissa!.slice(0, point + 1 + digits);
  const rest = mantissa!.slice(point + 1 + digits);
  const tie = /^50*$/.test(rest);
  const lastDigit = Number(kept[kept.length - 1]);
  if (!tie || lastDigit % 2 === 1) return rounded;
  return exponent === undefined ? kept : `${kept}e${exponent}`;
}

/** The values a summarized printout shows: the first and last entries of every long dimension. */
function summarizedValues(data: TypedArray, shape: Shape): number[] {
  const strides = stridesOf(shape);
  const kept = shape.map((length) =>
    length > 2 * EDGE_ITEMS ? [...range(0, EDGE_ITEMS), ...range(length - EDGE_ITEMS, length)] : range(0, length),
  );
  const out: number[] = [];
  const counter = new Array<number>(shape.length).fill(0);
  for (;;) {
    let offset = 0;
    for (let axis = 0; axis < shape.length; axis++) offset += kept[axis]![counter[axis]!]! * strides[axis]!;
    out.push(data[offset]!);
    let axis = shape.length - 1;
    while (axis >= 0 && ++counter[axis]! === kept[axis]!.length) counter[axis--] = 0;
    if (axis < 0) return out;
  }
}

function range(start: number, end: number): number[] {
  const out: number[] = [];
  for (let i = start; i < end; i++) out.push(i);
  return out;
}
