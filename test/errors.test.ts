import { afterEach, describe, expect, it } from 'vitest';
import {
  ArgumentError, DTypeError, GradguardError, GradientError, NonFiniteError, ShapeError, Tensor,
  arange, full, linear, rand, setDetectAnomaly, softmaxCrossEntropy, tensor, withScope, zeros, type DType,
} from '../src/index.js';
import { describeModule } from '../src/autograd/graph.js';
import { countOf, nonNegativeInteger, positiveInteger } from '../src/errors.js';

/** Runs `fn` and returns what it threw (failing the test when it does not throw). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`threw a non-Error: ${String(error)}`);
  }
  throw new Error('expected the call to throw, but it returned');
}

/** Asserts the error's class, that it is a GradguardError whose `op` is `op`, and that its message holds every fragment. */
function expectError(fn: () => unknown, kind: new (...args: never[]) => Error, op: string, ...fragments: string[]): Error {
  const error = thrown(fn);
  expect(error).toBeInstanceOf(kind);
  expect(error).toBeInstanceOf(GradguardError);
  expect(error).toBeInstanceOf(Error);
  expect((error as GradguardError).op).toBe(op);
  expect(error.message.startsWith(`${op}: `)).toBe(true);
  for (const fragment of fragments) expect(error.message).toContain(fragment);
  return error;
}

describe('mismatched shapes', () => {
  it.each(['add', 'sub', 'mul', 'div'] as const)('%s names the op and both shapes, and keeps them as fields', (op) => {
    const error = expectError(() => zeros([2, 3])[op](zeros([4])), ShapeError, op, '[2,3]', '[4]');
    expect((error as ShapeError).shapes).toEqual([[2, 3], [4]]);
  });

  it('matmul names both shapes when the inner dimensions differ', () => {
    expectError(() => zeros([2, 3]).matmul(zeros([4, 5])), ShapeError, 'matmul', '[2,3]', '[4,5]', '3 vs 4');
  });

  it('matmul and transpose require 2-D tensors', () => {
    expectError(() => zeros([3]).matmul(zeros([3, 2])), ShapeError, 'matmul', '2-D', '[3]', '[3,2]');
    expectError(() => zeros([2, 2, 2]).transpose(), ShapeError, 'transpose', '2-D', '[2,2,2]');
  });

  it('linear names the input, weight and bias shapes', () => {
    expectError(() => linear(zeros([2, 3]), zeros([4, 5])), ShapeError, 'linear', '[2,3]', '[4,5]');
    expectError(() => linear(zeros([2, 3]), zeros([4, 3]), zeros([5])), ShapeError, 'linear', '[4]', '[5]', '[2,3]', '[4,3]');
    expectError(() => linear(zeros([3]), zeros([4, 3])), ShapeError, 'linear', '2-D', '[3]', '[4,3]');
  });

  it('reshape names both shapes and the element counts', () => {
    expectError(() => zeros([2, 3]).reshape([4, 2]), ShapeError, 'reshape', '[2,3]', '[4,2]', '6', '8');
    expectError(() => zeros([2, 3]).reshape([-1, 4]), ShapeError, 'reshape', '[2,3]', '[-1,4]');
    expectError(() => zeros([6]).reshape([-1, -1]), ShapeError, 'reshape', 'only one dimension can be -1', '[6]');
  });

  it('crossEntropy names the logits shape and the bad target', () => {
    expectError(() => softmaxCrossEntropy(zeros([2, 3]), Int32Array.from([0])), ShapeError, 'crossEntropy', '[2,3]', '1 targets');
    expectError(() => softmaxCrossEntropy(zeros([2, 3]), Int32Array.from([0, 3])), ShapeError, 'crossEntropy', 'class 3', '[0, 2]');
    expectError(() => softmaxCrossEntropy(zeros([6]), Int32Array.from([0])), ShapeError, 'crossEntropy', '[6]');
  });
});

describe('bad dimensions and data', () => {
  it('rejects a non-integer dimension, naming the function and the value', () => {
    expectError(() => zeros([2, 1.5]), ShapeError, 'zeros', '1.5', '[2,1.5]');
    expectError(() => rand([2.5]), ShapeError, 'rand', '2.5');
    expectError(() => zeros([2, 3]).reshape([3, 2.5]), ShapeError, 'reshape', 'dimension 1', '[3,2.5]', '2.5');
    expectError(() => zeros([2, 3]).reshape([-1, 2.5]), ShapeError, 'reshape', 'dimension 1', '2.5');
  });

  it('rejects a negative dimension', () => {
    expectError(() => zeros([-1, 2]), ShapeError, 'zeros', '-1');
    expectError(() => full([3, -2], 1), ShapeError, 'full', '-2');
    expectError(() => zeros([6]).reshape([-2, -3]), ShapeError, 'reshape', 'dimension 0', '[-2,-3]', 'got -2');
  });

  it('rejects data whose length does not match the shape', () => {
    expectError(() => tensor(new Float32Array(5), { shape: [2, 3] }), ShapeError, 'tensor', '5', '[2,3]', '6');
    expectError(() => tensor([1, 2, 3], { shape: [2, 2] }), ShapeError, 'tensor', '3', '[2,2]', '4');
    expectError(() => new Tensor(new Float64Array(3), [2, 2]), ShapeError, 'Tensor', '3', '[2,2]');
  });

  it('rejects ragged nested arrays and non-numbers, saying where', () => {
    expectError(() => tensor([[1, 2], [3]]), ShapeError, 'tensor', 'ragged', '[1]');
    const notNumbers: number[] = JSON.parse('[1, "2"]');
    expectError(() => tensor(notNumbers), ShapeError, 'tensor', '"2"', '[1]');
  });

  it('rejects an unknown dtype, naming it', () => {
    const int32: DType = JSON.parse('"int32"');
    expectError(() => zeros([2], { dtype: int32 }), DTypeError, 'zeros', "'float32' or 'float64'", '"int32"');
    expectError(() => tensor([1, 2], { dtype: int32 }), DTypeError, 'tensor', '"int32"');
    expectError(() => tensor(new Float32Array(2), { dtype: int32 }), DTypeError, 'tensor', '"int32"');
  });

  it('rejects non-numbers where a number is needed', () => {
    const text: number = JSON.parse('"2"');
    expectError(() => zeros([2]).pow(text), ArgumentError, 'pow', 'exponent');
    expectError(() => arange(0, 5, 0), ArgumentError, 'arange', 'step 0');
  });

  it('item() names the shape of a tensor with more than one element', () => {
    expectError(() => zeros([2, 3]).item(), ShapeError, 'item', '[2,3]');
  });
});

describe('axis out of range', () => {
  it.each([
    ['sum', (x: Tensor) => x.sum(2)],
    ['mean', (x: Tensor) => x.mean(-3)],
    ['max', (x: Tensor) => x.max(5)],
    ['softmax', (x: Tensor) => x.softmax(2)],
    ['logSoftmax', (x: Tensor) => x.logSoftmax(-3)],
  ] as const)('%s names the axis, the shape and the valid range', (op, call) => {
    expectError(() => call(zeros([2, 3])), ShapeError, op, '[2,3]', '[-2, 1]');
  });

  it('refuses the maximum of nothing, as torch.max', () => {
    expectError(() => zeros([0, 3]).max(0), ShapeError, 'max', 'axis 0', '[0,3]');
    expectError(() => zeros([0]).max(), ShapeError, 'max', 'at least one element', '[0]');
  });

  it('rejects a non-integer axis', () => {
    expectError(() => zeros([2, 3]).sum(0.5), ShapeError, 'sum', 'axis 0.5');
    expectError(() => zeros([2, 3]).mean(0.5), ShapeError, 'mean', 'axis 0.5');
  });

  it('gives a 0-d tensor the range [-1, 0], as PyTorch', () => {
    expectError(() => tensor(1).sum(1), ShapeError, 'sum', '[]', '[-1, 0]');
  });
});

describe('autograd misuse', () => {
  it('backward() on a non-scalar without grad names the shape', () => {
    expectError(() => zeros([2, 3], { requiresGrad: true }).mul(2).backward(), GradientError, 'backward', '[2,3]', 'grad');
  });

  it('backward() with a grad of the wrong shape names both shapes', () => {
    const y = zeros([2, 3], { requiresGrad: true }).mul(2);
    expectError(() => y.backward({ grad: zeros([3]) }), GradientError, 'backward', '[3]', '[2,3]');
  });

  it('a second backward() through a freed graph names the op and points at retainGraph', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const loss = x.mul(x).sum();
    loss.backward();
    expectError(() => loss.backward(), GradientError, 'backward', 'second time', 'retainGraph');
  });

  it('backward() on a tensor without a graph says why', () => {
    expectError(() => tensor([1]).backward(), GradientError, 'backward', 'requiresGrad');
  });

  it('refuses to turn off requiresGrad on a non-leaf, and hooks on tensors without gradients', () => {
    const y = tensor([1], { requiresGrad: true }).mul(2);
    expectError(() => (y.requiresGrad = false), GradientError, 'requiresGrad', 'detach');
    expectError(() => tensor([1]).registerHook(() => undefined), GradientError, 'registerHook');
    expectError(() => tensor([1]).retainGrad(), GradientError, 'retainGrad');
  });
});

describe('NonFiniteError', () => {
  afterEach(() => setDetectAnomaly(false));

  it('names the op, the forward phase and no module outside every module', () => {
    setDetectAnomaly(true);
    const error = expectError(() => tensor([0, 1]).log(), NonFiniteError, 'log', '[2]');
    expect((error as NonFiniteError).phase).toBe('forward');
    expect((error as NonFiniteError).module).toBeUndefined();
  });

  it('names the dotted path of the innermost module', () => {
    setDetectAnomaly(true);
    const error = thrown(() => withScope('layers', () => withScope('3', () => tensor([1]).div(tensor([0])))));
    expect(error).toBeInstanceOf(NonFiniteError);
    expect((error as NonFiniteError).module).toBe('layers.3');
    expect((error as NonFiniteError).op).toBe('div');
  });

  it('reports the backward phase for a gradient born non-finite', () => {
    setDetectAnomaly(true);
    const x = tensor([0, 4], { requiresGrad: true });
    const y = x.sqrt().sum();
    const error = expectError(() => y.backward(), NonFiniteError, 'sqrt');
    expect((error as NonFiniteError).phase).toBe('backward');
  });

  it('does not blame an op that only passes on a NaN it was given', () => {
    setDetectAnomaly(true);
    expect(() => tensor([NaN]).exp()).not.toThrow();
  });
});

describe('message helpers', () => {
  it('puts the noun in the singular for exactly one, as in "1 block keeps amplifying"', () => {
    expect(countOf(1, 'block keeps', 'blocks keep')).toBe('1 block keeps');
    expect(countOf(2, 'block keeps', 'blocks keep')).toBe('2 blocks keep');
    expect(countOf(0, 'row')).toBe('0 rows');
  });

  it('says where a module path is in the same words everywhere', () => {
    expect(describeModule(undefined)).toBe('outside any module');
    expect(describeModule('')).toBe('in the root module');
    expect(describeModule('layers.3')).toBe("in module 'layers.3'");
  });

  it('checks counts with one rule: positive or non-negative integers, naming the op and the argument', () => {
    expect(positiveInteger('DataLoader', 'batchSize', 4)).toBe(4);
    expect(nonNegativeInteger('spikeDetector', 'warmup', 0)).toBe(0);
    for (const bad of [0, -1, 1.5, NaN]) {
      expect(() => positiveInteger('DataLoader', 'batchSize', bad)).toThrow(ArgumentError);
      expect(() => positiveInteger('DataLoader', 'batchSize', bad)).toThrow(`DataLoader: batchSize must be a positive integer, got ${bad}`);
    }
    expect(() => nonNegativeInteger('spikeDetector', 'warmup', -1)).toThrow('spikeDetector: warmup must be a non-negative integer, got -1');
  });
});
