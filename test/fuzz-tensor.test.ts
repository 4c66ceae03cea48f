import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ShapeError, Tensor, arange, full, linear, manualSeed, noGrad, ones, rand, randn, softmaxCrossEntropy, tensor, zeros,
} from '../src/index.js';
import { broadcastShapes } from '../src/tensor/shape.js';
import {
  Tally, allFinite, anyTensor, dtypeArg, expectTypedOrValid, hugeShapes, junk, matrix, numberOr, optionsArg,
  shapeArg, tensorArg, tensorOf,
} from './fuzz-arbitraries.js';

/*
 * Bad input, fuzzed: the creation functions and every Tensor method, driven with malformed
 * arguments. See fuzz-arbitraries.ts for the property.
 */

const RUNS = 150;
const tally = new Tally();
const creationOptions = optionsArg({ dtype: dtypeArg, requiresGrad: fc.oneof(fc.boolean(), junk) });
const smallNumber = numberOr(fc.double({ min: -4, max: 4, noNaN: true }));

/** Shape, dtype and requiresGrad are what was asked for; `values` checks the contents. */
function expectCreated(t: Tensor, shape: unknown, options: unknown, values: (t: Tensor) => boolean): void {
  expect(t.shape).toEqual((shape as number[]).map((d) => d + 0));
  expect(t.size).toBe(t.shape.reduce((a, b) => a * b, 1));
  expect(t.data.length).toBe(t.size);
  const dtype = (options as { dtype?: string } | undefined)?.dtype ?? 'float32';
  expect(t.dtype).toBe(dtype);
  expect(values(t)).toBe(true);
}

/** True when `x` is a number that stays finite in `t`'s dtype (1e300 is Infinity in float32, as in PyTorch). */
const finiteIn = (t: Tensor, x: unknown): boolean => typeof x === 'number' && Number.isFinite(t.dtype === 'float32' ? Math.fround(x) : x);

describe('creation functions with malformed arguments', () => {
  it('zeros, ones, full, rand and randn accept a valid shape and refuse anything else with a typed error', () => {
    const creators = {
      zeros: (s: unknown, o: unknown) => zeros(s as number[], o as object),
      ones: (s: unknown, o: unknown) => ones(s as number[], o as object),
      rand: (s: unknown, o: unknown) => rand(s as number[], o as object),
      randn: (s: unknown, o: unknown) => randn(s as number[], o as object),
    };
    const contents: Record<string, (t: Tensor) => boolean> = {
      zeros: (t) => t.data.every((v) => v === 0),
      ones: (t) => t.data.every((v) => v === 1),
      rand: (t) => t.data.every((v) => v >= 0 && v < 1),
      randn: allFinite,
    };
    for (const [name, create] of Object.entries(creators)) {
      tally.run(name, fc.tuple(shapeArg, creationOptions), ([shape, options]) => {
        expectTypedOrValid(name, [name], [shape, options], () => create(shape, options), (t) => expectCreated(t, shape, options, contents[name]!));
      }, RUNS);
    }
    tally.run('full', fc.tuple(shapeArg, smallNumber, creationOptions), ([shape, value, options]) => {
      expectTypedOrValid('full', ['full'], [shape, value, options], () => full(shape as number[], value as number, options as object), (t) =>
        expectCreated(t, shape, options, (r) => r.data.every((v) => Object.is(v, Math.fround(value as number)) || Object.is(v, value) || (Number.isNaN(v) && Number.isNaN(value)))));
    }, RUNS);
  });

  it('huge shapes fail fast with a ShapeError naming the op, the shape, the element count and the limit', () => {
    for (const shape of hugeShapes) {
      for (const [name, create] of [['zeros', zeros], ['randn', randn], ['full', (s: number[]) => full(s, 1)]] as const) {
        const started = performance.now();
        let caught: unknown;
        try {
          create(shape);
        } catch (error) {
          caught = error;
        }
        expect(performance.now() - started).toBeLessThan(100);
        expect(caught).toBeInstanceOf(ShapeError);
        const message = (caught as Error).message;
        expect(message).toContain(`${name}: a tensor holds at most 2147483647 (2^31 − 1) elements, got shape [${shape.join(',')}]`);
        expect(message).toContain(String(shape.reduce((a, b) => a * b, 1)));
      }
    }
  });

  it('tensor() takes numbers, nested arrays and typed arrays and refuses anything else', () => {
    const nested = fc.oneof(
      fc.double({ min: -3, max: 3, noNaN: true }),
      fc.array(fc.double({ min: -3, max: 3 }), { maxLength: 4 }),
      fc.array(fc.array(fc.oneof(fc.double({ min: -3, max: 3 }), junk), { minLength: 1, maxLength: 3 }), { maxLength: 3 }),
      fc.float64Array({ maxLength: 6 }),
      fc.float32Array({ maxLength: 6 }),
      junk,
    );
    const options = optionsArg({ dtype: dtypeArg, requiresGrad: fc.boolean(), shape: shapeArg });
    tally.run('tensor', fc.tuple(nested, options), ([values, opts]) => {
      expectTypedOrValid('tensor', ['tensor'], [values, opts], () => tensor(values as number[], opts as object), (t) => {
        expect(t.size).toBe(t.shape.reduce((a, b) => a * b, 1));
        expect(t.data.length).toBe(t.size);
      });
    }, RUNS);
  });

  it('arange refuses non-finite bounds, a zero step and counts above the limit', () => {
    const bound = numberOr(fc.integer({ min: -20, max: 20 }));
    const step = fc.oneof(fc.constant(undefined), numberOr(fc.constantFrom(0.5, 1, 2, -1, 3)));
    tally.run('arange', fc.tuple(bound, fc.oneof(fc.constant(undefined), bound), step), ([a, b, s]) => {
      expectTypedOrValid('arange', ['arange'], [a, b, s], () => arange(a as number, b as number, s as number), (t) => {
        const [start, stop] = b === undefined ? [0, a as number] : [a as number, b as number];
        const by = (s as number | undefined) ?? 1;
        expect(t.shape).toEqual([Math.max(0, Math.ceil((stop - start) / by))]);
        expect(allFinite(t)).toBe(true);
      });
    }, RUNS);
  });

  it('the Tensor constructor checks the buffer type, the shape and their agreement', () => {
    const data = fc.oneof(fc.float32Array({ maxLength: 6 }), fc.float64Array({ maxLength: 6 }), junk);
    const options = optionsArg({ requiresGrad: fc.oneof(fc.boolean(), junk) });
    tally.run('Tensor', fc.tuple(data, fc.oneof(fc.constant(undefined), shapeArg), options), ([buffer, shape, opts]) => {
      expectTypedOrValid('Tensor', ['Tensor'], [buffer, shape, opts], () => new Tensor(buffer as Float32Array, shape as number[], opts as object), (t) => {
        expect(t.size).toBe(t.data.length);
        expect(t.shape.every((d) => Number.isInteger(d) && d >= 0)).toBe(true);
      });
    }, RUNS);
  });

  it('manualSeed takes an integer seed and noGrad a function', () => {
    tally.run('manualSeed', numberOr(fc.integer({ min: 0, max: 2 ** 31 })), (seed) => {
      expectTypedOrValid('manualSeed', ['manualSeed'], [seed], () => manualSeed(seed as number), () => {
        expect(Number.isInteger(seed)).toBe(true);
        const a = rand([3]);
        manualSeed(seed as number);
        expect(rand([3]).toArray()).toEqual(a.toArray());
      });
    }, RUNS);
    tally.run('noGrad', fc.oneof(fc.constant(() => 7), junk), (fn) => {
      expectTypedOrValid('noGrad', ['noGrad'], [fn], () => noGrad(fn as () => number), (value) => expect(value).toBe((fn as () => number)()));
    }, RUNS);
  });
});

/** Binary ops: the other operand is a tensor (broadcastable or not), a number or junk. */
describe('Tensor methods with malformed arguments', () => {
  const binaries = ['add', 'sub', 'mul', 'div'] as const;
  it.each(binaries)('%s broadcasts tensors and numbers and refuses the rest', (op) => {
    tally.run(op, fc.tuple(anyTensor, fc.oneof(tensorArg, smallNumber)), ([x, other]) => {
      expectTypedOrValid(op, [op], [x, other], () => x[op](other as Tensor), (y) => {
        const otherShape = other instanceof Tensor ? other.shape : [];
        expect(y.shape).toEqual(broadcastShapes(op, x.shape, otherShape));
        const finite = allFinite(x) && (other instanceof Tensor ? allFinite(other) : finiteIn(x, other));
        if (finite && op !== 'div') expect(allFinite(y)).toBe(true);
      });
    }, RUNS);
  });

  const unaries = ['neg', 'exp', 'log', 'sqrt', 'abs', 'relu', 'tanh', 'sigmoid'] as const;
  it.each(unaries)('%s keeps the shape and, where defined everywhere, finiteness', (op) => {
    tally.run(op, anyTensor, (x) => {
      expectTypedOrValid(op, [op], [x], () => x[op](), (y) => {
        expect(y.shape).toEqual(x.shape);
        if (allFinite(x) && op !== 'log' && op !== 'sqrt') expect(allFinite(y)).toBe(true);
      });
    }, RUNS);
  });

  it('pow, leakyRelu and clamp check their scalar arguments', () => {
    tally.run('pow', fc.tuple(anyTensor, smallNumber), ([x, exponent]) => {
      expectTypedOrValid('pow', ['pow'], [x, exponent], () => x.pow(exponent as number), (y) => expect(y.shape).toEqual(x.shape));
    }, RUNS);
    tally.run('leakyRelu', fc.tuple(anyTensor, fc.oneof(fc.constant(undefined), smallNumber)), ([x, slope]) => {
      expectTypedOrValid('leakyRelu', ['leakyRelu'], [x, slope], () => x.leakyRelu(slope as number), (y) => {
        expect(y.shape).toEqual(x.shape);
        if (allFinite(x) && Math.abs((slope as number | undefined) ?? 0) < 1e3) expect(allFinite(y)).toBe(true);
      });
    }, RUNS);
    const bound = fc.oneof(fc.constant(undefined), smallNumber);
    tally.run('clamp', fc.tuple(anyTensor, bound, bound), ([x, min, max]) => {
      expectTypedOrValid('clamp', ['clamp'], [x, min, max], () => x.clamp(min as number, max as number), (y) => {
        expect(y.shape).toEqual(x.shape);
        if (allFinite(x)) expect(y.data.every((v) => !Number.isNaN(v))).toBe(true);
      });
    }, RUNS);
  });

  it('matmul and transpose take 2-D tensors only', () => {
    tally.run('matmul', fc.tuple(fc.oneof(matrix([0, 3], [0, 3]), anyTensor), fc.oneof(matrix([0, 3], [0, 3]), tensorArg)), ([a, b]) => {
      expectTypedOrValid('matmul', ['matmul'], [a, b], () => a.matmul(b as Tensor), (y) => {
        expect(y.shape).toEqual([a.shape[0], (b as Tensor).shape[1]]);
        if (allFinite(a) && allFinite(b as Tensor)) expect(allFinite(y)).toBe(true);
      });
    }, RUNS);
    tally.run('transpose', fc.oneof(matrix([0, 3], [0, 3]), anyTensor), (x) => {
      expectTypedOrValid('transpose', ['transpose'], [x], () => x.transpose(), (y) => expect(y.shape).toEqual([x.shape[1], x.shape[0]]));
    }, RUNS);
  });

  const axisArg = fc.oneof(fc.constant(undefined), numberOr(fc.integer({ min: -4, max: 3 })));
  const keepDimArg = fc.oneof(fc.constant(undefined), fc.boolean(), junk);
  it.each(['sum', 'mean', 'max'] as const)('%s checks the axis and keepDim', (op) => {
    tally.run(op, fc.tuple(anyTensor, axisArg, keepDimArg), ([x, axis, keepDim]) => {
      expectTypedOrValid(op, [op], [x, axis, keepDim], () => x[op](axis as number, keepDim as boolean), (y) => {
        const removed = keepDim === true ? 0 : axis === undefined ? x.ndim : Math.min(1, x.ndim);
        expect(y.ndim).toBe(x.ndim - removed);
        if (allFinite(x) && x.size > 0) expect(allFinite(y)).toBe(true);
      });
    }, RUNS);
  });

  it.each(['softmax', 'logSoftmax'] as const)('%s checks the axis; rows of softmax sum to 1', (op) => {
    tally.run(op, fc.tuple(tensorOf(fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }), true), axisArg), ([x, axis]) => {
      expectTypedOrValid(op, [op], [x, axis], () => x[op](axis as number), (y) => {
        expect(y.shape).toEqual(x.shape);
        expect(allFinite(y)).toBe(true);
        const probabilities = op === 'softmax' ? y : y.exp();
        const totals = probabilities.sum(axis as number ?? -1);
        for (const total of totals.data) expect(total).toBeCloseTo(1, 4);
      });
    }, RUNS);
  });

  it('reshape takes one shape of the same size, with at most one -1', () => {
    const target = fc.oneof(shapeArg, fc.array(fc.integer({ min: -2, max: 4 }), { maxLength: 3 }));
    tally.run('reshape', fc.tuple(anyTensor, target), ([x, shape]) => {
      expectTypedOrValid('reshape', ['reshape'], [x, shape], () => x.reshape(shape as number[]), (y) => {
        expect(y.size).toBe(x.size);
        expect(y.shape.every((d) => Number.isInteger(d) && d >= 0)).toBe(true);
      });
    }, RUNS);
  });

  it('item, toArray, detach and clone work on any tensor or refuse with a typed error', () => {
    tally.run('item', anyTensor, (x) => {
      expectTypedOrValid('item', ['item'], [x], () => x.item(), (value) => expect(typeof value).toBe('number'));
    }, RUNS);
    tally.run('toArray', anyTensor, (x) => {
      expectTypedOrValid('toArray', ['toArray'], [x], () => x.toArray(), (nested) => expect(tensor(nested).shape).toEqual(x.size === 0 ? tensor(nested).shape : x.shape));
    }, RUNS);
    tally.run('detach', anyTensor, (x) => {
      expectTypedOrValid('detach', ['detach'], [x], () => x.detach(), (y) => expect(y.requiresGrad || y.shape.length !== x.shape.length).toBe(false));
    }, RUNS);
    tally.run('clone', anyTensor, (x) => {
      expectTypedOrValid('clone', ['clone'], [x], () => x.clone(), (y) => expect(Array.from(y.data)).toEqual(Array.from(x.data)));
    }, RUNS);
  });

  it('backward checks its options: gradient shape, retainGraph, guards', () => {
    const gradArg = fc.oneof(fc.constant(undefined), tensorArg);
    const options = optionsArg({ grad: gradArg, retainGraph: fc.oneof(fc.boolean(), junk), guards: fc.oneof(fc.constant([]), junk) });
    tally.run('backward', fc.tuple(tensorOf(fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }), true), options), ([x, opts]) => {
      const leaf = x.detach();
      leaf.requiresGrad = true;
      expectTypedOrValid('backward', ['backward'], [leaf, opts], () => leaf.mul(2).backward(opts as object), () => {
        expect(leaf.grad?.shape).toEqual(leaf.shape);
        expect(allFinite(leaf.grad!)).toBe(true);
      });
    }, RUNS);
  });
});

describe('functional ops with malformed arguments', () => {
  it('linear checks x, weight and bias', () => {
    tally.run('linear', fc.tuple(fc.oneof(matrix([1, 3], [1, 3]), tensorArg), fc.oneof(matrix([1, 3], [1, 3]), tensorArg), fc.oneof(fc.constant(null), tensorArg)), ([x, w, b]) => {
      expectTypedOrValid('linear', ['linear'], [x, w, b], () => linear(x as Tensor, w as Tensor, b as Tensor), (y) => {
        expect(y.shape).toEqual([(x as Tensor).shape[0], (w as Tensor).shape[0]]);
      });
    }, RUNS);
  });

  it('softmaxCrossEntropy checks the targets and the reduction', () => {
    const targets = fc.oneof(
      fc.array(fc.integer({ min: -1, max: 4 }), { maxLength: 4 }).map((t) => Int32Array.from(t)),
      junk,
    );
    const reduction = fc.oneof(fc.constantFrom('mean', 'sum', 'none', undefined), junk);
    tally.run('softmaxCrossEntropy', fc.tuple(fc.oneof(matrix([0, 3], [1, 3]), tensorArg), targets, reduction), ([logits, t, r]) => {
      expectTypedOrValid('softmaxCrossEntropy', ['crossEntropy'], [logits, t, r], () => softmaxCrossEntropy(logits as Tensor, t as Int32Array, r as 'mean'), (loss) => {
        if ((logits as Tensor).shape[0]! > 0) expect(allFinite(loss)).toBe(true);
      });
    }, RUNS);
  });
});

afterAll(() => {
  console.log(tally.summary('tensor'));
  expect(tally.cases).toBe(tally.expected);
});
