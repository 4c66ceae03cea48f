import { describe, expect, it } from 'vitest';
import { NonFiniteError, manualSeed, randn, type Tensor } from '../src/index.js';
import { GradientError } from '../src/errors.js';
import { monitor } from '../src/guards/monitor.js';
import { nanTrap } from '../src/guards/nan-trap.js';
import { guardedStep } from '../src/guards/policies.js';
import { spikeDetection } from '../src/guards/spike.js';
import { Linear, ReLU, Sequential, mseLoss } from '../src/nn/index.js';
import { SGD } from '../src/nn/optim/index.js';

function setup(momentum = 0) {
  manualSeed(21);
  const model = new Sequential(new Linear(3, 8), new ReLU(), new Linear(8, 1));
  const optimizer = new SGD(model.parameters(), { lr: 0.05, momentum });
  const x = randn([16, 3]);
  const y = randn([16, 1]);
  /** One forward + backward; `poison` multiplies the loss by NaN so every gradient is NaN. */
  const pass = (poison = false, guards = [nanTrap({ action: 'skip' })]) => {
    optimizer.zeroGrad();
    const loss = mseLoss(model.forward(x), y).mul(poison ? NaN : 1);
    return { report: loss.backward({ guards }), loss: loss.item() };
  };
  return { model, optimizer, pass };
}

const copies = (params: readonly Tensor[]) => params.map((p) => Array.from(p.data));
const allFinite = (params: readonly Tensor[]) => params.every((p) => p.data.every(Number.isFinite));

describe('guardedStep (scenario 5: optax apply_if_finite semantics)', () => {
  it('skips three non-finite steps in a row and throws at the fourth, never letting a NaN into the weights', () => {
    const { model, optimizer, pass } = setup();
    const guarded = guardedStep(optimizer, { maxConsecutiveSkips: 3 });
    for (let i = 0; i < 5; i++) expect(guarded.step(pass().report).applied).toBe(true);
    const before = copies(model.parameters());
    for (let k = 1; k <= 3; k++) {
      const outcome = guarded.step(pass(true).report);
      expect(outcome).toMatchObject({ applied: false, reason: 'non-finite', consecutiveSkips: k });
      expect(allFinite(model.parameters())).toBe(true);
      expect(copies(model.parameters())).toEqual(before);
    }
    expect(() => guarded.step(pass(true).report)).toThrow(NonFiniteError);
    expect(allFinite(model.parameters())).toBe(true);
    expect(copies(model.parameters())).toEqual(before);
  });

  it('also catches non-finite gradients with no nanTrap, from the report total norm', () => {
    const { model, optimizer, pass } = setup();
    const guarded = guardedStep(optimizer, { maxConsecutiveSkips: 1 });
    expect(guarded.step(pass(true, []).report).reason).toBe('non-finite');
    expect(() => guarded.step(pass(true, []).report)).toThrow(/2 steps in a row were skipped, more than maxConsecutiveSkips = 1/);
    expect(allFinite(model.parameters())).toBe(true);
  });

  it('applies a step whose gradients are all zero (finite, norm 0)', () => {
    const { model, optimizer } = setup();
    const guarded = guardedStep(optimizer, { maxConsecutiveSkips: 0 });
    optimizer.zeroGrad();
    const report = model.forward(randn([2, 3])).mul(0).sum().backward();
    expect(report.totalNorm).toBe(0);
    expect(guarded.step(report).applied).toBe(true);
  });

  it('resets the count after a good step', () => {
    const { optimizer, pass } = setup();
    const guarded = guardedStep(optimizer, { maxConsecutiveSkips: 3 });
    for (let i = 0; i < 3; i++) guarded.step(pass(true).report);
    expect(guarded.step(pass().report)).toMatchObject({ applied: true, consecutiveSkips: 0 });
    for (let i = 0; i < 3; i++) expect(guarded.step(pass(true).report).applied).toBe(false);
    expect(guarded.totalSkips).toBe(6);
    expect(guarded.totalApplied).toBe(1);
  });

  it('leaves the optimizer state untouched on a skipped step and clears the gradients', () => {
    const { model, optimizer, pass } = setup(0.9);
    const guarded = guardedStep(optimizer);
    guarded.step(pass().report);
    const state = optimizer.stateDict();
    guarded.step(pass(true).report);
    expect(optimizer.stateDict()).toEqual(state);
    expect(model.parameters().every((p) => p.grad === null)).toBe(true);
  });

  it('throws at the first non-finite step with terminateOnNaN, naming the op that produced it', () => {
    const { optimizer, pass } = setup();
    const guarded = guardedStep(optimizer, { terminateOnNaN: true, maxConsecutiveSkips: 10 });
    guarded.step(pass().report);
    const error = (() => {
      try {
        guarded.step(pass(true).report);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(NonFiniteError);
    expect((error as NonFiniteError).op).toBe('mul');
  });

  it('skips a loss spike and halves the learning rate, not below minLr', () => {
    const { optimizer, pass } = setup();
    const guarded = guardedStep(optimizer, { spikeDetector: spikeDetection(), lrBackoff: { factor: 0.5, minLr: 0.02 } });
    for (let i = 0; i < 5; i++) {
      const { report, loss } = pass();
      expect(guarded.step(report, { loss, batch: i }).applied).toBe(true);
    }
    const { report, loss } = pass();
    const outcome = guarded.step(report, { loss: loss * 100, batch: 5 });
    expect(outcome).toMatchObject({ applied: false, reason: 'spike' });
    expect(outcome.spike?.batches).toEqual([4, 5]);
    expect(guarded.learningRates()).toEqual([0.025]);
    guarded.step(report, { loss: loss * 100, batch: 6 });
    expect(guarded.learningRates()).toEqual([0.02]);
  });

  it("tells a monitor about each applied step, so its records carry update ratios", () => {
    const { optimizer, pass } = setup();
    const m = monitor();
    const guarded = guardedStep(optimizer, { monitor: m });
    guarded.step(pass(false, [m]).report);
    expect(m.latest()!.updateRatio).toBeGreaterThan(0);
  });

  it('rejects a bad maxConsecutiveSkips and a bad back-off factor', () => {
    const { optimizer } = setup();
    expect(() => guardedStep(optimizer, { maxConsecutiveSkips: -1 })).toThrow(/maxConsecutiveSkips/);
    expect(() => guardedStep(optimizer, { lrBackoff: { factor: 2 } })).toThrow(/factor/);
  });

  it('throws a GradientError, not a NonFiniteError, when the streak is made of finite spikes', () => {
    const { optimizer, pass } = setup();
    const guarded = guardedStep(optimizer, { spikeDetector: spikeDetection(), maxConsecutiveSkips: 0 });
    const { report, loss } = pass();
    guarded.step(report, { loss });
    guarded.step(pass().report, { loss });
    expect(() => guarded.step(pass().report, { loss: loss * 1000 })).toThrow(GradientError);
  });
});
