import { describe, expect, it } from 'vitest';
import { diagnose } from '../src/guards/diagnose.js';
import type { MonitorRecord } from '../src/guards/monitor.js';

/**
 * A hand-made record of a 2-block chain: Linear '0' (input needs no gradient), ReLU '1',
 * Linear '2', ReLU '3'. The product over depth is amplification('1') · a2 · a3.
 */
function record(step: number, a: { relu1?: number; linear2?: number; relu3?: number; totalNorm?: number } = {}): MonitorRecord {
  const { relu1 = 1, linear2 = 1, relu3 = 1, totalNorm = 1 } = a;
  return {
    step, totalNorm, clipScale: 1, ok: Number.isFinite(totalNorm), loss: 1, order: ['0', '1', '2', '3'],
    ops: { '0': 'linear', '1': 'relu', '2': 'linear', '3': 'relu' },
    layers: {
      '0': { gradNorm: 0.5, amplification: NaN },
      '1': { gradNorm: 0, amplification: relu1 },
      '2': { gradNorm: 0.5, amplification: linear2 },
      '3': { gradNorm: 0, amplification: relu3 },
    },
    parameters: {
      '0.weight': { gradNorm: 0.5, weightNorm: NaN, updateRatio: NaN },
      '2.weight': { gradNorm: 0.5, weightNorm: NaN, updateRatio: NaN },
    },
    nonFinite: null, weightNorm: NaN, updateRatio: NaN, spikes: [],
  };
}

describe('diagnose: the verdict rule', () => {
  it('is healthy at a product of exactly 1e2 and exploding just above it', () => {
    expect(diagnose([record(0, { linear2: 100 })]).verdict).toBe('healthy');
    expect(diagnose([record(0, { linear2: 101 })]).verdict).toBe('exploding');
  });

  it('is healthy at exactly 1e-2 and vanishing just below it', () => {
    expect(diagnose([record(0, { linear2: 1e-2 })]).verdict).toBe('healthy');
    expect(diagnose([record(0, { linear2: 0.99e-2 })]).verdict).toBe('vanishing');
  });

  it('multiplies the modules over depth rather than judging one module against 1', () => {
    // a Linear at 1.41 and its ReLU at 0.71, as with He init: healthy, though 1.41 > 1
    const result = diagnose([record(0, { relu1: 0.71, linear2: 1.41, relu3: 0.71 })]);
    expect(result.depthProduct).toBeCloseTo(0.71 * 1.41 * 0.71, 12);
    expect(result.verdict).toBe('healthy');
    expect(result.blocks.map((b) => b.modules)).toEqual([['0', '1'], ['2', '3']]);
    expect(result.blocks[1]!.amplification).toBeCloseTo(1.41 * 0.71, 12);
    expect(result.layers).toEqual([
      { module: '0', amplification: NaN }, { module: '1', amplification: 0.71 },
      { module: '2', amplification: 1.41 }, { module: '3', amplification: 0.71 },
    ]);
  });

  it('says exploding when a norm is not finite, even though nothing was measurable', () => {
    const result = diagnose([record(0, { totalNorm: NaN, relu1: NaN, linear2: NaN, relu3: NaN })]);
    expect(result.depthProduct).toBeNaN();
    expect(result.verdict).toBe('exploding');
    expect(diagnose([record(0, { totalNorm: Infinity })]).verdict).toBe('exploding');
  });

  it('says vanishing for an all-zero gradient', () => {
    expect(diagnose([record(0, { totalNorm: 0 })]).verdict).toBe('vanishing');
  });

  it('uses only the latest record for the verdict', () => {
    expect(diagnose([record(0, { linear2: 1e6 }), record(1)]).verdict).toBe('healthy');
  });

  it('handles an empty history', () => {
    const result = diagnose([]);
    expect(result.verdict).toBe('healthy');
    expect(result.step).toBe(-1);
    expect(result.summary).toMatch(/nothing to diagnose/);
  });
});

describe('diagnose: history facts', () => {
  it('gives the growth factor of the global norm per step by least squares on its logarithm', () => {
    const records = [0, 1, 2, 3, 4].map((step) => record(step, { totalNorm: 3 * 2 ** step }));
    expect(diagnose(records).normGrowthPerStep).toBeCloseTo(2, 12);
    expect(diagnose([record(0)]).normGrowthPerStep).toBeNull();
  });

  it('lists a block as amplifying when it is above 1 in at least 90 % of the records, with its geometric mean', () => {
    const ten = Array.from({ length: 10 }, (_, step) => record(step, { linear2: step === 0 ? 0.5 : 4, relu3: 1 }));
    const [block] = diagnose(ten).amplifyingBlocks;
    expect(block!.modules).toEqual(['2', '3']);
    expect(block!.fractionAboveOne).toBeCloseTo(0.9, 12);
    expect(block!.amplification).toBeCloseTo(Math.exp((Math.log(0.5) + 9 * Math.log(4)) / 10), 12);
    const eight = ten.map((r, step) => (step < 2 ? record(step, { linear2: 0.5 }) : r));
    expect(diagnose(eight).amplifyingBlocks).toEqual([]);
  });

  it('finds the first non-finite event in plain records', () => {
    const records = [record(0), record(1), record(2)];
    records[1]!.nonFinite = { op: 'exp', phase: 'forward', module: '2' };
    records[2]!.nonFinite = { op: 'log', phase: 'forward' };
    expect(diagnose(records).firstNonFinite).toEqual({ op: 'exp', phase: 'forward', module: '2', step: 1 });
  });

  it('blames a high update-to-weight ratio on the learning rate when exploding', () => {
    const records = [record(0), record(1, { linear2: 1000 })];
    records[0]!.updateRatio = 0.2;
    const result = diagnose(records, { learningRate: 0.5 });
    expect(result.causes.map((c) => c.kind)).toContain('learning-rate');
    expect(result.summary).toContain('learning rate 0.5');
    expect(result.remedies.map((r) => r.call).join(' ')).toContain('lr / 10');
  });
});

describe('diagnose: a sudden jump of the global norm', () => {
  const calm = [1.0, 1.2, 0.9, 1.1, 1.0, 0.95, 1.05];
  const history = (norms: number[]): MonitorRecord[] => norms.map((n, step) => record(step, { totalNorm: n, linear2: Number.isFinite(n) ? 1 : NaN }));
  const jumpCause = (norms: number[]) => diagnose(history(norms)).causes.find((c) => c.kind === 'sudden-jump');

  it('names the step where the norm leaps above 10 × the recent median after calm steps', () => {
    const cause = jumpCause([...calm, 300, NaN]);
    expect(cause?.message).toMatch(/at step 7 the global gradient norm jumped to 300, 300 × the median 1\.00 of the steps before/);
    expect(diagnose(history([...calm, 300, NaN])).remedies.map((r) => r.call)).toContain('guards.zclip() and guards.rollback(optimizer, { every: 50 })');
  });

  it('counts a calm step followed directly by a non-finite one as a jump', () => {
    expect(jumpCause([...calm, NaN])?.message).toMatch(/at step 7 the global gradient norm turned non-finite after a median of 1\.00/);
  });

  it('does not call steady exponential growth a jump, even when it ends in NaN', () => {
    const growing = Array.from({ length: 40 }, (_, step) => 1.5 ** step);
    expect(jumpCause([...growing, NaN])).toBeUndefined();
  });

  it('needs five steps of history before anything counts as a jump', () => {
    expect(jumpCause([1, 1, 1, 1, 1000, NaN])).toBeUndefined();
  });
});
