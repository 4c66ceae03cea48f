/*
 * Shared test helpers: a NaN-aware allclose, value samplers, and `checkOp`, the one helper
 * every op test goes through (in the spirit of tinygrad's helper_test_op). The direct-loop
 * references live in reference.ts and are re-exported here.
 */
import { assert, expect } from 'vitest';
import { Generator, Tensor, gradcheck, tensor, type GradcheckOptions } from '../src/index.js';
import type { NestedArray } from '../src/index.js';
import { sizeOfShape, type Ref } from './reference.js';

export * from './reference.js';

// ---------------------------------------------------------------------------------------------
// allclose
// ---------------------------------------------------------------------------------------------

export interface Tolerance {
  rtol?: number;
  atol?: number;
}

/** Anything holding numbers: a tensor, a reference, nested arrays, a flat array or one number. */
export type Numeric = Tensor | Ref | NestedArray | ArrayLike<number>;

interface Flat {
  values: number[];
  shape: number[] | null;
}

function flatten(x: Numeric): Flat {
  if (x instanceof Tensor) return { values: Array.from(x.data), shape: x.shape.slice() };
  if (typeof x === 'number') return { values: [x], shape: [] };
  if (isRef(x)) return { values: Array.from(x.data), shape: x.shape.slice() };
  if (Array.isArray(x)) {
    const shape: number[] = [];
    let probe: NestedArray | undefined = x;
    while (Array.isArray(probe)) {
      shape.push(probe.length);
      probe = probe[0];
    }
    return { values: flattenNested(x), shape };
  }
  return { values: Array.from(x as ArrayLike<number>), shape: null };
}

function flattenNested(x: NestedArray): number[] {
  return typeof x === 'number' ? [x] : x.flatMap(flattenNested);
}

function isRef(x: unknown): x is Ref {
  return typeof x === 'object' && x !== null && 'data' in x && 'shape' in x && !(x instanceof Tensor);
}

/**
 * Asserts |actual − expected| ≤ atol + rtol·|expected| element by element (torch.allclose's
 * rule, defaults rtol 1e-5, atol 1e-8), with NaN equal to NaN and infinities equal only to
 * themselves. Shapes must agree when both sides have one.
 */
export function expectAllClose(actual: Numeric, expected: Numeric, options: Tolerance & { message?: string } = {}): void {
  const { rtol = 1e-5, atol = 1e-8, message = '' } = options;
  const a = flatten(actual);
  const e = flatten(expected);
  const prefix = message === '' ? '' : `${message}: `;
  if (a.shape !== null && e.shape !== null) {
    expect(a.shape, `${prefix}shape`).toEqual(e.shape);
  }
  expect(a.values.length, `${prefix}number of elements`).toBe(e.values.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < a.values.length; i++) {
    const x = a.values[i]!;
    const y = e.values[i]!;
    if (Number.isNaN(x) && Number.isNaN(y)) continue;
    if (x === y) continue;
    const excess = Math.abs(x - y) - (atol + rtol * Math.abs(y));
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    assert.fail(
      `${prefix}element ${worst} differs: actual ${a.values[worst]}, expected ${e.values[worst]} ` +
        `(rtol ${rtol}, atol ${atol}); actual [${preview(a.values)}], expected [${preview(e.values)}]`,
    );
  }
}

function preview(values: number[]): string {
  const shown = values.slice(0, 12).map((v) => String(v));
  return values.length > 12 ? `${shown.join(', ')}, … (${values.length} values)` : shown.join(', ');
}

// ---------------------------------------------------------------------------------------------
// Value samplers
// ---------------------------------------------------------------------------------------------

/** Draws the values of one input of `size` elements. */
export type Sampler = (size: number, gen: Generator) => number[];

export const uniform = (low: number, high: number): Sampler => (size, gen) =>
  Array.from({ length: size }, () => low + (high - low) * gen.uniform());

/** Uniform magnitudes in [low, high] with a random sign: keeps clear of the kink at 0. */
export const awayFromZero = (low: number, high: number): Sampler => (size, gen) =>
  Array.from({ length: size }, () => (gen.uniform() < 0.5 ? -1 : 1) * (low + (high - low) * gen.uniform()));

/** Values at least 0.2 apart in random order: no ties, so max has a clear winner within eps. */
export const distinct: Sampler = (size, gen) => {
  const order = gen.permutation(size);
  return Array.from(order, (rank) => (rank - size / 2) * 0.3 + 0.1 * gen.uniform());
};

/** Uniform in [low, high] except a margin around each kink. */
export const avoiding = (kinks: number[], margin: number, low = -2, high = 2): Sampler => (size, gen) =>
  Array.from({ length: size }, () => {
    for (;;) {
      const v = low + (high - low) * gen.uniform();
      if (kinks.every((k) => Math.abs(v - k) > margin)) return v;
    }
  });

// ---------------------------------------------------------------------------------------------
// checkOp
// ---------------------------------------------------------------------------------------------

export interface OpCheck {
  /** The op under test. */
  op: (...inputs: Tensor[]) => Tensor;
  /** The same maths as a direct loop over float64 values. */
  reference: (...inputs: Ref[]) => Ref;
  /** Cases to run: one list of input shapes each (include broadcast pairs, size-1 dims and []). */
  shapes: number[][][];
  /** How to draw each input's values (default uniform in [-2, 2]); one sampler for all or one per input. */
  values?: Sampler | Sampler[];
  /** Which inputs get gradients in the gradcheck (default: all). */
  differentiable?: boolean[];
  /** Forward tolerance in float32 against the reference run on the same float32 values. */
  float32?: Tolerance;
  /** Forward tolerance in float64. */
  float64?: Tolerance;
  gradcheck?: GradcheckOptions;
  /** Also put a NaN in each input and require the reference's NaN pattern (default true). */
  nan?: boolean;
  seed?: number;
}

/**
 * Checks one op the same way at every case:
 * 1. float64 forward against the direct-loop reference (shape and values);
 * 2. float32 forward against the reference run on the float32-rounded inputs;
 * 3. float64 `gradcheck` (central differences) of every differentiable input;
 * 4. float32 gradients agree with float64 ones, and each input's gradient is the same when it is
 *    the only input that requires one;
 * 5. NaN propagation: a NaN in any input gives NaN exactly where the reference has NaN.
 */
export function checkOp(check: OpCheck): void {
  const gen = new Generator(check.seed ?? 1234);
  for (const shapes of check.shapes) {
    const label = `shapes ${shapes.map((s) => `[${s.join(',')}]`).join(' and ')}`;
    const values = shapes.map((shape, i) => samplerFor(check, i)(sizeOfShape(shape), gen));
    checkForward(check, shapes, values, 'float64', label);
    checkForward(check, shapes, values.map((v) => v.map(Math.fround)), 'float32', label);
    const inputs = shapes.map((shape, i) =>
      tensor(Float64Array.from(values[i]!), { shape, requiresGrad: check.differentiable?.[i] ?? true }),
    );
    expect(gradcheck(check.op, inputs, check.gradcheck), `${label}: gradcheck`).toBe(true);
    checkGradients(check, shapes, values, label);
    if (check.nan ?? true) checkNaN(check, shapes, values, label);
  }
}

function samplerFor(check: OpCheck, index: number): Sampler {
  const values = check.values ?? uniform(-2, 2);
  return Array.isArray(values) ? values[index] ?? values[0]! : values;
}

function checkForward(check: OpCheck, shapes: number[][], values: number[][], dtype: 'float32' | 'float64', label: string): void {
  const inputs = shapes.map((shape, i) => tensor(Float64Array.from(values[i]!), { shape, dtype }));
  const expected = check.reference(...shapes.map((shape, i) => ({ data: Float64Array.from(values[i]!), shape })));
  const out = check.op(...inputs);
  expect(out.dtype, `${label}: dtype`).toBe(dtype);
  const tolerance = dtype === 'float64' ? { rtol: 1e-10, atol: 1e-12, ...check.float64 } : { rtol: 1e-5, atol: 1e-6, ...check.float32 };
  expectAllClose(out, expected, { ...tolerance, message: `${label}, ${dtype} forward` });
}

/** Input gradients of the op under a fixed, uneven upstream gradient; `only` limits requiresGrad to one input. */
function gradients(check: OpCheck, shapes: number[][], values: number[][], dtype: 'float32' | 'float64', only?: number): Array<Tensor | null> {
  const inputs = shapes.map((shape, i) =>
    tensor(Float64Array.from(values[i]!), { shape, dtype, requiresGrad: (only ?? i) === i && (check.differentiable?.[i] ?? true) }),
  );
  const out = check.op(...inputs);
  const upstream = Float64Array.from({ length: out.size }, (_, k) => 1 + (k % 3) / 2);
  out.backward({ grad: tensor(upstream, { shape: out.shape, dtype }) });
  return inputs.map((t) => t.grad);
}

function checkGradients(check: OpCheck, shapes: number[][], values: number[][], label: string): void {
  const full64 = gradients(check, shapes, values, 'float64');
  const full32 = gradients(check, shapes, values, 'float32');
  full64.forEach((g, i) => {
    if (g === null) return;
    expect(full32[i]!.dtype, `${label}: float32 gradient dtype`).toBe('float32');
    expectAllClose(full32[i]!, g, { rtol: 1e-4, atol: 1e-5, message: `${label}: float32 gradient of input ${i}` });
    if (shapes.length > 1) {
      const alone = gradients(check, shapes, values, 'float64', i)[i]!;
      expectAllClose(alone, g, { rtol: 1e-12, atol: 0, message: `${label}: gradient of input ${i} when it alone requires one` });
    }
  });
}

function checkNaN(check: OpCheck, shapes: number[][], values: number[][], label: string): void {
  shapes.forEach((shape, target) => {
    if (sizeOfShape(shape) === 0) return;
    const poisoned = values.map((v, i) => (i === target ? [NaN, ...v.slice(1)] : v));
    const expected = check.reference(...shapes.map((s, i) => ({ data: Float64Array.from(poisoned[i]!), shape: s })));
    const out = check.op(...shapes.map((s, i) => tensor(Float64Array.from(poisoned[i]!), { shape: s })));
    const nanAt = (xs: ArrayLike<number>): number[] => Array.from(xs).flatMap((v, i) => (Number.isNaN(v) ? [i] : []));
    expect(nanAt(out.data), `${label}: NaN in input ${target}`).toEqual(nanAt(expected.data));
  });
}

/** A seeded float64 tensor for tests that need one outside `checkOp`. */
export function seeded(shape: number[], sampler: Sampler = uniform(-2, 2), options: { seed?: number; requiresGrad?: boolean; dtype?: 'float32' | 'float64' } = {}): Tensor {
  const gen = new Generator(options.seed ?? 7);
  return tensor(Float64Array.from(sampler(sizeOfShape(shape), gen)), {
    shape,
    dtype: options.dtype ?? 'float64',
    requiresGrad: options.requiresGrad ?? false,
  });
}
