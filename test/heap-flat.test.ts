import { describe, expect, it } from 'vitest';
import { data, manualSeed, nn, optim } from '../src/index.js';
import { settledHeap } from './gc.js';

/*
 * A training loop must not leak: every step builds a graph, runs backward and updates the
 * parameters, and all of it except the parameters, their gradients and the optimizer state must
 * be garbage afterwards. The heap is measured after full collections, once the loop has warmed
 * up (JIT code and the optimizer's first allocations), and again after 10,000 more steps.
 */

const STEPS = 10_000;
const WARMUP = 300;

describe('heap over a long training run', () => {
  it('stays flat over 10,000 SGD steps of a 2-16-16-2 MLP on a fixed batch', async () => {
    manualSeed(0);
    const { x, y } = data.twoMoons({ samples: 32, noise: 0.1 });
    const model = nn.mlp([2, 16, 16, 2], { activation: 'tanh' });
    const optimizer = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    const step = (): number => {
      optimizer.zeroGrad();
      const loss = nn.crossEntropy(model.forward(x), y);
      loss.backward();
      optimizer.step();
      return loss.item();
    };

    const firstLoss = step();
    for (let i = 1; i < WARMUP; i++) step();
    const before = await settledHeap();
    const start = performance.now();
    let lastLoss = Number.NaN;
    for (let i = 0; i < STEPS; i++) lastLoss = step();
    const seconds = (performance.now() - start) / 1000;
    const growthMb = ((await settledHeap()) - before) / 1e6;

    console.log(`heap growth over ${STEPS} steps: ${growthMb.toFixed(2)} MB (${seconds.toFixed(1)} s, loss ${firstLoss.toFixed(3)} → ${lastLoss.toFixed(4)})`);
    expect(lastLoss).toBeLessThan(firstLoss / 4); // it really trained
    expect(Math.abs(growthMb)).toBeLessThan(5); // a leak of 500 bytes per step would exceed it
  }, 60_000);
});
