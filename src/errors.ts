/**
 * One error hierarchy for the whole library. Every error says which op (or function) failed,
 * what it expected and what it got, and carries the same facts as fields for programs.
 * Messages that start with `internal:` point at a bug in gradguard, not in the caller's code.
 */

/** Base class of every error gradguard throws on purpose. */
export class GradguardError extends Error {
  /** The op or function that failed, such as `'matmul'` or `'loadStateDict'`. */
  readonly op: string;
  constructor(op: string, message: string) {
    super(`${op}: ${message}`);
    this.name = new.target.name;
    this.op = op;
  }
}

/** Shapes that do not fit together, or a shape that is not a shape. */
export class ShapeError extends GradguardError {
  /** Every shape involved, in argument order. */
  readonly shapes: ReadonlyArray<readonly number[]>;
  constructor(op: string, message: string, shapes: ReadonlyArray<readonly number[]> = []) {
    super(op, message);
    this.shapes = shapes;
  }
}

/** An unknown dtype, or one an op cannot take. */
export class DTypeError extends GradguardError {}

/** A misuse of the autograd engine: non-scalar backward without a gradient, a freed graph, a bad hook result. */
export class GradientError extends GradguardError {}

/** Where a NaN or ±Inf was found: in an op's output (forward) or in a vector-Jacobian product (backward). */
export type Phase = 'forward' | 'backward';

/** A NaN or ±Inf was born where finite values were expected. */
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

/** A checkpoint file that cannot be read or written, or that does not fit the model. */
export class CheckpointError extends GradguardError {}

/** Formats a shape the way every message prints it: `[2,3]`, `[]` for a scalar. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/** An argument of the right kind but a wrong value or type (a negative learning rate, a string for a number). */
export class ArgumentError extends GradguardError {}
