import type { BackwardReport, Guard } from '../../autograd/hooks.js';
import { NonFiniteError } from '../../errors.js';
import { noGrad } from '../../autograd/graph.js';
import { Tensor } from '../../autograd/tensor.js';
import * as guards from '../../guards/index.js';
import * as nn from '../../nn/index.js';
import { Adam, SGD } from '../../nn/optim/index.js';
import { manualSeed } from '../../tensor/rng.js';
import type { RunEvent, RunResult, StepRecord, StudyConfig } from '../../report/model.js';
import { activationName } from '../activation.js';
import type { ProgressTick } from '../progress.js';
import type { StudyData } from './dataset.js';
import { describeRun, layerNormsOf, amplificationOf, eventsOf } from './record.js';
import type { GuardSetting } from './settings.js';

/** What one run needs: the guard setting, the shared configuration, the data and the batch order. */
export interface RunInput {
  readonly setting: GuardSetting;
  readonly config: StudyConfig;
  readonly data: StudyData;
  /** Row indices of the training set for each step (the same for every run). */
  readonly batches: readonly Int32Array[];
}

/** A finished run: the plain result, and the diagnosis of its monitor. */
export interface RunOutput {
  readonly result: RunResult;
  readonly diagnosis: guards.Diagnosis;
}

/**
 * The model every run trains: a deep MLP, He-normal init scaled by `initGain`.
 * @example
 * buildModel({ ...config, depth: 3, width: 8, initGain: 1 }, { features: 2, classes: 3 }); // Linear(2,8) ReLU Linear(8,8) ReLU Linear(8,3)
 */
export function buildModel(config: StudyConfig, data: Pick<StudyData, 'features' | 'classes'>): nn.Sequential {
  const hidden = Array.from({ length: config.depth - 1 }, () => config.width);
  return nn.mlp([data.features, ...hidden, data.classes], {
    activation: activationName(config.activation), init: 'kaimingNormal', gain: config.initGain,
  });
}

function buildOptimizer(config: StudyConfig, model: nn.Module): SGD | Adam {
  return config.optimizer === 'adam' ? new Adam(model.parameters(), { lr: config.lr }) : new SGD(model.parameters(), { lr: config.lr, momentum: config.optimizer === 'sgd-momentum' ? 0.9 : 0 });
}

/** What one run keeps while it trains. */
interface RunState {
  readonly model: nn.Sequential;
  readonly optimizer: SGD | Adam;
  readonly monitor: guards.Monitor;
  readonly policy: guards.Rollback<unknown> | null;
  readonly guards: readonly Guard[];
}

function setUp(setting: GuardSetting, config: StudyConfig, data: StudyData): RunState {
  manualSeed(config.seed);
  const model = buildModel(config, data);
  const optimizer = buildOptimizer(config, model);
  const monitor = guards.monitor({ history: Math.max(1, config.steps), trackUpdates: false });
  const policy = setting.rollbackEvery === undefined
    ? null
    : guards.rollback<unknown>(optimizer, { every: setting.rollbackEvery, monitor, spikeDetector: guards.spikeDetection() });
  return { model, optimizer, monitor, policy, guards: [monitor, ...setting.guards()] };
}

/**
 * Trains one configuration, step by step: forward, loss, `backward({ guards })`, then the update
 * (or the rollback policy's decision). A run whose weights become NaN/±Inf is stopped: every
 * later step would be NaN too.
 * @example
 * const { result, diagnosis } = trainRun({ setting: STUDY_SETTINGS[2], config, data, batches });
 * result.summary.finalLoss; diagnosis.verdict; // 'healthy' | 'exploding' | 'vanishing'
 */
export function trainRun(input: RunInput, onStep: (tick: ProgressTick) => void = () => {}): RunOutput {
  const { setting, config, data } = input;
  const state = setUp(setting, config, data);
  const steps: StepRecord[] = [];
  const reports: BackwardReport[] = [];
  const started = performance.now();
  for (let step = 0; step < config.steps; step++) {
    const { record, report, stop } = trainStep(state, input, step);
    steps.push(record);
    reports.push(report);
    onStep({ step, loss: record.loss, gradNorm: record.gradNorm });
    if (stop || !parametersFinite(state.model)) break;
  }
  const wallTimeMs = performance.now() - started;
  const history = state.monitor.history();
  const events: RunEvent[] = eventsOf(steps, reports, history, state.monitor.firstNonFinite());
  const layerNorms = layerNormsOf(history);
  const result: RunResult = {
    ...(layerNorms === undefined ? {} : { layerNorms }),
    id: setting.id,
    name: setting.name,
    setting: setting.setting,
    steps,
    events,
    summary: describeRun(steps, events, accuracy(state.model, data), wallTimeMs),
    amplification: amplificationOf(history),
  };
  return { result, diagnosis: guards.diagnose(state.monitor, { model: state.model, learningRate: config.lr }) };
}

/** One step: the batch (corrupted when the plan says so), forward, loss, backward with the guards, update. */
function trainStep(state: RunState, input: RunInput, step: number): { record: StepRecord; report: BackwardReport; stop: boolean } {
  const { config, data } = input;
  const rows = input.batches[step % input.batches.length]!;
  setLearningRate(state.optimizer, config, step);
  state.optimizer.zeroGrad();
  const scale = corruption(config, step);
  const x = batchOf(data.trainX, data.features, rows, scale);
  const loss = nn.crossEntropy(state.model.forward(x), batchLabels(data.trainY, rows));
  const lossValue = loss.item();
  const report = loss.backward({ guards: state.guards });
  const { applied, rolledBack, stop } = update(state, report, lossValue, step);
  const record: StepRecord = { step, loss: lossValue, gradNorm: report.totalNorm, clipScale: report.clipScale, skipped: !applied && !rolledBack, rolledBack };
  return { record: scale === 1 ? record : { ...record, corruption: scale }, report, stop };
}

/** Applies the update, or lets the rollback policy decide; `stop` when the policy gave up. */
function update(state: RunState, report: BackwardReport, loss: number, step: number): { applied: boolean; rolledBack: boolean; stop: boolean } {
  if (state.policy === null) {
    if (!report.skipped) state.optimizer.step();
    return { applied: !report.skipped, rolledBack: false, stop: false };
  }
  try {
    // why: each step has its own batch, so the offending batch is never retried: the run moves on to the next one.
    const outcome = state.policy.step(report, { loss, batch: step });
    return { applied: outcome.applied, rolledBack: outcome.rolledBack, stop: false };
  } catch (error) {
    if (!(error instanceof NonFiniteError)) throw error;
    return { applied: false, rolledBack: false, stop: true }; // too many rollbacks in a row: the policy gave up
  }
}

/** The rows of `x` named by `rows`, times `scale`, as a `[rows, features]` tensor. */
export function batchOf(x: Float32Array, features: number, rows: Int32Array, scale = 1): Tensor {
  const out = new Float32Array(rows.length * features);
  rows.forEach((row, i) => out.set(x.subarray(row * features, (row + 1) * features), i * features));
  if (scale !== 1) for (let i = 0; i < out.length; i++) out[i] = out[i]! * scale;
  return new Tensor(out, [rows.length, features]);
}

/** The factor the inputs of `step` are corrupted by (1 for a clean batch). */
export function corruption(config: StudyConfig, step: number): number {
  return config.corruptBatches?.find((c) => c.step === step)?.scale ?? 1;
}

/** Linear warm-up from lr/20 to lr over `warmupSteps`, then constant. */
function setLearningRate(optimizer: SGD | Adam, config: StudyConfig, step: number): void {
  const warmup = config.warmupSteps ?? 0;
  const fraction = warmup === 0 ? 1 : Math.min(1, 0.05 + (0.95 * step) / warmup);
  for (const group of optimizer.paramGroups) group.lr = config.lr * fraction;
}

function batchLabels(y: Int32Array, rows: Int32Array): Int32Array {
  return Int32Array.from(rows, (row) => y[row]!);
}

function parametersFinite(model: nn.Module): boolean {
  for (const param of model.parameters()) {
    for (const v of param.data) if (!Number.isFinite(v)) return false;
  }
  return true;
}

/**
 * Test accuracy; NaN when the network's outputs are not all finite (its answer would be meaningless).
 * @example
 * accuracy(model, data); // 0.87, or NaN when an output is NaN/Inf
 */
export function accuracy(model: nn.Module, data: StudyData): number {
  const count = data.testY.length;
  if (count === 0) return Number.NaN;
  const logits = noGrad(() => model.forward(new Tensor(data.testX, [count, data.features])));
  let correct = 0;
  for (let row = 0; row < count; row++) {
    let best = 0;
    for (let c = 0; c < data.classes; c++) {
      const v = logits.data[row * data.classes + c]!;
      if (!Number.isFinite(v)) return Number.NaN;
      if (v > logits.data[row * data.classes + best]!) best = c;
    }
    if (best === data.testY[row]) correct++;
  }
  return correct / count;
}
