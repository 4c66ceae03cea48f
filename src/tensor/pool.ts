import type { DType, TypedArray } from './dtype.js';

/*
 * A pool of buffers that a backward pass has finished with. A pass allocates a fresh gradient
 * for nearly every node and drops it one node later; the next forward pass allocates outputs
 * of the same sizes again. A fresh typed array costs a zero-filled allocation plus garbage
 * collector bookkeeping (~1–5 µs for 8 KB); a recycled one costs a `fill(0)`. Only the engine
 * (see `backward`) and `Tensor.releaseGrad` (zeroGrad) release buffers, and only those no one
 * else can hold, so no tensor ever shares one.
 */

/**
 * Buffers up to this many bytes live in V8's own heap and cost ~0.05 µs to make: not worth
 * pooling. Larger ones get memory of their own: ~0.6 µs at 68 bytes, ~1.5 µs at 128, ~4 µs at 16 KB.
 */
const MAX_UNPOOLED_BYTES = 64;
/** The pool never holds more than this, so it cannot grow memory beyond a small bound. */
const MAX_POOLED_BYTES = 32 * 1024 * 1024;

const pools: Record<DType, Map<number, TypedArray[]>> = { float32: new Map(), float64: new Map() };
let pooledBytes = 0;

/**
 * Hands a buffer back for reuse. The caller promises that nothing will read or write it again.
 * @example releaseBuffer(gradient); // after the last VJP that reads it
 */
export function releaseBuffer(buffer: TypedArray): void {
  if (buffer.byteLength <= MAX_UNPOOLED_BYTES || pooledBytes + buffer.byteLength > MAX_POOLED_BYTES) return;
  // why: only whole buffers: a view shares its ArrayBuffer with data someone else may hold
  if (buffer.byteOffset !== 0 || buffer.byteLength !== buffer.buffer.byteLength) return;
  const pool = pools[buffer instanceof Float64Array ? 'float64' : 'float32'];
  const list = pool.get(buffer.length);
  if (list === undefined) pool.set(buffer.length, [buffer]);
  else list.push(buffer);
  pooledBytes += buffer.byteLength;
}

/**
 * A zero-filled buffer of exactly `size` elements from the pool, or undefined when there is none.
 * @example const data = takeBuffer('float32', 2048) ?? new Float32Array(2048);
 */
export function takeBuffer(dtype: DType, size: number): TypedArray | undefined {
  if (pooledBytes === 0 || size * (dtype === 'float64' ? 8 : 4) <= MAX_UNPOOLED_BYTES) return undefined;
  const buffer = pools[dtype].get(size)?.pop();
  if (buffer === undefined) return undefined;
  pooledBytes -= buffer.byteLength;
  return buffer.fill(0);
}

/** Empties the pool (tests, and callers that want the memory back). */
export function clearBufferPool(): void {
  pools.float32.clear();
  pools.float64.clear();
  pooledBytes = 0;
}
