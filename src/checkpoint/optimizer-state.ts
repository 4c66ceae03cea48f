/**
 * How an optimizer's `stateDict()` goes into a safetensors file, whose tensors must be flat and
 * whose metadata must be strings. The state is walked once: every Tensor becomes a tensor of
 * the file named by its path under `__optimizer__.` (so `state[0].buffers.expAvg` is
 * `__optimizer__.state.0.buffers.expAvg`), and is replaced in the remaining JSON by a reference
 * `{ "$tensor": name }`. Numbers JSON cannot hold (NaN, ±Infinity, -0) become
 * `{ "$number": "NaN" }`. The JSON skeleton goes into `__metadata__`; reading reverses both.
 */
import { Tensor } from '../autograd/tensor.js';
import { ArgumentError, CheckpointError } from '../errors.js';

/**
 * Prefix of the optimizer's tensors in a checkpoint; the model's tensors never start with it.
 * @example
 * Object.keys(fromSafetensors(bytes).tensors).filter((name) => name.startsWith(OPTIMIZER_TENSOR_PREFIX));
 */
export const OPTIMIZER_TENSOR_PREFIX = '__optimizer__.';

/** A JSON value as it is written to the header. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * Replaces every Tensor in `state` by a reference and collects it in `tensors` under its path.
 * @throws ArgumentError for values a checkpoint cannot hold (functions, Maps, class instances).
 */
export function flattenState(state: unknown, tensors: Record<string, Tensor>, op = 'saveCheckpoint', path = ''): JsonValue {
  const name = `${OPTIMIZER_TENSOR_PREFIX}${path}`;
  if (state instanceof Tensor) return collect(name, state, tensors, op);
  if (state instanceof Float32Array || state instanceof Float64Array) {
    throw new ArgumentError(op, `optimizer state at '${path}' must hold Tensors, not bare typed arrays`);
  }
  if (typeof state === 'number') return encodeNumber(state);
  if (state === null || typeof state === 'boolean' || typeof state === 'string') return state;
  if (Array.isArray(state)) return state.map((item: unknown, i) => flattenState(item ?? null, tensors, op, join(path, String(i))));
  if (isPlainObject(state)) {
    const out: { [key: string]: JsonValue } = {};
    for (const [key, value] of Object.entries(state)) {
      if (value !== undefined) out[key] = flattenState(value, tensors, op, join(path, key));
    }
    return out;
  }
  throw new ArgumentError(op, `optimizer state at '${path}' must be JSON-like data and Tensors, got ${describe(state)}`);
}

/**
 * Rebuilds the state from its JSON skeleton and the file's optimizer tensors.
 * @throws CheckpointError when a reference names a tensor the file lacks, or a tensor is never referenced.
 */
export function unflattenState(skeleton: unknown, tensors: Record<string, Tensor>, op: string): unknown {
  const used = new Set<string>();
  const state = rebuild(skeleton, tensors, used, op);
  const unused = Object.keys(tensors).filter((name) => !used.has(name));
  if (unused.length > 0) {
    throw new CheckpointError(op, `every optimizer tensor must be referenced by the optimizer state, got unreferenced ${quoteList(unused)}`);
  }
  return state;
}

/** A deep copy of a state: tensors cloned, everything else copied as plain data. */
export function cloneState(state: unknown): unknown {
  if (state instanceof Tensor) return state.clone();
  if (Array.isArray(state)) return state.map((item: unknown) => cloneState(item));
  if (isPlainObject(state)) {
    return Object.fromEntries(Object.entries(state).map(([key, value]) => [key, cloneState(value)]));
  }
  return state;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function collect(name: string, t: Tensor, tensors: Record<string, Tensor>, op: string): JsonValue {
  if (Object.hasOwn(tensors, name)) {
    throw new ArgumentError(op, `two optimizer state tensors would both be named '${name}'`);
  }
  tensors[name] = t;
  return { $tensor: name };
}

function rebuild(value: unknown, tensors: Record<string, Tensor>, used: Set<string>, op: string): unknown {
  if (Array.isArray(value)) return value.map((item: unknown) => rebuild(item, tensors, used, op));
  if (!isPlainObject(value)) return value;
  const keys = Object.keys(value);
  const only = keys.length === 1 ? keys[0] : undefined;
  if (only === '$tensor') return resolveTensor(value.$tensor, tensors, used, op);
  if (only === '$number') return decodeNumber(value.$number, op);
  return Object.fromEntries(keys.map((key) => [key, rebuild(value[key], tensors, used, op)]));
}

function resolveTensor(name: unknown, tensors: Record<string, Tensor>, used: Set<string>, op: string): Tensor {
  if (typeof name !== 'string' || !Object.hasOwn(tensors, name)) {
    throw new CheckpointError(op, `the optimizer state refers to tensor ${JSON.stringify(name)}, which the file must hold but does not`);
  }
  used.add(name);
  return tensors[name]!;
}

function encodeNumber(value: number): JsonValue {
  if (Number.isFinite(value) && !Object.is(value, -0)) return value;
  return { $number: Object.is(value, -0) ? '-0' : String(value) };
}

function decodeNumber(text: unknown, op: string): number {
  if (text === 'NaN') return NaN;
  if (text === 'Infinity') return Infinity;
  if (text === '-Infinity') return -Infinity;
  if (text === '-0') return -0;
  throw new CheckpointError(op, `a stored special number must be "NaN", "Infinity", "-Infinity" or "-0", got ${JSON.stringify(text)}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (typeof value === 'object' && value !== null) return `an instance of ${value.constructor?.name ?? 'an unknown class'}`;
  return typeof value;
}

/** `'a', 'b'` for messages. */
export function quoteList(names: readonly string[]): string {
  return names.map((name) => `'${name}'`).join(', ');
}
