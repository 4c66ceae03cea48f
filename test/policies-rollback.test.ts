import { describe, expect, it } from 'vitest';
import { NonFiniteError, manualSeed, randn, type Tensor } from '../src/index.js';
import { rollback } from '../src/guards/rollback.js';
import { spikeDetection } from '../src/guards/spike.js';
import { Linear, ReLU, Sequential, mseLoss } from '../src/nn/index.js';
import { Adam, type OptimizerStateDict } from '../src/nn/optim/index.js';

function setup() {
  manualSeed(31);
  const model = new Sequential(new Linear(3, 8), new ReLU(), new Linear(8, 1));
  const optimizer = new Adam(model.parameters(), { lr: 1e-2 });
  const x = randn([16, 3]);
  const y = randn([16, 1]);
  const pass = (poison = false) => {
    optimizer.zeroGrad();
    const loss = mseLoss(model.forward(x), y).mul(poison ? Infinity : 1);
    return { report: loss.backward(), loss: loss.item() };
  };
  return { model, optimizer, pass };
}

/** The bytes of a float buffer, for bit-for-bit comparison (NaN payloads and -0 included). */
const bytes = (data: Float32Array | Float64Array) => Array.from(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
const paramBytes = (params: readonly Tensor[]) => params.map((p) => bytes(p.data));
const stateBytes = (state: OptimizerStateDict) =>
  Object.entries(state.state).map(([key, entry]) => ({
    key, step: entry.step, buffers: Object.entries(entry.buffers).map(([name, t]) => [name, bytes(t.data)]),
  }));

describe('rollback (scenario 4: the PaLM recipe)', () => {
  it('restores parameters and optimizer state bit for bit after a forced non-finite step, then trains on', () => {
    const { model, optimizer, pass } = setup();
    const guard = rollback(optimizer, { every: 5 });
    let atSnapshot: { params: number[][]; state: ReturnType<typeof stateBytes>; lr: number } | null = null;
    for (let step = 1; step <= 12; step++) {
      expect(guard.step(pass().report, { batch: step }).applied).toBe(true);
      if (step === 10) atSnapshot = { params: paramBytes(model.parameters()), state: stateBytes(optimizer.stateDict()), lr: optimizer.paramGroups[0]!.lr };
    }
    expect(guard.snapshotStep).toBe(10);
    expect(paramBytes(model.parameters())).not.toEqual(atSnapshot!.params); // steps 11 and 12 moved them

    const { report, loss } = pass(true);
    expect(Number.isFinite(loss)).toBe(false);
    const outcome = guard.step(report, { loss, batch: 13 });
    expect(outcome).toMatchObject({ applied: false, rolledBack: true, reason: 'non-finite', restoredStep: 10, skipped: [13] });
    expect(paramBytes(model.parameters())).toEqual(atSnapshot!.params);
    expect(stateBytes(optimizer.stateDict())).toEqual(atSnapshot!.state);
    expect(optimizer.paramGroups[0]!.lr).toBe(atSnapshot!.lr);
    expect(guard.shouldSkip(13)).toBe(true);

    const losses: number[] = [];
    for (let step = 14; step < 40; step++) {
      const next = pass();
      losses.push(next.loss);
      expect(guard.step(next.report, { loss: next.loss, batch: step }).applied).toBe(true);
    }
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]!);
  });

  it('goes one snapshot further back when the step right after a restore fails again', () => {
    const { model, optimizer, pass } = setup();
    const guard = rollback(optimizer, { every: 3, keep: 2 });
    let atThree: number[][] = [];
    for (let step = 1; step <= 7; step++) {
      guard.step(pass().report);
      if (step === 3) atThree = paramBytes(model.parameters());
    }
    expect(guard.step(pass(true).report).restoredStep).toBe(6);
    expect(guard.step(pass(true).report).restoredStep).toBe(3);
    expect(paramBytes(model.parameters())).toEqual(atThree);
  });

  it('skips every batch since the snapshot with skipSinceSnapshot, and gives up after maxConsecutiveRollbacks', () => {
    const { optimizer, pass } = setup();
    const guard = rollback(optimizer, { every: 10, skipSinceSnapshot: true, maxConsecutiveRollbacks: 2 });
    for (let batch = 0; batch < 4; batch++) guard.step(pass().report, { batch });
    expect(guard.step(pass(true).report, { batch: 4 }).skipped).toEqual([0, 1, 2, 3, 4]);
    expect(guard.skippedBatches()).toEqual([0, 1, 2, 3, 4]);
    guard.step(pass(true).report, { batch: 5 });
    expect(() => guard.step(pass(true).report, { batch: 6 })).toThrow(NonFiniteError);
  });

  it('rolls back on a loss spike when given a spike detector', () => {
    const { optimizer, pass } = setup();
    const guard = rollback(optimizer, { every: 2, spikeDetector: spikeDetection() });
    for (let batch = 0; batch < 4; batch++) {
      const { report, loss } = pass();
      guard.step(report, { loss, batch });
    }
    const { report, loss } = pass();
    const outcome = guard.step(report, { loss: loss * 100, batch: 4 });
    expect(outcome).toMatchObject({ rolledBack: true, reason: 'spike', skipped: [4] });
    expect(outcome.spike?.value).toBe(loss * 100);
  });

  it('rejects options that are not positive integers', () => {
    const { optimizer } = setup();
    expect(() => rollback(optimizer, { every: 0 })).toThrow(/every must be a positive integer/);
    expect(() => rollback(optimizer, { keep: 1.5 })).toThrow(/keep/);
  });
});
