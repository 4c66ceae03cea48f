/**
 * Reading and checking a safetensors header (https://github.com/huggingface/safetensors, "Format"):
 *
 *   bytes [0, 8)        N, an unsigned little-endian 64-bit integer: the header's length
 *   bytes [8, 8 + N)    the header: UTF-8 JSON that begins with `{` and may end in spaces (0x20)
 *   bytes [8 + N, end)  the data buffer: every tensor's raw little-endian, row-major values
 *
 * The header maps each tensor name to `{ dtype, shape, data_offsets: [begin, end] }`, with
 * offsets relative to the start of the data buffer, not of the file; the optional key
 * `__metadata__` holds a string → string map. The tensors must cover the data buffer exactly,
 * with neither overlaps nor holes. Everything here is checked before a single value is read,
 * and every failure is a CheckpointError that says what was expected and what was found.
 */
import { CheckpointError, formatShape } from '../errors.js';

/** The element types gradguard reads and writes, by their safetensors names. */
export type SafetensorsDType = 'F32' | 'F64';

/** Bytes per element of each supported dtype. */
export const BYTES_PER_ELEMENT: Readonly<Record<SafetensorsDType, number>> = { F32: 4, F64: 8 };

/** The reserved header key for the string → string metadata map. */
export const METADATA_KEY = '__metadata__';

/** The reference implementation's limit on the header, against denial-of-service files. */
export const MAX_HEADER_LENGTH = 100_000_000;

/** One tensor's entry in the header, checked, with offsets relative to the data buffer. */
export interface HeaderEntry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  begin: number;
  end: number;
}

/** A checked header: entries sorted by offset, and where the data buffer starts in the file. */
export interface SafetensorsHeader {
  entries: HeaderEntry[];
  metadata: Record<string, string>;
  dataStart: number;
}

/**
 * Parses and checks the header of a whole safetensors file held in `bytes`: the length field,
 * the JSON, every entry's dtype, shape and offsets, and the exact coverage of the data buffer.
 * `op` names the public function in error messages.
 */
export function readHeader(bytes: Uint8Array, op: string): SafetensorsHeader {
  const headerLength = readHeaderLength(bytes, op);
  const json = parseHeaderJson(bytes.subarray(8, 8 + headerLength), op);
  const metadata = readMetadata(json[METADATA_KEY], op);
  const entries: HeaderEntry[] = [];
  for (const [name, value] of Object.entries(json)) {
    if (name !== METADATA_KEY) entries.push(readEntry(name, value, op));
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  const dataStart = 8 + headerLength;
  checkCoverage(entries, bytes.length - dataStart, op);
  return { entries, metadata, dataStart };
}

function readHeaderLength(bytes: Uint8Array, op: string): number {
  if (bytes.length < 8) {
    throw new CheckpointError(op, `a safetensors file starts with an 8-byte header length, got a file of ${bytes.length} bytes`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
  const length = view.getBigUint64(0, true);
  if (length > BigInt(MAX_HEADER_LENGTH)) {
    throw new CheckpointError(op, `header length must be at most ${MAX_HEADER_LENGTH} bytes, got ${length}`);
  }
  const available = bytes.length - 8;
  if (length > BigInt(available)) {
    throw new CheckpointError(
      op,
      `header length must fit in the ${available} bytes after the length field, got ${length} (truncated file?)`,
    );
  }
  return Number(length);
}

function parseHeaderJson(headerBytes: Uint8Array, op: string): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw new CheckpointError(op, 'header must be UTF-8 text, got an invalid byte sequence');
  }
  if (!text.startsWith('{')) {
    throw new CheckpointError(op, `header must begin with '{', got ${JSON.stringify(text.slice(0, 16))}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CheckpointError(op, `header must be valid JSON, got a parse error (${(error as Error).message})`);
  }
  if (!isPlainObject(json)) {
    throw new CheckpointError(op, `header must be a JSON object, got ${describeJson(json)}`);
  }
  return json;
}

function readMetadata(value: unknown, op: string): Record<string, string> {
  if (value === undefined) return {};
  if (!isPlainObject(value)) {
    throw new CheckpointError(op, `${METADATA_KEY} must be an object of strings, got ${describeJson(value)}`);
  }
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') {
      throw new CheckpointError(op, `${METADATA_KEY} values must be strings, got ${describeJson(entry)} for '${key}'`);
    }
  }
  return Object.fromEntries(Object.entries(value as Record<string, string>));
}

function readEntry(name: string, value: unknown, op: string): HeaderEntry {
  const where = `tensor '${name}'`;
  if (!isPlainObject(value)) {
    throw new CheckpointError(op, `${where} must be described by { dtype, shape, data_offsets }, got ${describeJson(value)}`);
  }
  const { dtype, shape, data_offsets: offsets, ...extra } = value;
  const unknownKeys = Object.keys(extra);
  if (unknownKeys.length > 0) {
    throw new CheckpointError(op, `${where} must have only dtype, shape and data_offsets, got also ${unknownKeys.join(', ')}`);
  }
  if (dtype !== 'F32' && dtype !== 'F64') {
    throw new CheckpointError(op, `${where}: dtype must be 'F32' or 'F64', got ${describeJson(dtype)}`);
  }
  if (!Array.isArray(shape) || !shape.every(isByteCount)) {
    throw new CheckpointError(op, `${where}: shape must be an array of non-negative integers, got ${describeJson(shape)}`);
  }
  if (!isOffsetPair(offsets)) {
    throw new CheckpointError(op, `${where}: data_offsets must be [begin, end] with 0 <= begin <= end, got ${describeJson(offsets)}`);
  }
  const [begin, end] = offsets;
  const dims = shape as number[];
  const needed = dims.reduce((product, dim) => product * dim, BYTES_PER_ELEMENT[dtype]);
  if (!Number.isSafeInteger(needed) || end - begin !== needed) {
    throw new CheckpointError(
      op,
      `${where}: data_offsets [${begin},${end}] span ${end - begin} bytes but ${dtype} shape ${formatShape(dims)} needs ${needed}`,
    );
  }
  return { name, dtype, shape: dims, begin, end };
}

/** Entries sorted by `begin` must tile [0, bufferLength) exactly: no overlap, no hole, nothing past the end. */
function checkCoverage(entries: readonly HeaderEntry[], bufferLength: number, op: string): void {
  const outside = entries.find((entry) => entry.end > bufferLength);
  if (outside !== undefined) {
    throw new CheckpointError(
      op,
      `tensor '${outside.name}': data_offsets must lie inside the ${bufferLength}-byte data buffer, got [${outside.begin},${outside.end}] (truncated file?)`,
    );
  }
  let covered = 0;
  let previous: HeaderEntry | undefined;
  for (const entry of entries) {
    if (entry.begin < covered && previous !== undefined) {
      throw new CheckpointError(
        op,
        `tensors must not overlap, got '${entry.name}' at [${entry.begin},${entry.end}] overlapping '${previous.name}' at [${previous.begin},${previous.end}]`,
      );
    }
    if (entry.begin > covered) {
      throw new CheckpointError(op, `the data buffer must have no holes, got bytes [${covered},${entry.begin}) that belong to no tensor`);
    }
    covered = entry.end;
    previous = entry;
  }
  if (covered !== bufferLength) {
    throw new CheckpointError(
      op,
      `the tensors must cover the ${bufferLength}-byte data buffer exactly, got ${bufferLength - covered} trailing bytes that belong to no tensor`,
    );
  }
}

function isOffsetPair(value: unknown): value is [number, number] {
  return Array.isArray(value) && value.length === 2 && isByteCount(value[0]) && isByteCount(value[1]) && value[0] <= value[1];
}

function isByteCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeJson(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return `array ${truncate(JSON.stringify(value))}`;
  return truncate(JSON.stringify(value));
}

function truncate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
