import { ArgumentError, describeValue } from '../errors.js';
import type { TypedArray } from '../tensor/dtype.js';
import type { BufferStats } from '../tensor/kernels/reduce.js';
import type { Shape } from '../tensor/shape.js';
import type { OpName, OpSpec } from './ops/spec.js';
import type { Tensor } from './tensor.js';

/**
 * A node of the autograd graph: the record an op leaves on its output so that backward can
 * run its vector-Jacobian product later. Nodes are plain data, so a graph can be listed,
 * printed and exported.
 */
export interface Node<P extends OpName = OpName> {
  /** The op that produced the output, such as `'matmul'`. */
  readonly op: P;
  /** The op's inputs, in argument order (the edges of the graph). */
  readonly inputs: readonly Tensor[];
  /** The op's non-tensor arguments (axis, exponent, …). */
  readonly attrs: OpSpec[P]['attrs'];
  /** What forward kept for the VJP; `null` once a backward pass has freed it. */
  saved: OpSpec[P]['saved'] | null;
  /** The forward-time version of each tensor the op saved, in the order of its `saves` (see `Tensor.version`). */
  readonly savedVersions: readonly number[];
  /** Shape of the op's output. */
  readonly outputShape: Shape;
  /** Dotted path of the innermost module running when the op was created (`'layers.3'`). */
  readonly module: string | undefined;
  /** Stack at creation, recorded in anomaly mode only. */
  readonly creationStack: string | undefined;
  /** Set when a backward pass without `retainGraph` has run through this node. */
  freed: boolean;
}

/** A gradient buffer and its shape, as VJPs return them. */
export interface Gradient {
  readonly data: TypedArray;
  readonly shape: Shape;
  /** Σx², max |x| of `data`, when the kernel that wrote it measured them on the way (see OpDef.vjp). */
  readonly stats?: BufferStats;
}

/** A VJP's gradient, with the statistics its kernel measured when it did (see OpDef.vjp). */
export function gradientWithStats(data: TypedArray, shape: Shape, stats: BufferStats | undefined): Gradient {
  return stats === undefined ? { data, shape } : { data, shape, stats };
}

// ---- Global modes: gradient recording, anomaly detection, module scope ----

let gradEnabled = true;
let anomalyEnabled = false;
let scope: string | undefined;

/**
 * True unless inside `noGrad`.
 * @example
 * noGrad(() => isGradEnabled()); // false
 */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/**
 * Runs `fn` without recording a graph and returns its result (PyTorch's `torch.no_grad()`).
 * @example
 * const y = noGrad(() => w.mul(2)); // y.requiresGrad === false
 */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/**
 * Runs `fn` with graph recording on, even inside `noGrad`.
 * @example
 * noGrad(() => enableGrad(() => w.mul(2))).requiresGrad; // true
 */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}

function withGradMode<T>(enabled: boolean, fn: () => T): T {
  if (typeof fn !== 'function') throw new ArgumentError(enabled ? 'enableGrad' : 'noGrad', `fn must be a function, got ${describeValue(fn)}`);
  const previous = gradEnabled;
  gradEnabled = enabled;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/**
 * Switches anomaly mode: every op checks its output and records its creation stack.
 * @example
 * setDetectAnomaly(true);
 * tensor([0]).log(); // throws NonFiniteError naming 'log' and the line that called it
 * setDetectAnomaly(false);
 */
export function setDetectAnomaly(on: boolean): void {
  anomalyEnabled = on;
}

/**
 * True while anomaly mode is on (see `setDetectAnomaly`).
 * @example
 * isAnomalyEnabled(); // false
 */
export function isAnomalyEnabled(): boolean {
  return anomalyEnabled;
}

/**
 * Where a module path is, in words for an error message: `"in module 'layers.3'"`,
 * `"in the root module"` for `''`, `"outside any module"` for `undefined`.
 * @example
 * describeModule('layers.3'); // "in module 'layers.3'"
 */
export function describeModule(module: string | undefined): string {
  if (module === undefined) return 'outside any module';
  return module === '' ? 'in the root module' : `in module '${module}'`;
}

/**
 * The dotted module path ops are tagged with right now (`undefined` outside every module).
 * @example
 * withScope('layers', () => withScope('3', () => currentScope())); // 'layers.3'
 */
export function currentScope(): string | undefined {
  return scope;
}

/**
 * Runs `fn` with ops tagged as belonging to `name` inside the current scope, so that `'3'`
 * inside `'layers'` becomes `'layers.3'`. Modules call this around their forward; the path
 * string is built once per call, and each node keeps a reference to it.
 * @example
 * const y = withScope('encoder', () => x.relu());
 * y.node?.module; // 'encoder'
 */
export function withScope<T>(name: string, fn: () => T): T {
  const previous = scope;
  scope = previous === undefined || previous === '' ? name : name === '' ? previous : `${previous}.${name}`;
  try {
    return fn();
  } finally {
    scope = previous;
  }
}

/**
 * Marks `output` as the output of the module at `path` whose inputs were `inputs`, so that
 * backward can compare the gradient arriving at a module with the one leaving it.
 */
export interface ScopeBoundary {
  readonly module: string;
  readonly inputs: readonly Tensor[];
}

/**
 * Runs a module's forward: ops inside are tagged with the module's path (see `withScope`),
 * and when the result is a recorded tensor it is marked as the module's output, with the
 * tensors it received as inputs, so that guards can measure the gradient across the module.
 * @example
 * const y = runInScope('block', [x], () => x.mul(2).relu());
 * y.boundaries?.[0]?.module; // 'block'
 */
export function runInScope<T>(name: string, inputs: readonly unknown[], forward: () => T): T {
  return withScope(name, () => {
    const result = forward();
    if (isGradEnabled() && isRecordedTensor(result)) {
      const tensorInputs = inputs.filter(isTensorLike);
      (result.boundaries ??= []).push({ module: scope ?? '', inputs: tensorInputs });
    }
    return result;
  });
}

// Duck-typed so this file needs no runtime import of the Tensor class.
function isTensorLike(value: unknown): value is Tensor {
  return typeof value === 'object' && value !== null && 'shape' in value && 'node' in value && 'requiresGrad' in value;
}

function isRecordedTensor(value: unknown): value is Tensor {
  return isTensorLike(value) && value.node !== null;
}
