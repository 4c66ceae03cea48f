import { describe, expect, it } from 'vitest';
import { GradientView, manualSeed, randn, tensor, type BackwardReport, type PassControl } from '../src/index.js';
import { nanTrap } from '../src/guards/nan-trap.js';
import { monitor } from '../src/guards/monitor.js';
import { parseMonitorJSONLines } from '../src/guards/monitor-export.js';
import { Linear, ReLU, Sequential, mseLoss } from '../src/nn/index.js';
import { SGD } from '../src/nn/optim/index.js';

function norm(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]! ** 2;
  return Math.sqrt(s);
}

function tinyModel() {
  manualSeed(1);
  return new Sequential(new Linear(2, 3), new ReLU(), new Linear(3, 1));
}

describe('monitor: history', () => {
  it('returns the same record objects on every call, with afterStep\'s figures filled in later', () => {
    const model = tinyModel();
    const m = monitor();
    const optimizer = new SGD(model.parameters(), { lr: 0.1 });
    const x = tensor([[1, 2], [3, -1]]);
    const y = tensor([[1], [0]]);
    for (let step = 0; step < 2; step++) {
      optimizer.zeroGrad();
      mseLoss(model.forward(x), y).backward({ guards: [m] });
      const before = m.latest()!;
      expect(before.weightNorm).toBeNaN();
      optimizer.step();
      m.afterStep();
      expect(m.latest()).toBe(before);
      expect(m.history()[step]).toBe(before);
      const weight = model.parameters()[0]!;
      expect(before.parameters['0.weight']!.weightNorm).toBeCloseTo(norm(weight.data), 5);
      if (step === 1) expect(before.updateRatio).toBeGreaterThan(0);
    }
  });

  it('counts passes from 0 and reads the loss from the scalar backward starts from', () => {
    const model = tinyModel();
    const m = monitor();
    const x = randn([4, 2]);
    const losses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const loss = model.forward(x).pow(2).mean();
      losses.push(loss.item());
      loss.backward({ guards: [m] });
    }
    expect(m.history().map((r) => r.step)).toEqual([0, 1, 2]);
    expect(m.history().map((r) => r.loss)).toEqual(losses);
    expect(m.steps).toBe(3);
  });

  it('takes the loss given to recordLoss over the root value, and tags the pass with its batch', () => {
    const model = tinyModel();
    const m = monitor();
    m.recordLoss(42);
    m.recordBatch([7, 8]);
    model.forward(randn([4, 2])).sum().backward({ guards: [m] });
    expect(m.latest()!.loss).toBe(42);
    expect(m.latest()!.batch).toEqual([7, 8]);
  });

  it('records weight norms and ‖ΔW‖/‖W‖ after an SGD step, equal to lr·‖g‖ / ‖W_new‖', () => {
    const model = tinyModel();
    const optimizer = new SGD(model.parameters(), { lr: 0.1 });
    const m = monitor();
    mseLoss(model.forward(randn([8, 2])), randn([8, 1])).backward({ guards: [m] });
    const weight = (model.at(0) as Linear).weight;
    const gradNorm = norm(weight.grad!.data);
    optimizer.step();
    m.afterStep();
    const entry = m.latest()!.parameters['0.weight']!;
    expect(entry.weightNorm).toBeCloseTo(norm(weight.data), 6);
    expect(entry.updateRatio).toBeCloseTo((0.1 * gradNorm) / norm(weight.data), 5);
    const all = model.parameters();
    const totalGrad = Math.sqrt(all.reduce((s, p) => s + norm(p.grad!.data) ** 2, 0));
    const totalWeight = Math.sqrt(all.reduce((s, p) => s + norm(p.data) ** 2, 0));
    expect(m.latest()!.updateRatio).toBeCloseTo((0.1 * totalGrad) / totalWeight, 5);
  });

  it('makes a record for a pass nanTrap skipped, with the op and module of the first NaN', () => {
    const model = tinyModel();
    const m = monitor();
    const out = model.forward(randn([4, 2]));
    // sqrt at 0 has an infinite derivative: 0 · ∞ in the VJP gives NaN from a finite gradient.
    const loss = out.mul(0).sqrt().sum();
    const report = loss.backward({ guards: [m, nanTrap({ action: 'skip' })] });
    expect(report.ok).toBe(false);
    const record = m.latest()!;
    expect(record.ok).toBe(false);
    expect(record.totalNorm).toBeNaN();
    expect(record.nonFinite?.op).toBe('sqrt');
    expect(m.firstNonFinite()).toMatchObject({ op: 'sqrt', phase: 'backward', step: 0 });
  });

  it('finds the module where the forward pass first turned non-finite', () => {
    const model = new Sequential(new Linear(2, 3), new ReLU(), new Linear(3, 3), new ReLU(), new Linear(3, 1));
    (model.at(2) as Linear).weight.data[0] = Infinity;
    const m = monitor();
    model.forward(tensor([[1, 1], [2, 3]])).sum().backward({ guards: [m] });
    expect(m.latest()!.nonFinite).toEqual({ op: 'linear', phase: 'forward', module: '2' });
  });

  it('writes JSON lines that read back equal, NaN and Infinity included', () => {
    const model = tinyModel();
    const m = monitor();
    for (let i = 0; i < 3; i++) model.forward(randn([4, 2])).sum().backward({ guards: [m] });
    const text = m.toJSONLines();
    expect(text.split('\n')).toHaveLength(3);
    expect(text).toContain('"amplification":"NaN"');
    expect(parseMonitorJSONLines(text)).toEqual(m.history());
    const snapshot = m.toObject();
    expect(snapshot.records).toEqual(m.history());
    expect(snapshot.capacity).toBe(1000);
    expect(JSON.parse(JSON.stringify(snapshot.initialWeights))).toEqual(snapshot.initialWeights);
  });

  it('raises a loss spike event in the pass the loss jumps 100×, and reports it as an action', () => {
    const model = tinyModel();
    const m = monitor();
    const x = randn([8, 2]);
    let spikeStep = -1;
    for (let step = 0; step < 30; step++) {
      const loss = model.forward(x).pow(2).mean().add(1);
      const report = loss.mul(step === 20 ? 100 : 1).backward({ guards: [m] });
      if (report.actions.some((a) => a.guard === 'monitor' && a.target === 'loss')) spikeStep = step;
    }
    expect(spikeStep).toBe(20);
    expect(m.spikes().filter((e) => e.signal === 'loss').map((e) => e.step)).toEqual([20]);
  });
});

describe('monitor: figures kept per pass', () => {
  it('keeps each pass\'s norms through wrap-around of the history and a change of model; reports keep theirs', () => {
    const m = monitor({ history: 3 });
    const first = tinyModel();
    const second = new Sequential(new Linear(2, 2), new ReLU(), new Linear(2, 1));
    const x = randn([4, 2]);
    const y = randn([4, 1]);
    const expected: Array<{ parameters: Record<string, number>; layer0: number }> = [];
    const reports: BackwardReport[] = [];
    for (let step = 0; step < 5; step++) {
      const model = step < 4 ? first : second; // the last pass has another layout: a new store
      for (const p of model.parameters()) p.grad = null;
      reports.push(mseLoss(model.forward(x.mul(step + 1)), y).backward({ guards: [m] }));
      const norms = Object.fromEntries(model.namedParameters().map(([name, p]) => [name, norm(p.grad!.data)]));
      expected.push({ parameters: norms, layer0: Math.hypot(norms['0.weight']!, norms['0.bias']!) });
    }
    const history = m.history();
    expect(history.map((record) => record.step)).toEqual([2, 3, 4]);
    for (const record of history) {
      const want = expected[record.step]!;
      expect(Object.keys(record.parameters).sort()).toEqual(Object.keys(want.parameters).sort());
      for (const [name, value] of Object.entries(want.parameters)) expect(record.parameters[name]!.gradNorm).toBeCloseTo(value, 5);
      expect(record.layers['0']!.gradNorm).toBeCloseTo(want.layer0, 5);
    }
    // the slots of steps 0 and 1 were reused by steps 3 and 4: their reports still give their own figures
    for (const step of [0, 1, 4]) {
      for (const [name, value] of Object.entries(expected[step]!.parameters)) {
        expect(reports[step]!.parameters![name]!.gradNorm).toBeCloseTo(value, 5);
      }
      expect(reports[step]!.layers!['0']!.gradNorm).toBeCloseTo(expected[step]!.layer0, 5);
    }
    expect(expected[0]!.parameters['0.weight']).not.toBeCloseTo(expected[3]!.parameters['0.weight']!, 3); // the passes differ
  });
});

describe('monitor: bounded memory (scenario 6)', () => {
  it('keeps every buffer at its configured size over real training passes', () => {
    const model = tinyModel();
    const optimizer = new SGD(model.parameters(), { lr: 1e-3 });
    const m = monitor({ history: 64, eventCapacity: 8 });
    const x = randn([4, 2]);
    const y = randn([4, 1]);
    for (let step = 0; step < 2_000; step++) {
      optimizer.zeroGrad();
      // every 100th pass is a spike, so the event buffer overflows too
      mseLoss(model.forward(x), y).mul(step % 100 === 99 ? 1e4 : 1).backward({ guards: [m] });
      optimizer.step();
      m.afterStep();
    }
    expect(m.steps).toBe(2_000);
    expect(m.history()).toHaveLength(64);
    expect(m.history()[0]!.step).toBe(2_000 - 64);
    expect(m.spikes()).toHaveLength(8);
  });

  it('keeps them at size over 100,000 passes (the record path driven directly, as the engine calls it)', () => {
    const model = tinyModel();
    mseLoss(model.forward(randn([4, 2])), randn([4, 1])).backward();
    const parameters = model.parameters();
    const grads = parameters.map((p) => new GradientView(p.grad!.data, p.shape));
    const lossValue = tensor([1]).reshape([]);
    const m = monitor({ history: 100, eventCapacity: 10 });
    for (let step = 0; step < 100_000; step++) {
      const report: BackwardReport = { ok: true, totalNorm: 1, clipScale: 1, nonFinite: null, actions: [], skipped: false };
      const control: PassControl = { report, stopped: false, stop() {}, warn() {} };
      lossValue.data[0] = step % 1000 === 999 ? 1e4 : 1 + 1e-3 * Math.sin(step);
      m.beginPass(control);
      m.onTensorGradient({ tensor: lossValue, grad: new GradientView(new Float32Array([1]), []) });
      m.endPass({ parameters, grads }, control);
      parameters[0]!.data[0] = parameters[0]!.data[0]! + 1e-6; // a tiny "update"
      m.afterStep();
    }
    expect(m.steps).toBe(100_000);
    const history = m.history();
    expect(history).toHaveLength(100);
    expect(history[0]!.step).toBe(100_000 - 100);
    expect(history[99]!.step).toBe(99_999);
    expect(m.spikes()).toHaveLength(10);
    expect(m.spikes()[9]!.step).toBe(99_999);
  });
});
