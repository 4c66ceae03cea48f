import { describe, expect, it } from 'vitest';
import { optim, tensor } from '../src/index.js';
import { expectAllClose } from './helpers.js';

function sgd(lr = 0.1): optim.SGD {
  return new optim.SGD([tensor([1], { requiresGrad: true })], { lr });
}

/** The learning rate after 0, 1, …, n − 1 calls of `step()`. */
function rates(scheduler: optim.LRScheduler, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    out.push(scheduler.getLastLr()[0]!);
    scheduler.step();
  }
  return out;
}

describe('learning-rate schedules', () => {
  it('StepLR multiplies by γ every stepSize epochs', () => {
    const scheduler = new optim.StepLR(sgd(0.1), { stepSize: 2, gamma: 0.5 });
    expectAllClose(rates(scheduler, 6), [0.1, 0.1, 0.05, 0.05, 0.025, 0.025], { rtol: 1e-15 });
  });

  it('CosineAnnealingLR follows η_min + (η₀ − η_min)(1 + cos(πt/T))/2', () => {
    const scheduler = new optim.CosineAnnealingLR(sgd(0.1), { tMax: 4, etaMin: 0.01 });
    const expected = [0, 1, 2, 3, 4].map((t) => 0.01 + (0.09 * (1 + Math.cos((Math.PI * t) / 4))) / 2);
    expectAllClose(rates(scheduler, 5), expected, { rtol: 1e-14 });
  });

  it('LinearWarmup climbs linearly to the base rate and stays there', () => {
    const scheduler = new optim.LinearWarmup(sgd(0.1), { warmupSteps: 4 });
    expectAllClose(rates(scheduler, 6), [0.025, 0.05, 0.075, 0.1, 0.1, 0.1], { rtol: 1e-14 });
  });

  it('LinearLR has the PyTorch defaults 1/3 → 1 over 5 epochs', () => {
    const scheduler = new optim.LinearLR(sgd(0.3));
    expectAllClose(rates(scheduler, 7), [0.1, 0.14, 0.18, 0.22, 0.26, 0.3, 0.3], { rtol: 1e-13 });
  });

  it('SequentialLR runs warm-up, then cosine counted from its milestone', () => {
    const optimizer = sgd(0.1);
    const warmup = new optim.LinearWarmup(optimizer, { warmupSteps: 2, startFactor: 0.5 });
    const cosine = new optim.CosineAnnealingLR(optimizer, { tMax: 2 });
    const scheduler = new optim.SequentialLR(optimizer, [warmup, cosine], [2]);
    expectAllClose(rates(scheduler, 5), [0.05, 0.1, 0.1, 0.05, 0], { rtol: 1e-14, atol: 1e-17 });
  });

  it('the optimizer uses the scheduled rate in its next step', () => {
    const param = tensor([1], { dtype: 'float64', requiresGrad: true });
    const optimizer = new optim.SGD([param], { lr: 1 });
    const scheduler = new optim.StepLR(optimizer, { stepSize: 1, gamma: 0.1 });
    for (let i = 0; i < 2; i++) {
      param.grad = tensor([1], { dtype: 'float64' });
      optimizer.step();
      scheduler.step();
    }
    expectAllClose(param.data[0]!, 1 - 1 - 0.1, { rtol: 1e-14 });
  });

  it('rejects a bad configuration', () => {
    expect(() => new optim.StepLR(sgd(), { stepSize: 0 })).toThrow(/stepSize/);
    const optimizer = sgd();
    const a = new optim.StepLR(optimizer, { stepSize: 1 });
    expect(() => new optim.SequentialLR(optimizer, [a], [3])).toThrow(/milestone/);
  });
});
