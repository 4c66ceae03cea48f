import { describe, expect, it } from 'vitest';
import { manualSeed } from '../src/index.js';
import { spirals } from '../src/data/index.js';
import { monitor } from '../src/guards/monitor.js';
import { guardedStep } from '../src/guards/policies.js';
import { spikeDetection, zScoreSpike } from '../src/guards/spike.js';
import { crossEntropy, mlp } from '../src/nn/index.js';
import { SGD } from '../src/nn/optim/index.js';

/**
 * Full-batch SGD with momentum on spirals (a smooth loss curve) under a monitor, with a separate
 * z-score rule on the loss. `spikeAt` multiplies that step's loss (and so its gradients) by 100.
 */
function run(steps: number, spikeAt = -1) {
  manualSeed(0);
  const { x, y } = spirals({ samplesPerClass: 50, classes: 3 });
  const model = mlp([2, 32, 32, 3], { init: 'kaimingNormal' });
  const optimizer = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
  const m = monitor();
  const z = zScoreSpike();
  const guarded = guardedStep(optimizer, { spikeDetector: spikeDetection() });
  const zEvents: number[] = [];
  const skipped: number[] = [];
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    guarded.zeroGrad();
    const loss = crossEntropy(model.forward(x), y).mul(step === spikeAt ? 100 : 1);
    m.recordBatch(step);
    const report = loss.backward({ guards: [m] });
    losses.push(loss.item());
    if (z.observe(loss.item(), { step }) !== null) zEvents.push(step);
    if (!guarded.step(report, { loss: loss.item(), batch: step }).applied) skipped.push(step);
  }
  return { monitor: m, zEvents, skipped, losses };
}

describe('spike detection (scenario 3)', () => {
  it('raises no spike event in a smooth 1,000-step run', () => {
    const { monitor: m, zEvents, skipped, losses } = run(1000);
    expect(losses[999]!).toBeLessThan(losses[0]! / 5); // it did train
    expect(m.spikes()).toEqual([]);
    expect(zEvents).toEqual([]);
    expect(skipped).toEqual([]);
  });

  it('flags an injected 100× loss spike in the step it happens, names its batch, and the guarded step skips it', () => {
    const { monitor: m, zEvents, skipped, losses } = run(400, 300);
    const lossEvents = m.spikes().filter((e) => e.signal === 'loss');
    expect(lossEvents.map((e) => e.step)).toEqual([300]);
    expect(lossEvents[0]!.value).toBe(losses[300]);
    expect(m.spikes().filter((e) => e.signal === 'gradNorm').map((e) => e.step)).toEqual([300]);
    expect(m.badBatches()).toEqual([299, 300]);
    expect(m.history().find((r) => r.step === 300)!.spikes).toEqual(['loss', 'gradNorm']);
    expect(zEvents).toEqual([300]);
    expect(skipped).toEqual([300]);
    expect(losses[399]!).toBeLessThan(losses[299]!); // training went on
  });
});
