/**
 * One error hierarchy for the whole library. Every error says which op (or function) failed,
 * what it expected and what it got, and carries the same facts as fields for programs.
 * Messages that start with `internal:` point at a bug in gradguard, not in the caller's code.
 */

/**
 * Base class of every error gradguard throws on purpose.
 * @example
 * try { model.forward(x); } catch (error) { if (error instanceof GradguardError) console.error(error.op, error.message); }
 */
export class GradguardError extends Error {
  /** The op or function that failed, such as `'matmul'` or `'loadStateDict'`. */
  readonly op: string;
  constructor(op: string, message: string) {
    super(`${op}: ${message}`);
    this.name = new.target.name;
    this.op = op;
  }
}

/**
 * Shapes that do not fit together, or a shape that is not a shape.
 * @example
 * try { zeros([2, 3]).matmul(zeros([2, 3])); } catch (error) { (error as ShapeError).shapes; } // [[2,3], [2,3]]
 */
export class ShapeError extends GradguardError {
  /** Every shape involved, in argument order. */
  readonly shapes: ReadonlyArray<readonly number[]>;
  constructor(op: string, message: string, shapes: ReadonlyArray<readonly number[]> = []) {
    super(op, message);
    this.shapes = shapes;
  }
}

/**
 * An unknown dtype, or one an op cannot take.
 * @example
 * zeros([2], { dtype: 'int8' as DType }); // throws DTypeError: zeros: dtype must be 'float32' or 'float64', got "int8"
 */
export class DTypeError extends GradguardError {}

/**
 * A misuse of the autograd engine: non-scalar backward without a gradient, a freed graph, a bad hook result.
 * @example
 * tensor([1, 2], { requiresGrad: true }).mul(2).backward(); // throws GradientError: backward: a gradient can be created implicitly only for one-element outputs, …
 */
export class GradientError extends GradguardError {}

/** Where a NaN or ±Inf was found: in an op's output (forward) or in a vector-Jacobian product (backward). */
export type Phase = 'forward' | 'backward';

/**
 * A NaN or ±Inf was born where finite values were expected.
 * @example
 * try { loss.backward({ guards: [guards.nanTrap()] }); } catch (error) { if (error instanceof NonFiniteError) console.error(error.phase, error.module); }
 */
export class NonFiniteError extends GradguardError {
  readonly phase: Phase;
  /** Dotted path of the innermost module that was running (`'layers.3'`), `undefined` outside every module. */
  readonly module: string | undefined;
  /** Stack captured when the offending op was created (anomaly mode only). */
  readonly creationStack: string | undefined;
  constructor(
    op: string,
    phase: Phase,
    module: string | undefined,
    message: string,
    creationStack?: string,
  ) {
    super(op, message);
    this.phase = phase;
    this.module = module;
    this.creationStack = creationStack;
  }
}

/**
 * A checkpoint file that cannot be read or written, or that does not fit the model.
 * @example
 * model.loadStateDict({}); // throws CheckpointError: loadStateDict: the state does not fit the module: missing keys …
 */
export class CheckpointError extends GradguardError {}

/** Formats a shape the way every message prints it: `[2,3]`, `[]` for a scalar. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/**
 * An argument of the right kind but a wrong value or type (a negative learning rate, a string for a number).
 * @example
 * new optim.SGD(model.parameters(), { lr: -1 }); // throws ArgumentError: SGD: lr must be a number ≥ 0, got -1
 */
export class ArgumentError extends GradguardError {}

/**
 * Returns `value` when it is a positive integer, else throws an ArgumentError
 * `op: name must be a positive integer, got value`: the one check behind every count, size and period argument.
 * @example
 * const batchSize = positiveInteger('DataLoader', 'batchSize', options.batchSize ?? 1);
 */
export function positiveInteger(op: string, name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new ArgumentError(op, `${name} must be a positive integer, got ${String(value)}`);
  return value;
}

/**
 * Returns `value` when it is an integer ≥ 0, else throws an ArgumentError `op: name must be a non-negative integer, got value`.
 * @example
 * const warmup = nonNegativeInteger('spikeDetector', 'warmup', options.warmup ?? 0);
 */
export function nonNegativeInteger(op: string, name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) throw new ArgumentError(op, `${name} must be a non-negative integer, got ${String(value)}`);
  return value;
}

/**
 * Returns `options` when it is an options object (or `{}` for undefined), else throws an
 * ArgumentError `op: options must be an object, got …`: a string, number or null where an
 * options object belongs is a slip (`zeros([2], 'float64')`) that would otherwise be ignored.
 * @example
 * const { dtype = 'float32' } = checkOptions('zeros', options);
 */
export function checkOptions<T extends object>(op: string, options: T | undefined): T | Record<string, never> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ArgumentError(op, `options must be an object, got ${describeValue(options)}`);
  }
  return options;
}

/**
 * Returns `value` when it is a boolean, else throws an ArgumentError `op: name must be a boolean, got …`
 * (a string such as `'false'` would otherwise count as true).
 * @example
 * const nesterov = checkBoolean('SGD', 'nesterov', options.nesterov ?? false);
 */
export function checkBoolean(op: string, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new ArgumentError(op, `${name} must be a boolean, got ${describeValue(value)}`);
  return value;
}

/**
 * A count and its noun, singular or plural as the count asks: `countOf(1, 'block')` is `'1 block'`.
 * @example
 * countOf(3, 'row'); // '3 rows'
 * countOf(1, 'index', 'indices'); // '1 index'
 */
export function countOf(count: number, singular: string, plural = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : plural}`;
}

/**
 * How a message prints a value the caller passed, whatever it is: strings quoted, `3n` for a
 * bigint, short arrays in brackets, the class name for other objects. Never throws (unlike
 * `JSON.stringify` on a bigint or `String` on an object without a prototype).
 * @example
 * describeValue('int8'); // '"int8"'
 * describeValue(3n);     // '3n'
 * describeValue([2, NaN]); // '[2,NaN]'
 */
export function describeValue(value: unknown, depth = 0): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'bigint':
      return `${value}n`;
    case 'symbol':
    case 'function':
      return `a ${typeof value}`;
    case 'object':
      if (value === null) return 'null';
      if (Array.isArray(value) && value.length <= 8 && depth === 0) return `[${value.map((item) => describeValue(item, 1)).join(',')}]`;
      if (Array.isArray(value)) return `an array of length ${value.length}`;
      return describeObject(value);
    default:
      return String(value);
  }
}

/** 'an object' for plain objects, else the class: 'a Map', 'a Float32Array'. */
function describeObject(value: object): string {
  const constructor: unknown = value.constructor;
  const name = typeof constructor === 'function' ? constructor.name : '';
  return name === '' || name === 'Object' ? 'an object' : `a ${name}`;
}
