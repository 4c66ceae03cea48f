import { ArgumentError, ShapeError, checkBoolean, checkOptions } from '../errors.js';
import { allocate, castTo, checkDType, type DType } from '../tensor/dtype.js';
import { fillNormal, fillUniform } from '../tensor/rng.js';
import { checkShape, sizeOf } from '../tensor/shape.js';
import { fromNested, type NestedArray } from '../tensor/storage.js';
import { Tensor } from './tensor.js';

/** Options every creation function takes. */
export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

function make(op: string, shape: unknown, options: TensorOptions): Tensor {
  const dims = checkShape(op, shape);
  const { dtype = 'float32', requiresGrad = false } = checkOptions(op, options);
  const data = allocate(checkDType(op, dtype), sizeOf(dims), op);
  return new Tensor(data, dims, { requiresGrad: checkBoolean(op, 'requiresGrad', requiresGrad) });
}

/**
 * A tensor from a number, nested arrays, or a typed array (copied; `shape` defaults to 1-D).
 * @example
 * tensor([[1, 2], [3, 4]]);                 // shape [2, 2], float32
 * tensor(3);                                 // shape [] (0-d)
 * tensor(new Float64Array(6), { shape: [2, 3] }); // float64
 */
export function tensor(
  values: NestedArray | Float32Array | Float64Array,
  options: TensorOptions & { shape?: readonly number[] } = {},
): Tensor {
  const requiresGrad = checkBoolean('tensor', 'requiresGrad', checkOptions('tensor', options).requiresGrad ?? false);
  if (values instanceof Float32Array || values instanceof Float64Array) {
    const dtype = checkDType('tensor', options.dtype ?? (values instanceof Float64Array ? 'float64' : 'float32'));
    const shape = checkShape('tensor', options.shape ?? [values.length]);
    if (sizeOf(shape) !== values.length) {
      throw new ShapeError('tensor', `data has ${values.length} elements but shape [${shape.join(',')}] needs ${sizeOf(shape)}`, [shape]);
    }
    return new Tensor(castTo(values, dtype), shape, { requiresGrad });
  }
  const dtype = checkDType('tensor', options.dtype ?? 'float32');
  const { data, shape } = fromNested('tensor', values, dtype);
  if (options.shape !== undefined) {
    const requested = checkShape('tensor', options.shape);
    if (sizeOf(requested) !== data.length) {
      throw new ShapeError('tensor', `data has ${data.length} elements but shape [${requested.join(',')}] needs ${sizeOf(requested)}`, [shape, requested]);
    }
    return new Tensor(data, requested, { requiresGrad });
  }
  return new Tensor(data, shape, { requiresGrad });
}

/** A tensor of zeros. @example zeros([2, 3]) */
export function zeros(shape: readonly number[], options: TensorOptions = {}): Tensor {
  return make('zeros', shape, options);
}

/** A tensor of ones. @example ones([3]) */
export function ones(shape: readonly number[], options: TensorOptions = {}): Tensor {
  const t = make('ones', shape, options);
  t.data.fill(1);
  return t;
}

/** A tensor filled with `value`. @example full([2, 2], 0.5) */
export function full(shape: readonly number[], value: number, options: TensorOptions = {}): Tensor {
  if (typeof value !== 'number') throw new ArgumentError('full', `value must be a number, got ${String(value)}`);
  const t = make('full', shape, options);
  t.data.fill(value);
  return t;
}

/** Uniform samples in [0, 1) from the seeded global generator. @example manualSeed(0); rand([2]) */
export function rand(shape: readonly number[], options: TensorOptions = {}): Tensor {
  const t = make('rand', shape, options);
  fillUniform(t.data);
  return t;
}

/** Standard normal samples from the seeded global generator. @example manualSeed(0); randn([2, 2]) */
export function randn(shape: readonly number[], options: TensorOptions = {}): Tensor {
  const t = make('randn', shape, options);
  fillNormal(t.data);
  return t;
}

/**
 * Evenly spaced values in [start, end): `arange(end)` or `arange(start, end, step?)`.
 * @example arange(4) // [0, 1, 2, 3]
 */
export function arange(startOrEnd: number, end?: number, step = 1, options: TensorOptions = {}): Tensor {
  const start = end === undefined ? 0 : startOrEnd;
  const stop = end === undefined ? startOrEnd : end;
  if (![start, stop, step].every(Number.isFinite) || step === 0) {
    throw new ArgumentError('arange', `start, end and step must be finite and step non-zero, got start ${start}, end ${stop}, step ${step}`);
  }
  const count = Math.max(0, Math.ceil((stop - start) / step));
  const t = make('arange', [count], options);
  for (let i = 0; i < count; i++) t.data[i] = start + i * step;
  return t;
}

