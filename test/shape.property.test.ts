import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Generator, ShapeError, tensor, type Tensor } from '../src/index.js';
import { broadcastShapes } from '../src/tensor/shape.js';
import {
  awayFromZero, expectAllClose, nanMax, ravel, refBroadcastShape, refMap, refReduce, refZip, sizeOfShape, uniform, unravel, type Ref,
} from './helpers.js';

const RUNS = { seed: 20260501, numRuns: 200 };

const dim = fc.integer({ min: 0, max: 4 });
const shape = fc.array(dim, { maxLength: 4 });

/** An operand that broadcasts to `out`: some leading dims dropped, some dims replaced by 1. */
function operandOf(out: number[]): fc.Arbitrary<number[]> {
  return fc
    .tuple(fc.integer({ min: 0, max: out.length }), fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }))
    .map(([drop, ones]) => out.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)));
}

/** Two shapes that broadcast together (the result shape is drawn first; empty dims included). */
const compatiblePair = fc
  .array(dim, { maxLength: 4 })
  .chain((out) => fc.tuple(operandOf(out), operandOf(out)));

function randomTensor(s: number[], seed: number, sampler = uniform(-2, 2)): Tensor {
  const gen = new Generator(seed);
  return tensor(Float64Array.from(sampler(sizeOfShape(s), gen)), { shape: s, dtype: 'float64' });
}

const ref = (t: Tensor): Ref => ({ data: Float64Array.from(t.data), shape: t.shape.slice() });

/** Sums `g` (of a broadcast shape) down to `target` by coordinates: the naive inverse of broadcasting. */
function refSumTo(g: Ref, target: number[]): Ref {
  const data = new Float64Array(sizeOfShape(target));
  const offset = g.shape.length - target.length;
  for (let i = 0; i < g.data.length; i++) {
    const coords = unravel(i, g.shape).slice(offset).map((c, axis) => (target[axis] === 1 ? 0 : c));
    const j = ravel(coords, target);
    data[j] = data[j]! + g.data[i]!;
  }
  return { data, shape: target };
}

describe('broadcasting shape rule', () => {
  it('agrees with the naive rule on arbitrary pairs, throwing a ShapeError exactly when the naive rule fails', () => {
    fc.assert(
      fc.property(shape, shape, (a, b) => {
        const expected = refBroadcastShape(a, b);
        if (expected === null) {
          expect(() => broadcastShapes('add', a, b)).toThrow(ShapeError);
        } else {
          expect(broadcastShapes('add', a, b)).toEqual(expected);
        }
      }),
      RUNS,
    );
  });

  it('is symmetric', () => {
    fc.assert(
      fc.property(compatiblePair, ([a, b]) => {
        expect(broadcastShapes('mul', a, b)).toEqual(broadcastShapes('mul', b, a));
      }),
      RUNS,
    );
  });
});

describe('elementwise binary ops against a naive reference', () => {
  const ops = [
    { name: 'add', f: (x: number, y: number) => x + y, call: (a: Tensor, b: Tensor) => a.add(b) },
    { name: 'sub', f: (x: number, y: number) => x - y, call: (a: Tensor, b: Tensor) => a.sub(b) },
    { name: 'mul', f: (x: number, y: number) => x * y, call: (a: Tensor, b: Tensor) => a.mul(b) },
    { name: 'div', f: (x: number, y: number) => x / y, call: (a: Tensor, b: Tensor) => a.div(b) },
  ];

  for (const op of ops) {
    it(`${op.name} equals the coordinate-by-coordinate loop, bit for bit, on broadcast pairs`, () => {
      fc.assert(
        fc.property(compatiblePair, fc.integer(), ([sa, sb], seed) => {
          const a = randomTensor(sa, seed);
          const b = randomTensor(sb, seed + 1, awayFromZero(0.5, 2));
          const out = op.call(a, b);
          const expected = refZip(ref(a), ref(b), op.f);
          expect(out.shape).toEqual(expected.shape);
          expect(Array.from(out.data)).toEqual(Array.from(expected.data));
        }),
        RUNS,
      );
    });
  }

  it('sends each broadcast operand the gradient summed over its repetitions', () => {
    fc.assert(
      fc.property(compatiblePair, fc.integer(), ([sa, sb], seed) => {
        const a = randomTensor(sa, seed);
        const b = randomTensor(sb, seed + 1);
        a.requiresGrad = true;
        b.requiresGrad = true;
        const out = a.mul(b);
        const upstream = randomTensor(out.shape.slice(), seed + 2);
        out.backward({ grad: upstream });
        // d(a·b)/da = upstream·b summed back to a's shape, and symmetrically for b
        expectAllClose(a.grad!, refSumTo(refZip(ref(upstream), ref(b), (g, y) => g * y), sa), { rtol: 1e-12, atol: 1e-12 });
        expectAllClose(b.grad!, refSumTo(refZip(ref(upstream), ref(a), (g, x) => g * x), sb), { rtol: 1e-12, atol: 1e-12 });
      }),
      RUNS,
    );
  });
});

describe('elementwise unary ops against a naive reference, special values included', () => {
  const value = fc.oneof(
    fc.double({ min: -50, max: 50, noNaN: true }),
    fc.constantFrom(NaN, Infinity, -Infinity, 0, -0, 1e-300, -1e-300, 709, -745),
  );
  const ops: Array<{ name: string; call: (t: Tensor) => Tensor; f: (v: number) => number }> = [
    { name: 'neg', call: (t) => t.neg(), f: (v) => -v },
    { name: 'exp', call: (t) => t.exp(), f: Math.exp },
    { name: 'log', call: (t) => t.log(), f: Math.log },
    { name: 'sqrt', call: (t) => t.sqrt(), f: Math.sqrt },
    { name: 'abs', call: (t) => t.abs(), f: Math.abs },
    { name: 'tanh', call: (t) => t.tanh(), f: Math.tanh },
    { name: 'relu', call: (t) => t.relu(), f: (v) => Math.max(v, 0) },
    { name: 'leakyRelu', call: (t) => t.leakyRelu(0.1), f: (v) => (Number.isNaN(v) ? NaN : v > 0 ? v : 0.1 * v) },
    { name: 'clamp', call: (t) => t.clamp(-1, 2), f: (v) => Math.min(Math.max(v, -1), 2) },
    { name: 'pow', call: (t) => t.pow(3), f: (v) => v ** 3 },
    { name: 'sigmoid', call: (t) => t.sigmoid(), f: (v) => 1 / (1 + Math.exp(-v)) },
  ];

  for (const op of ops) {
    it(`${op.name} matches the reference value by value, NaN and ±Inf included`, () => {
      fc.assert(
        fc.property(fc.array(value, { minLength: 1, maxLength: 12 }), (values) => {
          const out = op.call(tensor(values, { dtype: 'float64' }));
          expectAllClose(out, refMap({ data: Float64Array.from(values), shape: [values.length] }, op.f), { rtol: 1e-15, atol: 1e-300 });
        }),
        RUNS,
      );
    });
  }
});

describe('reductions against a naive reference', () => {
  const shapeAndAxis = fc
    .array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 })
    .chain((s) => fc.tuple(fc.constant(s), fc.integer({ min: -s.length, max: s.length - 1 }), fc.boolean()));

  it('sum along any axis equals the loop', () => {
    fc.assert(
      fc.property(shapeAndAxis, fc.integer(), ([s, axis, keepDim], seed) => {
        const x = randomTensor(s, seed);
        expectAllClose(x.sum(axis, keepDim), refReduce(ref(x), axis, keepDim, (p, q) => p + q), { rtol: 1e-12, atol: 1e-12 });
      }),
      RUNS,
    );
  });

  it('max along any axis equals the loop, with its gradient on the first maximum', () => {
    fc.assert(
      fc.property(shapeAndAxis, fc.integer(), ([s, axis, keepDim], seed) => {
        // Values on a coarse grid, so ties are common.
        const x = randomTensor(s, seed, (n, gen) => Array.from({ length: n }, () => gen.integer(3)));
        x.requiresGrad = true;
        const out = x.max(axis, keepDim);
        expectAllClose(out, refReduce(ref(x), axis, keepDim, nanMax), { rtol: 0 });
        out.sum().backward();
        // Row-major order meets the elements of one reduced slot in increasing index along the axis.
        const ax = axis < 0 ? axis + s.length : axis;
        const kept = s.map((d, k) => (k === ax ? 1 : d));
        const maxima = refReduce(ref(x), ax, true, nanMax);
        const expected = new Float64Array(x.size);
        const claimed = new Set<number>();
        for (let i = 0; i < x.size; i++) {
          const coords = unravel(i, s);
          coords[ax] = 0;
          const slot = ravel(coords, kept);
          if (!claimed.has(slot) && x.data[i] === maxima.data[slot]) {
            claimed.add(slot);
            expected[i] = 1;
          }
        }
        expect(Array.from(x.grad!.data)).toEqual(Array.from(expected));
      }),
      RUNS,
    );
  });
});
