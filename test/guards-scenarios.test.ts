import { describe, expect, it } from 'vitest';
import { NonFiniteError, Tensor, data, guards, manualSeed, nn, noGrad, optim, type Guard } from '../src/index.js';

/*
 * The training scenarios, seeded and deterministic. Full-batch SGD on 3-class spirals.
 * 1/2: a 20-layer ReLU MLP (19 hidden layers of 16) initialised at 3× He explodes at step 0.
 * 2b: a healthy 10-layer He-initialised ReLU MLP meets three outlier batches (inputs × 1000).
 */

interface Run {
  losses: number[];
  /** The first step whose loss is NaN or ±Inf, or -1. */
  nonFiniteAt: number;
}

function explodingSetup(): { model: nn.Sequential; x: Tensor; y: Tensor; optimizer: optim.SGD } {
  manualSeed(0);
  const { x, y } = data.spirals({ samplesPerClass: 30, classes: 3 });
  const model = nn.mlp([2, ...Array<number>(19).fill(16), 3], { init: 'kaimingNormal', gain: 3 });
  return { model, x, y, optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }) };
}

function train(steps: number, guardList: Guard[]): Run {
  const { model, x, y, optimizer } = explodingSetup();
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    optimizer.zeroGrad();
    const loss = nn.crossEntropy(model.forward(x), y);
    losses.push(loss.item());
    if (!Number.isFinite(loss.item())) return { losses, nonFiniteAt: step };
    loss.backward({ guards: guardList });
    optimizer.step();
  }
  return { losses, nonFiniteAt: -1 };
}

/** The first Linear whose output is non-finite although its input is finite, found layer by layer. */
function firstNonFiniteLinear(model: nn.Sequential, x: Tensor): string | null {
  return noGrad(() => {
    let h = x;
    for (let index = 0; index < model.length; index++) {
      const input = h;
      h = model.at(index).forward(h);
      const born = input.data.every(Number.isFinite) && !h.data.every(Number.isFinite);
      if (born) return model.at(index) instanceof nn.Linear ? String(index) : `not a Linear: ${index}`;
    }
    return null;
  });
}

describe('scenario 1: a 20-layer ReLU MLP at 3× He init explodes', () => {
  it('unguarded, the loss becomes non-finite within 200 steps', () => {
    const run = train(200, []);
    expect(run.nonFiniteAt).toBeGreaterThanOrEqual(0);
    expect(run.nonFiniteAt).toBeLessThan(200);
  });

  it('under detectAnomaly the error names the forward op and the Linear where the first Inf was born', () => {
    const { model, x, y, optimizer } = explodingSetup();
    let error: unknown;
    try {
      guards.detectAnomaly(() => {
        for (let step = 0; step < 200; step++) {
          optimizer.zeroGrad();
          nn.crossEntropy(model.forward(x), y).backward();
          optimizer.step();
        }
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(NonFiniteError);
    const anomaly = error as NonFiniteError;
    expect(anomaly.phase).toBe('forward');
    expect(anomaly.op).toBe('linear');
    expect(model.at(Number(anomaly.module))).toBeInstanceOf(nn.Linear);
    expect(anomaly.module).toBe(firstNonFiniteLinear(model, x));
    expect(anomaly.message).toContain('guards-scenarios.test.ts');
  });
});

describe('scenario 2: in-backward clipping saves the exploding network from step 0', () => {
  const cases: Array<[string, () => Guard]> = [
    ['globalNormClip({ maxNorm: 1 })', () => guards.globalNormClip({ maxNorm: 1 })],
    ['agc()', () => guards.agc()],
  ];
  for (const [label, makeGuard] of cases) {
    it(`with ${label} the loss stays finite for 500 steps and ends at least 50× below the initial loss`, () => {
      const run = train(500, [makeGuard()]);
      expect(run.nonFiniteAt).toBe(-1);
      expect(run.losses).toHaveLength(500);
      expect(run.losses[499]!).toBeLessThan(run.losses[0]! / 50);
    });
  }
});

describe('scenario 2b: outlier batches in a healthy deep ReLU MLP', () => {
  const outlierSteps = new Set([60, 120, 180]);
  const steps = 240;

  /**
   * The median clean loss over steps [start, end): the typical loss of one phase between outliers.
   * why: full-batch SGD at lr 0.1 on this net sits at the edge of stability, so single steps bump
   * the loss up and down (the unguarded run without outliers does too); a phase's median is robust.
   */
  function phaseMedian(losses: readonly number[], start: number, end: number): number {
    const phase = losses.slice(start, end).sort((a, b) => a - b);
    return phase[phase.length >> 1]!;
  }

  /** Trains; returns the first step whose clean loss is non-finite (or -1) and the clean loss after every step. */
  function trainWithOutliers(guardList: Guard[]): { nonFiniteAt: number; clean: number[] } {
    manualSeed(0);
    const { x, y } = data.spirals({ samplesPerClass: 40, classes: 3 });
    const outlier = noGrad(() => x.mul(1000));
    const model = nn.mlp([2, ...Array<number>(9).fill(16), 3], { init: 'kaimingNormal' });
    const optimizer = new optim.SGD(model.parameters(), { lr: 0.1 });
    const clean: number[] = [];
    for (let step = 0; step < steps; step++) {
      optimizer.zeroGrad();
      const report = nn.crossEntropy(model.forward(outlierSteps.has(step) ? outlier : x), y).backward({ guards: guardList });
      if (!report.skipped) optimizer.step();
      clean.push(noGrad(() => nn.crossEntropy(model.forward(x), y).item()));
      if (!Number.isFinite(clean[step]!)) return { nonFiniteAt: step, clean };
    }
    return { nonFiniteAt: -1, clean };
  }

  it('unguarded, the run turns non-finite right after the first outlier', () => {
    const run = trainWithOutliers([]);
    expect(run.nonFiniteAt).toBeGreaterThanOrEqual(60);
    expect(run.nonFiniteAt).toBeLessThan(65);
  });

  const cases: Array<[string, () => Guard]> = [
    ['zclip()', () => guards.zclip()],
    ['autoClip()', () => guards.autoClip()],
    ['globalNormClip({ maxNorm: 1 })', () => guards.globalNormClip({ maxNorm: 1 })],
  ];
  for (const [label, makeGuard] of cases) {
    it(`with ${label} it survives all three outliers and the clean loss keeps falling`, () => {
      const run = trainWithOutliers([makeGuard()]);
      expect(run.nonFiniteAt).toBe(-1);
      // The phases before the first outlier, between the outliers and after the last: falling throughout.
      const medians = [0, 60, 120, 180].map((start) => phaseMedian(run.clean, start, start + 60));
      for (let i = 1; i < medians.length; i++) expect(medians[i]!).toBeLessThan(medians[i - 1]!);
    });
  }
});
