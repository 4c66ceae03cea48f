/*
 * Shared generators and the one property of the bad-input fuzz suites: every public call either
 * succeeds with a result that passes a meaningful check, or throws a GradguardError whose message
 * names the function and says what it got. Never a plain TypeError/RangeError, never a hang.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { GradguardError, Tensor, tensor, type DType } from '../src/index.js';

/** One seed for every property, so a failure is reproducible. */
export const SEED = 20261129;

/** Slowest a single call may be (a huge request must fail fast, not start allocating). */
const CALL_BUDGET_MS = 1500;

/** Numbers that are wrong for sizes, rates and counts in one way or another. */
export const oddNumber = fc.constantFrom(NaN, Infinity, -Infinity, -1, -0.5, 0, -0, 0.5, 1.5, 2 ** 31, 2 ** 53, 1e300, -1e300);

/** Values of every wrong kind: strings, null, undefined, booleans, bigints, objects, arrays, functions, typed arrays. */
export const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 4 }),
  fc.constantFrom<unknown>(null, undefined, true, false, {}, [], [1, 2], () => 1, new Int32Array(2), new Map()),
  fc.bigInt({ min: -3n, max: 3n }),
  fc.record({ a: fc.integer({ min: -2, max: 2 }) }).map((o) => ({ ...o })),
  oddNumber,
);

/** A number in a sensible range, an odd number, or junk. */
export function numberOr(valid: fc.Arbitrary<number>): fc.Arbitrary<unknown> {
  return fc.oneof({ arbitrary: valid, weight: 3 }, { arbitrary: oddNumber, weight: 2 }, { arbitrary: junk, weight: 1 });
}

/** A count argument: a small positive integer, an odd number (huge ones included) or junk. */
export const countArg = fc.oneof(
  { arbitrary: fc.integer({ min: 1, max: 5 }), weight: 4 },
  { arbitrary: fc.constantFrom(100_000, 2 ** 31, 2 ** 40), weight: 1 },
  { arbitrary: oddNumber, weight: 1 },
  { arbitrary: junk, weight: 1 },
);

/** A dtype option: the two real ones, or anything else. */
export const dtypeArg: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constantFrom<unknown>('float32', 'float64', undefined), weight: 4 },
  { arbitrary: fc.constantFrom<unknown>('int8', 'float16', 'Float32', 'bool', 32), weight: 1 },
  { arbitrary: junk, weight: 1 },
);

/** Shapes whose element count is above 2³¹ − 1 (each must be refused before any allocation). */
export const hugeShapes: readonly number[][] = [
  [1e6, 1e6], [2 ** 31], [65536, 65536], [2 ** 16, 2 ** 16, 2], [1e5, 1e5], [2 ** 53], [3, 2 ** 30], [1e300, 1e300],
];

const smallShape = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 });

/** A shape argument: valid and small (empty dims included), malformed in one place, huge, or not an array. */
export const shapeArg: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: smallShape, weight: 5 },
  {
    arbitrary: fc
      .tuple(fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }), fc.nat(), fc.oneof(oddNumber, junk))
      .map(([dims, at, bad]) => dims.map((d, i): unknown => (i === at % dims.length ? bad : d))),
    weight: 2,
  },
  { arbitrary: fc.constantFrom(...hugeShapes), weight: 1 },
  { arbitrary: junk, weight: 1 },
);

/** A small valid tensor of the given shape: finite values in [-3, 3], float32 or float64. */
export function tensorOf(shape: fc.Arbitrary<number[]>, finiteOnly = false): fc.Arbitrary<Tensor> {
  return fc
    .tuple(shape, fc.constantFrom<DType>('float32', 'float64'), fc.integer({ min: 0, max: 2 ** 30 }), fc.boolean(), fc.boolean())
    .map(([dims, dtype, seed, requiresGrad, withNaN]) => {
      const size = dims.reduce((a, b) => a * b, 1);
      const values = Float64Array.from({ length: size }, (_, i) => (((seed + i * 7919) % 601) / 100) - 3);
      if (withNaN && !finiteOnly && size > 0 && seed % 5 === 0) values[seed % size] = NaN;
      return tensor(values, { shape: dims, dtype, requiresGrad });
    });
}

/** Any small valid tensor (0-d, empty and NaN-holding ones included). */
export const anyTensor = tensorOf(smallShape);

/** A finite 2-D tensor with the given row and column ranges. */
export function matrix(rows: [number, number], cols: [number, number], finiteOnly = true): fc.Arbitrary<Tensor> {
  const shape = fc.tuple(fc.integer({ min: rows[0], max: rows[1] }), fc.integer({ min: cols[0], max: cols[1] }));
  return tensorOf(shape.map(([r, c]) => [r, c]), finiteOnly);
}

/** A tensor argument: usually a tensor, sometimes a number or junk. */
export const tensorArg: fc.Arbitrary<unknown> = fc.oneof({ arbitrary: anyTensor, weight: 4 }, { arbitrary: junk, weight: 1 });

/** An options argument: an object built from `fields`, or not an object at all. */
export function optionsArg(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
  return fc.oneof(
    { arbitrary: fc.record(fields, { requiredKeys: [] }).map((o) => ({ ...o })), weight: 6 },
    { arbitrary: fc.constantFrom<unknown>(undefined, null, 'float64', 3, true), weight: 1 },
  );
}

/** True when every element is finite. */
export function allFinite(t: Tensor): boolean {
  return t.data.every((v) => Number.isFinite(v));
}

/** One suite's bookkeeping: cases run and functions driven, printed and checked at the end. */
export class Tally {
  cases = 0;
  readonly functions = new Set<string>();
  private configured = 0;

  /** Runs `property` for `runs` cases under `name` (fixed seed, no shrinking noise in the count). */
  run<T>(name: string, arbitrary: fc.Arbitrary<T>, body: (value: T) => void, runs: number): void {
    this.functions.add(name);
    this.configured += runs;
    fc.assert(
      fc.property(arbitrary, (value) => {
        this.cases++;
        body(value);
      }),
      { seed: SEED, numRuns: runs, endOnFailure: true },
    );
  }

  /** The line the suite prints, e.g. `fuzz: 6,000 cases across 40 functions`. */
  summary(label: string): string {
    return `fuzz (${label}): ${this.cases.toLocaleString('en-US')} cases across ${this.functions.size} functions`;
  }

  /** The number of cases the suite asked for. */
  get expected(): number {
    return this.configured;
  }
}

/**
 * The property itself: `call()` either returns a value that passes `check`, or throws a
 * GradguardError whose `op` is one of `ops` and whose message says what it got (the word "got",
 * or one of the arguments: a tensor's shape, a number, a string). The call must also return or
 * throw within the time budget.
 */
export function expectTypedOrValid<T>(
  name: string, ops: readonly string[], args: readonly unknown[], call: () => T, check: (value: T) => void = () => {},
): void {
  const started = performance.now();
  let value: T;
  try {
    value = call();
  } catch (error) {
    expectUsefulError(name, ops, args, error);
    return;
  } finally {
    const elapsed = performance.now() - started;
    if (elapsed > CALL_BUDGET_MS) throw new Error(`${name}: took ${elapsed.toFixed(0)} ms`);
  }
  check(value);
}

/** A typed error that names the function and says what it got. */
export function expectUsefulError(name: string, ops: readonly string[], args: readonly unknown[], error: unknown): void {
  if (!(error instanceof GradguardError)) {
    const kind = error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error);
    throw new Error(`${name}: threw a plain ${kind}, not a GradguardError`, { cause: error });
  }
  if (!ops.includes(error.op)) throw new Error(`${name}: the error names '${error.op}', expected one of ${ops.join(', ')}: ${error.message}`);
  expect(error.message.startsWith(`${error.op}: `)).toBe(true);
  const said = /\bgot\b/.test(error.message) || spellings(args).some((text) => error.message.includes(text));
  if (!said) throw new Error(`${name}: the message says neither what it got nor any argument: ${error.message}`);
}

/** How a message may quote the arguments: shapes as [2,3], numbers, strings, option values. */
function spellings(args: readonly unknown[], depth = 0): string[] {
  const out: string[] = [];
  for (const arg of args) {
    if (arg instanceof Tensor) out.push(`[${arg.shape.join(',')}]`);
    else if (typeof arg === 'number' || typeof arg === 'bigint' || typeof arg === 'boolean') out.push(String(arg));
    else if (typeof arg === 'string' && arg.length > 0) out.push(arg);
    else if (Array.isArray(arg) && depth < 2) out.push(`[${arg.map(String).join(',')}]`, ...spellings(arg, depth + 1));
    else if (typeof arg === 'object' && arg !== null && depth < 2) out.push(...spellings(Object.values(arg), depth + 1));
  }
  return out;
}
