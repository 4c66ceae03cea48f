import { describe, expect, it } from 'vitest';
import { Generator, Tensor, guards, kernelBackend, nn, optim, tensor } from '../src/index.js';
import { ELEMENTWISE_WASM_THRESHOLD } from '../src/tensor/wasm/backend.js';
import { UpdateMeter, measuredStepOf } from '../src/tensor/kernels/update-meter.js';
import { expectAllClose } from './helpers.js';

/*
 * A monitor's ‖ΔW‖/‖W‖ without a copy of the weights: when a monitor watches a parameter, the
 * optimizer sums Σw² (after the step) and Σ(Δw)² as it writes the step. The expected sums are
 * computed here from the values before and after the step, by the definition.
 */

type Make = (params: Tensor[]) => optim.Optimizer<optim.BaseOptions>;

/** Optimizers that measure their own step (plain SGD, in its kernel), and some that leave it to the copy. */
const MEASURING: Array<[string, Make]> = [
  ['SGD', (p) => new optim.SGD(p, { lr: 0.1 })],
  ['SGD with weight decay', (p) => new optim.SGD(p, { lr: 0.1, weightDecay: 0.01 })],
];
const COPIED: Array<[string, Make]> = [
  ['SGD with Nesterov momentum', (p) => new optim.SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true })],
  ['Adam with AMSGrad', (p) => new optim.Adam(p, { lr: 0.01, amsgrad: true })],
  ['RMSprop, centered, with momentum', (p) => new optim.RMSprop(p, { lr: 0.01, centered: true, momentum: 0.5 })],
];
/** Optimizers that measure their step only where their WebAssembly kernel runs (float32 from the threshold). */
const MEASURING_ON_WASM: Array<[string, Make]> = [
  ['Adam', (p) => new optim.Adam(p, { lr: 0.01 })],
  ['AdamW', (p) => new optim.AdamW(p, { lr: 0.01, weightDecay: 0.1 })],
];

function definition(after: ArrayLike<number>, before: ArrayLike<number>): [number, number] {
  let weight = 0;
  let update = 0;
  for (let i = 0; i < after.length; i++) {
    weight += after[i]! * after[i]!;
    update += (after[i]! - before[i]!) ** 2;
  }
  return [weight, update];
}

function randomParameter(size: number, seed: number): Tensor {
  const generator = new Generator(seed);
  return new Tensor(Float32Array.from({ length: size }, () => generator.uniform() - 0.5), [size], { requiresGrad: true });
}

describe('optimizers measure their own step for a watching monitor', () => {
  for (const [name, make] of COPIED) {
    it(`${name}: leaves ‖ΔW‖ to the meter's copy, which gives Σw² and Σ(Δw)² of each step`, () => {
      const params = [randomParameter(10, 1), randomParameter(4099, 2)];
      const optimizer = make(params);
      const meter = new UpdateMeter();
      for (const p of params) meter.remember(p, p.data, p.version);
      for (let step = 0; step < 3; step++) {
        const before = params.map((p) => p.data.slice());
        params.forEach((p, i) => (p.grad = randomParameter(p.size, 10 + 3 * step + i).detach()));
        optimizer.step();
        params.forEach((p, i) => {
          expect(measuredStepOf(p)).toBeUndefined();
          const measured = meter.measure(p, p.data, p.version);
          expectAllClose([measured.weight, measured.update], definition(p.data, before[i]!), { rtol: 1e-6, atol: 0, message: `${name}, ${p.size}, step ${step}` });
        });
      }
    });
  }

  for (const [name, make] of MEASURING) {
    it(`${name}: Σw² and Σ(Δw)² of each step, on small and WebAssembly-sized parameters`, () => {
      const params = [randomParameter(10, 1), randomParameter(4099, 2)];
      const optimizer = make(params);
      const meter = new UpdateMeter();
      for (const p of params) meter.remember(p, p.data, p.version);
      for (let step = 0; step < 3; step++) {
        const before = params.map((p) => p.data.slice());
        params.forEach((p, i) => (p.grad = randomParameter(p.size, 10 + 3 * step + i).detach()));
        const versions = params.map((p) => p.version);
        optimizer.step();
        params.forEach((p, i) => {
          const measured = measuredStepOf(p)!;
          expect(measured, `${name}, step ${step}`).toMatchObject({ versionBefore: versions[i], versionAfter: p.version });
          const expected = definition(p.data, before[i]!);
          expectAllClose([measured.weight, measured.update], expected, { rtol: 1e-6, atol: 0, message: `${name}, ${p.size}, step ${step}` });
          expect(meter.measure(p, p.data, p.version)).toEqual({ weight: measured.weight, update: measured.update });
        });
      }
    });
  }

  for (const [name, make] of MEASURING_ON_WASM) {
    it(`${name}: Σw² and Σ(Δw)² of each step from its WebAssembly kernel, the meter's copy for the rest`, () => {
      const params = [randomParameter(10, 1), randomParameter(4099, 2)];
      const optimizer = make(params);
      const meter = new UpdateMeter();
      for (const p of params) meter.remember(p, p.data, p.version);
      for (let step = 0; step < 3; step++) {
        const before = params.map((p) => p.data.slice());
        params.forEach((p, i) => (p.grad = randomParameter(p.size, 10 + 3 * step + i).detach()));
        const versions = params.map((p) => p.version);
        optimizer.step();
        params.forEach((p, i) => {
          const expected = definition(p.data, before[i]!);
          const label = `${name}, ${p.size}, step ${step}`;
          if (p.size >= ELEMENTWISE_WASM_THRESHOLD && kernelBackend() === 'wasm') {
            const measured = measuredStepOf(p)!;
            expect(measured, label).toMatchObject({ versionBefore: versions[i], versionAfter: p.version });
            expectAllClose([measured.weight, measured.update], expected, { rtol: 1e-6, atol: 0, message: label });
          } else expect(measuredStepOf(p), label).toBeUndefined();
          const viaMeter = meter.measure(p, p.data, p.version);
          expectAllClose([viaMeter.weight, viaMeter.update], expected, { rtol: 1e-6, atol: 0, message: `${label}, via the meter` });
        });
      }
    });
  }

  it('measure nothing for a parameter no monitor watches', () => {
    const param = randomParameter(600, 3);
    param.grad = tensor(new Array(600).fill(1));
    new optim.SGD([param], { lr: 0.1 }).step();
    expect(measuredStepOf(param)).toBeUndefined();
  });

  it('give the monitor ‖ΔW‖/‖W‖ through a rollback: NaN for the step that follows it, measured again after', () => {
    const model = nn.mlp([2, 64, 1]);
    const optimizer = new optim.SGD(model.parameters(), { lr: 0.1 });
    const monitor = guards.monitor();
    const x = tensor([[0.5, -1], [1, 2]]);
    const train = (): number => {
      optimizer.zeroGrad();
      model.forward(x).sum().backward({ guards: [monitor] });
      optimizer.step();
      monitor.afterStep();
      return monitor.latest()!.updateRatio;
    };
    expect(train()).toBeGreaterThan(0);
    expect(train()).toBeGreaterThan(0);
    const weight = model.parameters()[0]!;
    weight.data[0] = weight.data[0]! + 1; // weights restored from elsewhere, as a rollback does
    weight.bumpVersion();
    expect(train()).toBeNaN();
    expect(train()).toBeGreaterThan(0);
  });
});
