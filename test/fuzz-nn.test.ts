import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Tensor, data, guards, nn, optim, tensor, zeros, type Guard } from '../src/index.js';
import {
  Tally, allFinite, countArg, dtypeArg, expectTypedOrValid, junk, matrix, numberOr, oddNumber, optionsArg,
  shapeArg, tensorArg, tensorOf,
} from './fuzz-arbitraries.js';

/*
 * Bad input, fuzzed: layers, losses, optimizers and schedules, the data loader and the guards,
 * driven with malformed arguments. See fuzz-arbitraries.ts for the property.
 */

const RUNS = 150;
const tally = new Tally();
const flag = fc.oneof({ arbitrary: fc.boolean(), weight: 3 }, { arbitrary: junk, weight: 1 });
const rate = numberOr(fc.double({ min: 1e-4, max: 0.5, noNaN: true }));
const fraction = numberOr(fc.double({ min: 0, max: 0.999, noNaN: true }));
const reduction = fc.oneof(fc.constantFrom('mean', 'sum', 'none', undefined), junk);

/** A tiny two-parameter model input: x [rows, 2]. */
const batch = matrix([1, 3], [2, 2]);

describe('layers with malformed arguments', () => {
  it('Linear checks its sizes, options and input; weight is [out, in]', () => {
    const options = optionsArg({ bias: flag, dtype: dtypeArg });
    tally.run('Linear', fc.tuple(countArg, countArg, options), ([inF, outF, opts]) => {
      expectTypedOrValid('Linear', ['Linear'], [inF, outF, opts], () => new nn.Linear(inF as number, outF as number, opts as object), (layer) => {
        expect(layer.weight.shape).toEqual([outF, inF]);
        expect(allFinite(layer.weight)).toBe(true);
      });
    }, RUNS);
    const layer = new nn.Linear(2, 3);
    tally.run('Linear.forward', fc.oneof(batch, tensorArg), (x) => {
      expectTypedOrValid('Linear.forward', ['linear', 'Linear.forward'], [x], () => layer.forward(x as Tensor), (y) => {
        expect(y.shape).toEqual([(x as Tensor).shape[0], 3]);
        if (allFinite(x as Tensor)) expect(allFinite(y)).toBe(true);
      });
    }, RUNS);
  });

  it('activation layers check their input and slope', () => {
    const layers = { ReLU: new nn.ReLU(), Tanh: new nn.Tanh(), Sigmoid: new nn.Sigmoid(), GELU: new nn.GELU() } as const;
    for (const [name, layer] of Object.entries(layers)) {
      tally.run(`${name}.forward`, tensorArg, (x) => {
        expectTypedOrValid(name, [`${name}.forward`, 'gelu'], [x], () => layer.forward(x as Tensor), (y) => {
          expect(y.shape).toEqual((x as Tensor).shape);
        });
      }, RUNS);
    }
    tally.run('LeakyReLU', fc.tuple(fc.oneof(fc.constant(undefined), numberOr(fc.double({ min: -1, max: 1, noNaN: true }))), tensorArg), ([slope, x]) => {
      expectTypedOrValid('LeakyReLU', ['LeakyReLU', 'LeakyReLU.forward'], [slope, x], () => new nn.LeakyReLU(slope as number).forward(x as Tensor), (y) => {
        expect(y.shape).toEqual((x as Tensor).shape);
        if (allFinite(x as Tensor) && Math.abs((slope as number | undefined) ?? 0) < 1e3) expect(allFinite(y)).toBe(true);
      });
    }, RUNS);
  });

  it('Sequential takes modules only and runs them in order', () => {
    const module = fc.oneof(fc.constantFrom(() => new nn.ReLU(), () => new nn.Tanh(), () => new nn.Linear(2, 2)).map((make) => make()), junk);
    tally.run('Sequential', fc.tuple(fc.array(module, { maxLength: 3 }), fc.oneof(batch, tensorArg)), ([modules, x]) => {
      expectTypedOrValid('Sequential', ['Sequential', 'ReLU.forward', 'Tanh.forward', 'linear'], [modules, x], () => new nn.Sequential(...(modules as nn.Module[])).forward(x as Tensor), (y) => {
        expect(y.shape).toEqual((x as Tensor).shape);
      });
    }, RUNS);
  });

  it('LayerNorm checks its shape, eps and input; the output rows have mean 0', () => {
    const normalized = fc.oneof(fc.integer({ min: 1, max: 3 }), shapeArg);
    const options = optionsArg({ eps: numberOr(fc.constantFrom(1e-5, 1e-3)), elementwiseAffine: flag, bias: flag, dtype: dtypeArg });
    tally.run('LayerNorm', fc.tuple(normalized, options, tensorOf(fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }), true)), ([shape, opts, x]) => {
      expectTypedOrValid('LayerNorm', ['LayerNorm', 'LayerNorm.forward'], [shape, opts, x], () => new nn.LayerNorm(shape as number, opts as object).forward(x), (y) => {
        expect(y.shape).toEqual(x.shape);
        expect(allFinite(y)).toBe(true);
      });
    }, RUNS);
  });

  it('Dropout checks p and its input; survivors are scaled by 1/(1 − p)', () => {
    tally.run('Dropout', fc.tuple(fc.oneof(fc.constant(undefined), fraction), tensorArg), ([p, x]) => {
      expectTypedOrValid('Dropout', ['Dropout', 'Dropout.forward'], [p, x], () => new nn.Dropout(p as number).forward(x as Tensor), (y) => {
        const input = x as Tensor;
        expect(y.shape).toEqual(input.shape);
        const scale = 1 / (1 - ((p as number | undefined) ?? 0.5));
        y.data.forEach((v, i) => expect(v === 0 || Math.abs(v - Math.fround(input.data[i]! * scale)) <= 1e-5 * Math.abs(v) || Number.isNaN(v)).toBe(true));
      });
    }, RUNS);
  });

  it('mlp checks its sizes and options', () => {
    const sizes = fc.oneof(fc.array(countArg, { maxLength: 4 }), junk);
    const options = optionsArg({
      activation: fc.oneof(fc.constantFrom('relu', 'tanh', 'gelu', 'swish'), junk),
      init: fc.oneof(fc.constantFrom('default', 'kaimingNormal', 'xavierUniform', 'he'), junk),
      gain: numberOr(fc.constantFrom(0.5, 1, 2)),
      residual: flag,
      bias: flag,
      dtype: dtypeArg,
    });
    tally.run('mlp', fc.tuple(sizes, options), ([s, opts]) => {
      expectTypedOrValid('mlp', ['mlp', 'Linear'], [s, opts], () => nn.mlp(s as number[], opts as object), (model) => {
        const widths = s as number[];
        expect(model.parameters().length).toBeGreaterThanOrEqual(widths.length - 1);
        expect(model.parameters().every(allFinite)).toBe(true);
      });
    }, RUNS);
  });
});

describe('huge requests fail fast', () => {
  it('new nn.Linear(1e6, 1e6) throws a ShapeError naming Linear, the shape, the element count and the limit', () => {
    const started = performance.now();
    expect(() => new nn.Linear(1e6, 1e6)).toThrow('Linear: a tensor holds at most 2147483647 (2^31 − 1) elements, got shape [1000000,1000000] with 1000000000000 elements');
    expect(() => new nn.LayerNorm([1e5, 1e5])).toThrow('LayerNorm: a tensor holds at most 2147483647');
    expect(() => nn.mlp([2 ** 31, 2])).toThrow('Linear: a tensor holds at most 2147483647');
    expect(performance.now() - started).toBeLessThan(100);
  });

  it('an op whose broadcast result would be too large throws before allocating', () => {
    const column = zeros([65536, 1]);
    const row = zeros([1, 65536]);
    expect(() => column.add(row)).toThrow('add: a tensor holds at most 2147483647 (2^31 − 1) elements, got shape [65536,65536] with 4294967296 elements');
  });
});

describe('losses with malformed arguments', () => {
  it('crossEntropy refuses targets out of range, fractional or of the wrong count', () => {
    const target = fc.oneof(fc.integer({ min: 0, max: 2 }), fc.constantFrom(-1, 3, 0.5, NaN, 2 ** 32, 2 ** 32 + 1, -(2 ** 32)), junk);
    const targets = fc.oneof(
      fc.array(target, { minLength: 0, maxLength: 4 }),
      fc.array(fc.integer({ min: -1, max: 3 }), { maxLength: 4 }).map((t) => Int32Array.from(t)),
      fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 3 }).map((t) => tensor(t)),
      junk,
    );
    tally.run('crossEntropy', fc.tuple(fc.oneof(matrix([0, 3], [3, 3]), tensorArg), targets, optionsArg({ reduction })), ([logits, t, opts]) => {
      expectTypedOrValid('crossEntropy', ['crossEntropy'], [logits, t, opts], () => nn.crossEntropy(logits as Tensor, t as number[], opts as object), (loss) => {
        const list = Array.from(t as ArrayLike<number> | Tensor instanceof Tensor ? (t as Tensor).data : (t as ArrayLike<number>));
        expect(list.every((c) => Number.isInteger(c) && c >= 0 && c < 3)).toBe(true);
        if ((logits as Tensor).shape[0]! > 0) expect(allFinite(loss)).toBe(true);
      });
    }, RUNS);
  });

  it.each(['mseLoss', 'binaryCrossEntropyWithLogits'] as const)('%s needs two tensors of one shape', (name) => {
    tally.run(name, fc.tuple(tensorArg, tensorArg, optionsArg({ reduction })), ([input, target, opts]) => {
      expectTypedOrValid(name, [name], [input, target, opts], () => nn[name](input as Tensor, target as Tensor, opts as object), (loss) => {
        expect(loss.size).toBe((opts as { reduction?: string } | undefined)?.reduction === 'none' ? (input as Tensor).size : 1);
      });
    }, RUNS);
  });
});

/** Fresh parameters with a finite gradient. */
function parameters(): Tensor[] {
  const w = zeros([2, 2], { requiresGrad: true });
  const b = zeros([2], { requiresGrad: true });
  w.grad = tensor([[0.1, -0.2], [0.3, 0.4]]);
  b.grad = tensor([0.5, -0.5]);
  return [w, b];
}

const paramsArg = fc.oneof(
  { arbitrary: fc.constant('params'), weight: 6 },
  { arbitrary: fc.constantFrom<unknown>([], [1, 2], [null], 'abc', null, undefined, 5, [{ params: 'x' }], new Map()), weight: 1 },
);
const materialize = (p: unknown): unknown => (p === 'params' ? parameters() : p);

describe('optimizers and schedules with malformed arguments', () => {
  const makers = {
    SGD: [(p: unknown, o: unknown) => new optim.SGD(p as Tensor[], o as object), { lr: rate, momentum: fraction, dampening: fraction, weightDecay: fraction, nesterov: flag }],
    Adam: [(p: unknown, o: unknown) => new optim.Adam(p as Tensor[], o as object), { lr: rate, betas: fc.oneof(fc.tuple(fraction, fraction), junk), eps: rate, weightDecay: fraction, amsgrad: flag }],
    AdamW: [(p: unknown, o: unknown) => new optim.AdamW(p as Tensor[], o as object), { lr: rate, betas: fc.oneof(fc.tuple(fraction, fraction), junk), eps: rate, weightDecay: fraction }],
    RMSprop: [(p: unknown, o: unknown) => new optim.RMSprop(p as Tensor[], o as object), { lr: rate, alpha: numberOr(fc.constantFrom(0.9, 0.99, 1.5)), eps: rate, momentum: fraction, centered: flag }],
  } as const;
  for (const [name, [make, fields]] of Object.entries(makers)) {
    it(`${name} refuses bad parameters and options; one step from a finite gradient stays finite`, () => {
      tally.run(name, fc.tuple(paramsArg, optionsArg(fields)), ([params, options]) => {
        const p = materialize(params);
        expectTypedOrValid(name, [name, 'Optimizer'], [params, options], () => make(p, options), (optimizer) => {
          optimizer.step();
          const numbers = Object.values(options ?? {}).flat().filter((v): v is number => typeof v === 'number');
          if (numbers.every((v) => v <= 1)) expect((p as Tensor[]).every(allFinite)).toBe(true);
        });
      }, RUNS);
    });
  }

  it('schedules refuse a non-optimizer and bad periods, factors and milestones; lr stays finite', () => {
    const schedules = {
      StepLR: (o: optim.SGD | unknown, x: unknown) => new optim.StepLR(o as optim.SGD, { stepSize: x as number, gamma: 0.5 }),
      StepLRGamma: (o: optim.SGD | unknown, x: unknown) => new optim.StepLR(o as optim.SGD, { stepSize: 2, gamma: x as number }),
      CosineAnnealingLR: (o: optim.SGD | unknown, x: unknown) => new optim.CosineAnnealingLR(o as optim.SGD, { tMax: 10, etaMin: x as number }),
      LinearLR: (o: optim.SGD | unknown, x: unknown) => new optim.LinearLR(o as optim.SGD, { startFactor: x as number, totalIters: 3 }),
      LinearWarmup: (o: optim.SGD | unknown, x: unknown) => new optim.LinearWarmup(o as optim.SGD, { warmupSteps: x as number }),
      SequentialLR: (o: optim.SGD | unknown, x: unknown) => {
        const optimizer = o as optim.SGD;
        return new optim.SequentialLR(optimizer, [new optim.LinearWarmup(optimizer, { warmupSteps: 2 }), new optim.StepLR(optimizer, { stepSize: 2 })], x as number[]);
      },
    };
    const optimizerArg = fc.oneof({ arbitrary: fc.constant('optimizer'), weight: 5 }, { arbitrary: junk, weight: 1 });
    const value = fc.oneof(countArg, fc.double({ min: 0, max: 1, noNaN: true }), fc.array(countArg, { maxLength: 2 }));
    for (const [label, make] of Object.entries(schedules)) {
      const name = label === 'StepLRGamma' ? 'StepLR' : label;
      tally.run(label, fc.tuple(optimizerArg, value), ([o, x]) => {
        const optimizer = o === 'optimizer' ? new optim.SGD(parameters(), { lr: 0.1 }) : o;
        expectTypedOrValid(name, [name, 'LRScheduler', 'LinearWarmup', 'StepLR'], [o, x], () => make(optimizer, x), (scheduler) => {
          for (let i = 0; i < 4; i++) scheduler.step();
          expect(scheduler.getLastLr().every((lr) => Number.isFinite(lr) && lr >= 0)).toBe(true);
        });
      }, RUNS);
    }
  });
});

describe('DataLoader with malformed arguments', () => {
  it('checks the dataset and options; batches cover every row once', () => {
    const dataset = fc.oneof(
      fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 5 })).map(([n, m]) => ({ x: zeros([n, 2]), y: zeros([m]) })),
      fc.record({ x: tensorArg, y: tensorArg }).map((o) => ({ ...o })),
      junk,
    );
    const options = optionsArg({ batchSize: countArg, shuffle: flag, dropLast: flag, generator: fc.oneof(fc.constant(undefined), junk) });
    tally.run('DataLoader', fc.tuple(dataset, options), ([set, opts]) => {
      expectTypedOrValid('DataLoader', ['DataLoader'], [set, opts], () => {
        const loader = new data.DataLoader(set as data.Dataset, opts as object);
        return { loader, batches: Array.from(loader) };
      }, ({ loader, batches }) => {
        const rows = batches.reduce((n, b) => n + b.x.shape[0]!, 0);
        expect(rows).toBeLessThanOrEqual(loader.size);
        if (!loader.dropLast) expect(rows).toBe(loader.size);
      });
    }, RUNS);
  });
});

/** Runs one backward pass of a tiny model through `guard`. */
function runPass(guard: Guard): void {
  const w = tensor([[0.5, -1], [2, 0.25]], { requiresGrad: true });
  w.mul(w).sum().backward({ guards: [guard] });
  expect(w.grad?.shape).toEqual([2, 2]);
}

describe('guards with malformed arguments', () => {
  const threshold = numberOr(fc.double({ min: 0.01, max: 10, noNaN: true }));
  const factories: Record<string, [(o: unknown) => Guard, Record<string, fc.Arbitrary<unknown>>]> = {
    nanTrap: [(o) => guards.nanTrap(o as object), { action: fc.oneof(fc.constantFrom('throw', 'skip', 'zero', 'warn', 'ignore'), junk) }],
    globalNormClip: [(o) => guards.globalNormClip(o as { maxNorm: number }), { maxNorm: threshold, normType: numberOr(fc.constantFrom(1, 2, Infinity)) }],
    valueClip: [(o) => guards.valueClip(o as { clipValue: number }), { clipValue: threshold }],
    agc: [(o) => guards.agc(o as object), { clipping: threshold, eps: threshold, excludeFinalLayer: flag, exclude: fc.oneof(fc.constant([]), junk) }],
    zclip: [(o) => guards.zclip(o as object), { zThreshold: threshold, alpha: fraction, warmupSteps: countArg, onSpike: fc.oneof(fc.constantFrom('clip', 'skip'), junk) }],
    autoClip: [(o) => guards.autoClip(o as object), { percentile: numberOr(fc.double({ min: 0, max: 100, noNaN: true })), history: countArg }],
    monitor: [(o) => guards.monitor(o as object), { history: fc.oneof(fc.integer({ min: 1, max: 50 }), oddNumber, junk), eventCapacity: countArg, trackUpdates: flag }],
  };
  for (const [name, [make, fields]] of Object.entries(factories)) {
    it(`${name} refuses bad options; a built guard runs a backward pass`, () => {
      tally.run(name, optionsArg(fields), (options) => {
        expectTypedOrValid(name, [name], [options], () => runPass(make(options)));
      }, RUNS);
    });
  }

  it('clipGradNorm and clipGradValue check the parameters, the threshold and the norm type', () => {
    const normType = fc.oneof(fc.constant(undefined), numberOr(fc.constantFrom(1, 2, 3, Infinity)));
    tally.run('clipGradNorm', fc.tuple(paramsArg, threshold, optionsArg({ normType, errorIfNonfinite: flag })), ([params, maxNorm, opts]) => {
      const p = materialize(params);
      expectTypedOrValid('clipGradNorm', ['clipGradNorm'], [params, maxNorm, opts], () => guards.clipGradNorm(p as Tensor[], maxNorm as number, opts as object), (total) => {
        expect(Number.isFinite(total)).toBe(true);
        expect(Array.from(p as Iterable<Tensor>).every((t) => allFinite(t.grad!))).toBe(true);
      });
    }, RUNS);
    tally.run('clipGradValue', fc.tuple(paramsArg, threshold), ([params, clipValue]) => {
      const p = materialize(params);
      expectTypedOrValid('clipGradValue', ['clipGradValue'], [params, clipValue], () => guards.clipGradValue(p as Tensor[], clipValue as number), () => {
        expect(Array.from(p as Iterable<Tensor>).every((t) => t.grad!.data.every((v) => Math.abs(v) <= (clipValue as number) + 1e-7))).toBe(true);
      });
    }, RUNS);
  });
});

afterAll(() => {
  console.log(tally.summary('nn'));
  expect(tally.cases).toBe(tally.expected);
});
