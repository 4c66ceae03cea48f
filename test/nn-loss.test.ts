import { describe, expect, it } from 'vitest';
import { ArgumentError, ShapeError, manualSeed, nn, randn, tensor } from '../src/index.js';
import { expectAllClose } from './helpers.js';

describe('nn.crossEntropy', () => {
  const logits = [[2, 1, 0.1], [0.5, 2.5, -1], [-3, 0, 3], [1, 1, 1]];
  const targets = [0, 1, 2, 1];
  /** −log softmax(z)[t] per row, by a direct loop. */
  const perRow = logits.map((row, n) => {
    const max = Math.max(...row);
    const logSum = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
    return logSum - row[targets[n]!]!;
  });

  it('equals −log softmax at the target, with each reduction', () => {
    const z = tensor(logits, { dtype: 'float64' });
    expectAllClose(nn.crossEntropy(z, targets, { reduction: 'none' }).data, perRow, { rtol: 1e-12 });
    expectAllClose(nn.crossEntropy(z, targets, { reduction: 'sum' }).item(), perRow.reduce((a, b) => a + b), { rtol: 1e-12 });
    const mean = nn.crossEntropy(z, targets);
    expect(mean.shape).toEqual([]);
    expectAllClose(mean.item(), perRow.reduce((a, b) => a + b) / 4, { rtol: 1e-12 });
  });

  it('takes targets as number[], Int32Array or a tensor of integers', () => {
    const z = tensor(logits, { dtype: 'float64' });
    const expected = nn.crossEntropy(z, targets).item();
    expect(nn.crossEntropy(z, Int32Array.from(targets)).item()).toBe(expected);
    expect(nn.crossEntropy(z, tensor(targets)).item()).toBe(expected);
    expect(() => nn.crossEntropy(z, [0, 1, 2, 0.5])).toThrow(ArgumentError);
    expect(() => nn.crossEntropy(z, [0, 1, 2, 1], { reduction: 'avg' as 'mean' })).toThrow(/reduction/);
  });

  it('has gradient (softmax − onehot)/N', () => {
    const z = tensor(logits, { dtype: 'float64', requiresGrad: true });
    nn.crossEntropy(z, targets).backward();
    const expected = logits.flatMap((row, n) => {
      const sum = row.reduce((s, v) => s + Math.exp(v), 0);
      return row.map((v, c) => (Math.exp(v) / sum - (c === targets[n] ? 1 : 0)) / 4);
    });
    expectAllClose(z.grad!.data, expected, { rtol: 1e-12 });
  });
});

describe('nn.mseLoss', () => {
  it('averages, sums or keeps the squared differences', () => {
    const input = tensor([[1, 2], [3, 5]]);
    const target = tensor([[0, 2], [1, 1]]);
    expect(nn.mseLoss(input, target).item()).toBe((1 + 0 + 4 + 16) / 4);
    expect(nn.mseLoss(input, target, { reduction: 'sum' }).item()).toBe(21);
    expect(nn.mseLoss(input, target, { reduction: 'none' }).toArray()).toEqual([[1, 0], [4, 16]]);
  });

  it('rejects different shapes instead of broadcasting them', () => {
    expect(() => nn.mseLoss(randn([4, 1]), randn([4]))).toThrow(ShapeError);
  });

  it('has gradient 2(x − y)/N', () => {
    const input = tensor([1, 2, 4], { dtype: 'float64', requiresGrad: true });
    nn.mseLoss(input, tensor([0, 2, 1], { dtype: 'float64' })).backward();
    expectAllClose(input.grad!.data, [2 / 3, 0, 2], { rtol: 1e-12 });
  });
});

describe('nn.binaryCrossEntropyWithLogits', () => {
  const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

  it('equals −[y·log σ(x) + (1 − y)·log(1 − σ(x))] for moderate logits', () => {
    const x = [-2, -0.5, 0, 0.3, 4];
    const y = [0, 1, 1, 0.25, 1];
    const expected = x.map((v, i) => -(y[i]! * Math.log(sigmoid(v)) + (1 - y[i]!) * Math.log(1 - sigmoid(v))));
    const out = nn.binaryCrossEntropyWithLogits(tensor(x, { dtype: 'float64' }), tensor(y, { dtype: 'float64' }), { reduction: 'none' });
    expectAllClose(out.data, expected, { rtol: 1e-12 });
  });

  it('stays finite and exact for huge logits', () => {
    const out = nn.binaryCrossEntropyWithLogits(tensor([100, -100, 800], { dtype: 'float64' }), tensor([0, 1, 1], { dtype: 'float64' }), { reduction: 'none' });
    expectAllClose(out.data, [100, 100, 0], { rtol: 1e-12 });
  });

  it('has gradient (σ(x) − y)/N, including at x = 0', () => {
    manualSeed(2);
    const x = tensor([0, 0, -1.5, 2], { dtype: 'float64', requiresGrad: true });
    const y = [0, 1, 0.5, 1];
    nn.binaryCrossEntropyWithLogits(x, tensor(y, { dtype: 'float64' })).backward();
    expectAllClose(x.grad!.data, [0, 0, -1.5, 2].map((v, i) => (sigmoid(v) - y[i]!) / 4), { rtol: 1e-12 });
  });
});
