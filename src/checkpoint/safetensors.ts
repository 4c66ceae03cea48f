/**
 * A pure, browser-safe safetensors codec: named tensors (plus a string → string metadata map)
 * to and from the bytes of a `.safetensors` file. No `node:` imports: the Node entry
 * (`gradguard/node`) adds the file handling on top.
 *
 * The layout written is the reference writer's (huggingface/safetensors): 8-byte little-endian
 * header length N; compact JSON header, `__metadata__` first, then the tensors in the order
 * their bytes follow, padded with spaces so that 8 + N is a multiple of 8 (every tensor then
 * starts aligned to its element size); then the data, float64 tensors before float32 ones and
 * by name within a dtype, so the same tensors always give the same bytes.
 */
import { Tensor } from '../autograd/tensor.js';
import { ArgumentError, CheckpointError } from '../errors.js';
import type { DType, TypedArray } from '../tensor/dtype.js';
import { BYTES_PER_ELEMENT, METADATA_KEY, readHeader, type HeaderEntry, type SafetensorsDType } from './header.js';

/** What a safetensors file holds: tensors by name and the `__metadata__` strings. */
export interface SafetensorsContents {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

const SAFETENSORS_DTYPE: Readonly<Record<DType, SafetensorsDType>> = { float32: 'F32', float64: 'F64' };

/** The safetensors dtype name of a gradguard dtype. @example dtypeToSafetensors('float64'); // 'F64' */
export function dtypeToSafetensors(dtype: DType): SafetensorsDType {
  return SAFETENSORS_DTYPE[dtype];
}

/**
 * Encodes named tensors (and optional string metadata) as the bytes of a safetensors file.
 * Tensor values are copied; the tensors are not changed.
 * @throws ArgumentError for a non-tensor value, the reserved name `__metadata__`, or a non-string metadata value.
 * @example
 * const bytes = toSafetensors({ weight: tensor([[1, 2], [3, 4]]) }, { note: 'demo' });
 * fromSafetensors(bytes).tensors.weight.toArray(); // [[1, 2], [3, 4]]
 */
export function toSafetensors(tensors: Record<string, Tensor>, metadata: Record<string, string> = {}): Uint8Array {
  const op = 'toSafetensors';
  const named = checkTensors(tensors, op);
  checkMetadata(metadata, op);
  named.sort(byLayoutOrder);
  const pieces: string[] = [];
  if (Object.keys(metadata).length > 0) pieces.push(`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(metadata)}`);
  let offset = 0;
  for (const [name, t] of named) {
    const end = offset + t.data.byteLength;
    const info = { dtype: dtypeToSafetensors(t.dtype), shape: t.shape, data_offsets: [offset, end] };
    pieces.push(`${JSON.stringify(name)}:${JSON.stringify(info)}`);
    offset = end;
  }
  const json = new TextEncoder().encode(`{${pieces.join(',')}}`);
  // why: pad with spaces so the data starts at a multiple of 8 bytes, as the reference writer does.
  const headerLength = json.length + ((8 - (json.length % 8)) % 8);
  const bytes = new Uint8Array(8 + headerLength + offset);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(headerLength), true);
  bytes.fill(0x20, 8, 8 + headerLength);
  bytes.set(json, 8);
  let position = 8 + headerLength;
  for (const [, t] of named) {
    writeLittleEndian(t.data, bytes, position);
    position += t.data.byteLength;
  }
  return bytes;
}

/**
 * Decodes the bytes of a safetensors file into tensors (fresh copies, not views of `bytes`).
 * The header is checked in full before any value is read: length, JSON, dtypes ('F32', 'F64'),
 * shapes, and offsets that tile the data buffer exactly.
 * `op` is the function name that error messages start with.
 * @throws CheckpointError naming what is wrong with the file.
 * @example
 * const { tensors, metadata } = fromSafetensors(toSafetensors({ b: tensor([1, 2]) }, { k: 'v' }));
 * tensors.b.shape; // [2]
 * metadata.k;      // 'v'
 */
export function fromSafetensors(bytes: Uint8Array, op = 'fromSafetensors'): SafetensorsContents {
  if (!(bytes instanceof Uint8Array)) {
    throw new CheckpointError(op, `bytes must be a Uint8Array, got ${typeof bytes}`);
  }
  const header = readHeader(bytes, op);
  const entries = header.entries.map((entry): [string, Tensor] => [entry.name, readTensor(bytes, header.dataStart, entry)]);
  return { tensors: Object.fromEntries(entries), metadata: header.metadata };
}

function readTensor(bytes: Uint8Array, dataStart: number, entry: HeaderEntry): Tensor {
  const length = (entry.end - entry.begin) / BYTES_PER_ELEMENT[entry.dtype];
  const data = entry.dtype === 'F64' ? new Float64Array(length) : new Float32Array(length);
  readLittleEndian(bytes, dataStart + entry.begin, data);
  return new Tensor(data, entry.shape);
}

function checkTensors(tensors: Record<string, Tensor>, op: string): Array<[string, Tensor]> {
  if (typeof tensors !== 'object' || tensors === null) {
    throw new ArgumentError(op, `tensors must be an object of name → Tensor, got ${String(tensors)}`);
  }
  const named = Object.entries(tensors);
  for (const [name, value] of named) {
    if (name === METADATA_KEY) throw new ArgumentError(op, `tensor names must not be the reserved '${METADATA_KEY}'`);
    if (!(value instanceof Tensor)) throw new ArgumentError(op, `'${name}' must be a Tensor, got ${typeof value}`);
  }
  return named;
}

function checkMetadata(metadata: Record<string, string>, op: string): void {
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') {
      throw new ArgumentError(op, `metadata values must be strings (safetensors allows no other), got ${typeof value} for '${key}'`);
    }
  }
}

/** Wider elements first (keeps every tensor aligned to its element size), then by name, bytewise. */
function byLayoutOrder([nameA, a]: [string, Tensor], [nameB, b]: [string, Tensor]): number {
  const width = b.data.BYTES_PER_ELEMENT - a.data.BYTES_PER_ELEMENT;
  return width !== 0 ? width : compareUtf8(nameA, nameB);
}

/** Compares two strings by their UTF-8 bytes, as Rust's `str` ordering does. */
function compareUtf8(a: string, b: string): number {
  const encoder = new TextEncoder();
  const bytesA = encoder.encode(a);
  const bytesB = encoder.encode(b);
  const common = Math.min(bytesA.length, bytesB.length);
  for (let i = 0; i < common; i++) {
    if (bytesA[i] !== bytesB[i]) return bytesA[i]! - bytesB[i]!;
  }
  return bytesA.length - bytesB.length;
}

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function writeLittleEndian(data: TypedArray, out: Uint8Array, position: number): void {
  if (HOST_IS_LITTLE_ENDIAN) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), position);
    return;
  }
  const view = new DataView(out.buffer, out.byteOffset + position, data.byteLength);
  const width = data.BYTES_PER_ELEMENT;
  for (let i = 0; i < data.length; i++) {
    if (width === 8) view.setFloat64(i * 8, data[i]!, true);
    else view.setFloat32(i * 4, data[i]!, true);
  }
}

function readLittleEndian(bytes: Uint8Array, position: number, out: TypedArray): void {
  if (HOST_IS_LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(bytes.subarray(position, position + out.byteLength));
    return;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + position, out.byteLength);
  const width = out.BYTES_PER_ELEMENT;
  for (let i = 0; i < out.length; i++) {
    out[i] = width === 8 ? view.getFloat64(i * 8, true) : view.getFloat32(i * 4, true);
  }
}
