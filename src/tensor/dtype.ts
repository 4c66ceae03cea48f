import { ArgumentError, DTypeError, describeValue } from '../errors.js';
import { takeBuffer } from './pool.js';

/** The element types a tensor can hold. float32 is the default, float64 is for gradcheck and study. */
export type DType = 'float32' | 'float64';

/** The storage of a tensor: contiguous, row-major. */
export type TypedArray = Float32Array | Float64Array;

export const DTYPES: readonly DType[] = ['float32', 'float64'];

/** Throws a DTypeError unless `value` names a dtype gradguard supports. */
export function checkDType(op: string, value: unknown): DType {
  if (value === 'float32' || value === 'float64') return value;
  throw new DTypeError(op, `dtype must be 'float32' or 'float64', got ${describeValue(value)}`);
}

/**
 * The most elements one tensor may hold: 2³¹ − 1, the largest index an Int32Array (argmax,
 * permutations, class targets) can hold, and below V8's typed-array length limit. The one place
 * the limit is set; creation functions, ops and `allocate` all check against it.
 */
export const MAX_ELEMENTS = 2 ** 31 - 1;

/**
 * A zero-filled buffer of `size` elements, fresh or recycled from a finished backward pass (pool.ts). A size above `MAX_ELEMENTS`, or one the
 * engine cannot allocate (V8's RangeError), is an ArgumentError naming `op`, the count and the limit.
 * @example
 * allocate('float32', 6); // Float32Array(6)
 */
export function allocate(dtype: DType, size: number, op = 'allocate'): TypedArray {
  if (size > MAX_ELEMENTS) {
    throw new ArgumentError(op, `a buffer holds at most ${MAX_ELEMENTS} (2^31 − 1) elements, got a request for ${size} ${dtype} elements`);
  }
  const recycled = takeBuffer(dtype, size);
  if (recycled !== undefined) return recycled;
  try {
    return dtype === 'float64' ? new Float64Array(size) : new Float32Array(size);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    const bytes = size * (dtype === 'float64' ? 8 : 4);
    throw new ArgumentError(op, `cannot allocate ${size} ${dtype} elements (${bytes} bytes): ${error.message}`);
  }
}

/** The dtype of an existing buffer. */
export function dtypeOf(data: TypedArray): DType {
  return data instanceof Float64Array ? 'float64' : 'float32';
}

/** A copy of `data` in `dtype` (a plain copy when the dtype already matches). */
export function castTo(data: TypedArray, dtype: DType): TypedArray {
  const out = allocate(dtype, data.length);
  out.set(data);
  return out;
}

/**
 * PyTorch's promotion among floating tensors: float64 wins, except that 0-d tensors (and plain
 * numbers) take the dtype of the dimensioned operands when there are any.
 */
export function promoteTypes(operands: ReadonlyArray<{ dtype: DType; ndim: number }>): DType {
  const dimensioned = operands.filter((o) => o.ndim > 0);
  const deciding = dimensioned.length > 0 ? dimensioned : operands;
  return deciding.some((o) => o.dtype === 'float64') ? 'float64' : 'float32';
}
