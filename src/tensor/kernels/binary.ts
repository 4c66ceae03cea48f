import type { TypedArray } from '../dtype.js';
import type { Shape } from '../shape.js';
import { tryBinaryWasm } from '../wasm/backend.js';

/** The elementwise binary kernels. Each has its own tight loop, so no per-element dispatch. */
export type BinaryKernel = 'add' | 'sub' | 'mul' | 'div';

/**
 * out = a ⊕ b over one row of n elements, reading a and b with strides 0 (broadcast) or 1.
 * Every broadcasting case reduces to calls of this function, one per output row.
 */
function row(
  kernel: BinaryKernel,
  a: TypedArray, aIndex: number, aStride: number,
  b: TypedArray, bIndex: number, bStride: number,
  out: TypedArray, outIndex: number, n: number,
): void {
  switch (kernel) {
    case 'add':
      for (let i = 0; i < n; i++, aIndex += aStride, bIndex += bStride) out[outIndex + i] = a[aIndex]! + b[bIndex]!;
      return;
    case 'sub':
      for (let i = 0; i < n; i++, aIndex += aStride, bIndex += bStride) out[outIndex + i] = a[aIndex]! - b[bIndex]!;
      return;
    case 'mul':
      for (let i = 0; i < n; i++, aIndex += aStride, bIndex += bStride) out[outIndex + i] = a[aIndex]! * b[bIndex]!;
      return;
    case 'div':
      for (let i = 0; i < n; i++, aIndex += aStride, bIndex += bStride) out[outIndex + i] = a[aIndex]! / b[bIndex]!;
      return;
  }
}

/*
 * why the fast paths below do eight elements per iteration: V8 does not unroll loops, and with the
 * arrays arriving as parameters the per-iteration work (re-checking each array, the loop test)
 * costs as much as the arithmetic. Four per iteration ran 1.2–1.6× faster than one (1M floats and
 * the [64,128] bias add, Node 20), and eight another 10–15 % faster than four (the same cases
 * through `Tensor.add`/`mul`, the two builds alternating in one process). The one-at-a-time `row`
 * does the n % 8 leftovers first: a leftover loop placed after the unrolled one may never run
 * while V8 warms the function up, and code optimized without feedback for it was deoptimized on
 * every later call (see bench/README.md, "Leftover elements first").
 */

/** out = a ⊕ b for same-length contiguous arrays: the fastest path, no stride arithmetic. */
function same(kernel: BinaryKernel, a: TypedArray, b: TypedArray, out: TypedArray): void {
  const n = out.length;
  let i = n & 7;
  if (i > 0) row(kernel, a, 0, 1, b, 0, 1, out, 0, i);
  switch (kernel) {
    case 'add':
      for (; i < n; i += 8) {
        out[i] = a[i]! + b[i]!; out[i + 1] = a[i + 1]! + b[i + 1]!; out[i + 2] = a[i + 2]! + b[i + 2]!; out[i + 3] = a[i + 3]! + b[i + 3]!;
        out[i + 4] = a[i + 4]! + b[i + 4]!; out[i + 5] = a[i + 5]! + b[i + 5]!; out[i + 6] = a[i + 6]! + b[i + 6]!; out[i + 7] = a[i + 7]! + b[i + 7]!;
      }
      break;
    case 'sub':
      for (; i < n; i += 8) {
        out[i] = a[i]! - b[i]!; out[i + 1] = a[i + 1]! - b[i + 1]!; out[i + 2] = a[i + 2]! - b[i + 2]!; out[i + 3] = a[i + 3]! - b[i + 3]!;
        out[i + 4] = a[i + 4]! - b[i + 4]!; out[i + 5] = a[i + 5]! - b[i + 5]!; out[i + 6] = a[i + 6]! - b[i + 6]!; out[i + 7] = a[i + 7]! - b[i + 7]!;
      }
      break;
    case 'mul':
      for (; i < n; i += 8) {
        out[i] = a[i]! * b[i]!; out[i + 1] = a[i + 1]! * b[i + 1]!; out[i + 2] = a[i + 2]! * b[i + 2]!; out[i + 3] = a[i + 3]! * b[i + 3]!;
        out[i + 4] = a[i + 4]! * b[i + 4]!; out[i + 5] = a[i + 5]! * b[i + 5]!; out[i + 6] = a[i + 6]! * b[i + 6]!; out[i + 7] = a[i + 7]! * b[i + 7]!;
      }
      break;
    case 'div':
      for (; i < n; i += 8) {
        out[i] = a[i]! / b[i]!; out[i + 1] = a[i + 1]! / b[i + 1]!; out[i + 2] = a[i + 2]! / b[i + 2]!; out[i + 3] = a[i + 3]! / b[i + 3]!;
        out[i + 4] = a[i + 4]! / b[i + 4]!; out[i + 5] = a[i + 5]! / b[i + 5]!; out[i + 6] = a[i + 6]! / b[i + 6]!; out[i + 7] = a[i + 7]! / b[i + 7]!;
      }
      break;
  }
}

/**
 * out[r, j] = a[r, j] ⊕ b[j] for contiguous a and out: the bias-add shape ([M,N] ⊕ [N]), the
 * most common broadcast in training. Its own loops, so no stride arithmetic per element.
 */
function rowBroadcast(kernel: BinaryKernel, a: TypedArray, b: TypedArray, out: TypedArray, rows: number, length: number): void {
  for (let r = 0, start = 0; r < rows; r++, start += length) {
    let j = length & 7;
    if (j > 0) row(kernel, a, start, 1, b, 0, 1, out, start, j);
    switch (kernel) {
      case 'add':
        for (; j < length; j += 8) {
          const k = start + j;
          out[k] = a[k]! + b[j]!; out[k + 1] = a[k + 1]! + b[j + 1]!; out[k + 2] = a[k + 2]! + b[j + 2]!; out[k + 3] = a[k + 3]! + b[j + 3]!;
          out[k + 4] = a[k + 4]! + b[j + 4]!; out[k + 5] = a[k + 5]! + b[j + 5]!; out[k + 6] = a[k + 6]! + b[j + 6]!; out[k + 7] = a[k + 7]! + b[j + 7]!;
        }
        break;
      case 'sub':
        for (; j < length; j += 8) {
          const k = start + j;
          out[k] = a[k]! - b[j]!; out[k + 1] = a[k + 1]! - b[j + 1]!; out[k + 2] = a[k + 2]! - b[j + 2]!; out[k + 3] = a[k + 3]! - b[j + 3]!;
          out[k + 4] = a[k + 4]! - b[j + 4]!; out[k + 5] = a[k + 5]! - b[j + 5]!; out[k + 6] = a[k + 6]! - b[j + 6]!; out[k + 7] = a[k + 7]! - b[j + 7]!;
        }
        break;
      case 'mul':
        for (; j < length; j += 8) {
          const k = start + j;
          out[k] = a[k]! * b[j]!; out[k + 1] = a[k + 1]! * b[j + 1]!; out[k + 2] = a[k + 2]! * b[j + 2]!; out[k + 3] = a[k + 3]! * b[j + 3]!;
          out[k + 4] = a[k + 4]! * b[j + 4]!; out[k + 5] = a[k + 5]! * b[j + 5]!; out[k + 6] = a[k + 6]! * b[j + 6]!; out[k + 7] = a[k + 7]! * b[j + 7]!;
        }
        break;
      case 'div':
        for (; j < length; j += 8) {
          const k = start + j;
          out[k] = a[k]! / b[j]!; out[k + 1] = a[k + 1]! / b[j + 1]!; out[k + 2] = a[k + 2]! / b[j + 2]!; out[k + 3] = a[k + 3]! / b[j + 3]!;
          out[k + 4] = a[k + 4]! / b[j + 4]!; out[k + 5] = a[k + 5]! / b[j + 5]!; out[k + 6] = a[k + 6]! / b[j + 6]!; out[k + 7] = a[k + 7]! / b[j + 7]!;
        }
        break;
    }
  }
}

/** Strides of `shape` seen through a broadcast to an `ndim`-dimensional result: 0 where it repeats. */
export function broadcastStrides(shape: Shape, ndim: number): number[] {
  const strides = new Array<number>(ndim).fill(0);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const axis = ndim - shape.length + i;
    strides[axis] = shape[i] === 1 ? 0 : stride;
    stride *= shape[i]!;
  }
  return strides;
}

/**
 * out = a ⊕ b with NumPy broadcasting; `outShape` is the broadcast shape (already checked).
 * Fast paths: same shape, scalar operand, row broadcast ([M,N] ⊕ [N]); everything else walks
 * the output row by row with an index counter (no allocation per element).
 */
export function binary(
  kernel: BinaryKernel,
  a: TypedArray, aShape: Shape,
  b: TypedArray, bShape: Shape,
  out: TypedArray, outShape: Shape,
): void {
  const n = out.length;
  if (n === 0) return;
  if (a.length === n && b.length === n) {
    if ((kernel === 'add' || kernel === 'mul') && tryBinaryWasm(kernel, a, b, out)) return;
    return same(kernel, a, b, out);
  }
  if (b.length === 1 && a.length === n) return row(kernel, a, 0, 1, b, 0, 0, out, 0, n);
  if (a.length === 1 && b.length === n) return row(kernel, a, 0, 0, b, 0, 1, out, 0, n);
  const ndim = outShape.length;
  const rowLength = outShape[ndim - 1]!;
  const rows = n / rowLength;
  // why: b.length === rowLength alone would also match a column [M,1] when M equals the row length.
  if (a.length === n && b.length === rowLength && bShape[bShape.length - 1] === rowLength) {
    return rowBroadcast(kernel, a, b, out, rows, rowLength);
  }
  const aStrides = broadcastStrides(aShape, ndim);
  const bStrides = broadcastStrides(bShape, ndim);
  const counter = new Array<number>(ndim).fill(0);
  let aIndex = 0;
  let bIndex = 0;
  for (let r = 0; r < rows; r++) {
    row(kernel, a, aIndex, aStrides[ndim - 1]!, b, bIndex, bStrides[ndim - 1]!, out, r * rowLength, rowLength);
    // Advance the outer-dimension counter like an odometer, moving both read positions.
    for (let axis = ndim - 2; axis >= 0; axis--) {
      counter[axis]!++;
      aIndex += aStrides[axis]!;
      bIndex += bStrides[axis]!;
      if (counter[axis]! < outShape[axis]!) break;
      aIndex -= aStrides[axis]! * outShape[axis]!;
      bIndex -= bStrides[axis]! * outShape[axis]!;
      counter[axis] = 0;
    }
  }
}

/**
 * Sums `grad` (of the broadcast shape `fromShape`) down to `toShape`, the inverse of
 * broadcasting: the gradient of a repeated value is the sum over its repetitions.
 */
export function sumToShape(grad: TypedArray, fromShape: Shape, out: TypedArray, toShape: Shape): void {
  out.fill(0);
  const ndim = fromShape.length;
  const n = grad.length;
  if (n === 0) return;
  if (out.length === 1) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += grad[i]!;
    out[0] = sum;
    return;
  }
  const strides = broadcastStrides(toShape, ndim);
  const rowLength = fromShape[ndim - 1]!;
  const rowStride = strides[ndim - 1]!;
  const counter = new Array<number>(ndim).fill(0);
  let outIndex = 0;
  for (let start = 0; start < n; start += rowLength) {
    if (rowStride === 0) {
      let sum = 0;
      for (let i = 0; i < rowLength; i++) sum += grad[start + i]!;
      out[outIndex] = out[outIndex]! + sum;
    } else {
      for (let i = 0; i < rowLength; i++) out[outIndex + i] = out[outIndex + i]! + grad[start + i]!;
    }
    for (let axis = ndim - 2; axis >= 0; axis--) {
      counter[axis]!++;
      outIndex += strides[axis]!;
      if (counter[axis]! < fromShape[axis]!) break;
      outIndex -= strides[axis]! * fromShape[axis]!;
      counter[axis] = 0;
    }
  }
}
