import { describe, expect, it } from 'vitest';
import { manualSeed } from '../src/index.js';
import { spirals } from '../src/data/index.js';
import { diagnose } from '../src/guards/diagnose.js';
import { monitor, type Monitor } from '../src/guards/monitor.js';
import { parseMonitorJSONLines } from '../src/guards/monitor-export.js';
import { crossEntropy, mlp, type MlpOptions } from '../src/nn/index.js';
import { SGD } from '../src/nn/optim/index.js';

const hidden = (layers: number, width: number) => Array<number>(layers).fill(width);

/** Trains an MLP on spirals with SGD under a monitor, stopping after `steps` or at the first non-finite loss. */
function train(sizes: number[], options: MlpOptions, lr: number, steps: number) {
  manualSeed(0);
  const { x, y } = spirals({ samplesPerClass: 50, classes: 3 });
  const model = mlp(sizes, options);
  const optimizer = new SGD(model.parameters(), { lr });
  const m: Monitor = monitor();
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    optimizer.zeroGrad();
    const loss = crossEntropy(model.forward(x), y);
    loss.backward({ guards: [m] });
    losses.push(loss.item());
    if (!Number.isFinite(loss.item())) break;
    optimizer.step();
    m.afterStep();
  }
  return { model, monitor: m, losses };
}

describe('diagnose (scenario 1): a 20-layer ReLU MLP at 3 × He std, SGD lr 0.1, spirals', () => {
  const run = train([2, ...hidden(20, 32), 3], { init: 'kaimingNormal', gain: 3 }, 0.1, 200);

  it('turns non-finite within 200 steps, and the diagnosis says the gradients explode', () => {
    expect(Number.isFinite(run.losses[run.losses.length - 1]!)).toBe(false);
    const result = diagnose(run.monitor, { model: run.model, learningRate: 0.1 });
    expect(result.verdict).toBe('exploding');
    expect(result.summary).toMatch(/^Gradients are exploding/);
  });

  it('names the blocks (Linear + ReLU) whose amplification stays above 1, at about the gain each', () => {
    const result = diagnose(run.monitor);
    const pairs = result.amplifyingBlocks.filter((b) => b.modules.length === 2);
    expect(pairs.length).toBeGreaterThanOrEqual(15); // of the 19 measurable Linear + ReLU blocks
    const factors = pairs.map((b) => b.amplification).sort((a, b) => a - b);
    expect(factors[Math.floor(factors.length / 2)]!).toBeGreaterThan(2); // theory: ≈ 3 per block at 3 × He
    expect(pairs[0]!.fractionAboveOne).toBeGreaterThanOrEqual(0.9);
    expect(result.summary).toContain(`${pairs[0]!.modules.join('+')} (×`);
  });

  it("reports each Linear weight's init std against He's √(2/fan_in), measured from the weights", () => {
    const result = diagnose(run.monitor);
    const hiddenWeights = result.initialization.filter((c) => c.fanIn === 32);
    expect(hiddenWeights).toHaveLength(20);
    for (const check of hiddenWeights) {
      expect(check.heStd).toBeCloseTo(Math.sqrt(2 / 32), 12);
      expect(check.ratio).toBeGreaterThan(2.7); // sample std of 1,024 draws at 3 × He
      expect(check.ratio).toBeLessThan(3.3);
    }
    expect(result.causes[0]!.kind).toBe('init-scale');
    expect(result.summary).toMatch(/He's √\(2\/fan_in\)/);
    expect(result.remedies.map((r) => r.call).join(' ')).toContain("init: 'kaimingNormal'");
  });

  it('gives the first non-finite event: its step, op and module', () => {
    const result = diagnose(run.monitor);
    const first = result.firstNonFinite!;
    expect(first.step).toBe(run.losses.length - 1);
    expect(first.phase).toBe('forward');
    expect(first.op).toBe('linear');
    expect(Number(first.module)).toBeGreaterThanOrEqual(0);
    expect(run.model.namedModules().find(([path]) => path === first.module)?.[1].constructor.name).toBe('Linear');
    expect(result.summary).toContain(`step ${first.step}`);
    expect(result.summary).toContain(`module '${first.module}'`);
  });

  it('reaches the same verdict from the JSON lines export', () => {
    const again = diagnose(parseMonitorJSONLines(run.monitor.toJSONLines()));
    expect(again.verdict).toBe('exploding');
    expect(again.firstNonFinite).toEqual(diagnose(run.monitor).firstNonFinite);
  });
});

describe('diagnose (scenario 2): healthy and vanishing networks', () => {
  it('says healthy for the same network with He init and a small learning rate', () => {
    const run = train([2, ...hidden(20, 32), 3], { init: 'kaimingNormal' }, 0.01, 20);
    expect(run.losses.every(Number.isFinite)).toBe(true);
    const result = diagnose(run.monitor, { model: run.model });
    expect(result.verdict).toBe('healthy');
    expect(result.depthProduct).toBeGreaterThan(1e-2);
    expect(result.depthProduct).toBeLessThan(1e2);
    expect(result.causes).toEqual([]);
    expect(result.summary).toMatch(/^Gradients are healthy/);
  });

  it('says vanishing for 50 Tanh layers at std 0.5/√fan_in, and blames the init and the saturating activation', () => {
    const run = train([2, ...hidden(50, 32), 3], { init: 'kaimingNormal', gain: 0.5 / Math.SQRT2, activation: 'tanh' }, 0.01, 3);
    const result = diagnose(run.monitor, { model: run.model });
    expect(result.verdict).toBe('vanishing');
    expect(result.depthProduct).toBeLessThan(1e-10); // ≈ 0.5⁴⁹ by the chain rule, less where tanh saturates
    expect(result.causes.map((c) => c.kind)).toEqual(expect.arrayContaining(['init-scale', 'saturating-activation', 'no-normalization']));
    expect(result.remedies.map((r) => r.call).join(' ')).toContain('residual: true');
    expect(result.summary).toMatch(/^Gradients are vanishing/);
  });
});
