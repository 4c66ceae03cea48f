import type { Tensor } from '../autograd/tensor.js';
import type { TypedArray } from '../tensor/dtype.js';
import { moduleOfParameter } from './amplification.js';
import type { MonitorRecord } from './monitor.js';

/*
 * The "why" half of a diagnosis: facts read from the model and the records (init scale against
 * He's rule, activation, depth, normalisation, update size), each turned into a likely cause and
 * a remedy that names the gradguard call to make.
 */

/** A 2-D weight's fan-in and the standard deviation of its values. */
export interface WeightInit {
  fanIn: number;
  std: number;
}

/** One Linear weight against He's rule for ReLU, std = √(2/fan_in). */
export interface InitCheck {
  parameter: string;
  fanIn: number;
  std: number;
  heStd: number;
  /** std / heStd: 1 is He init, 3 is "gain 3 × He". */
  ratio: number;
}

/** A likely cause, in words, with the facts behind it. */
export interface Cause {
  kind: 'init-scale' | 'learning-rate' | 'no-normalization' | 'saturating-activation' | 'depth' | 'sudden-jump';
  message: string;
}

/** A remedy and the gradguard call that applies it. */
export interface Remedy {
  message: string;
  call: string;
}

/** What the cause analysis may know about the model. */
export interface ModelLike {
  namedParameters(): Array<[string, Tensor]>;
  namedModules?(): Array<[string, object]>;
}

/** Standard deviation (population, about the mean) of a buffer, in float64, one pass. */
export function standardDeviation(data: TypedArray): number {
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    sum += v;
    squares += v * v;
  }
  const mean = sum / data.length;
  return Math.sqrt(Math.max(squares / data.length - mean * mean, 0));
}

/** Fan-in and std of every named 2-D parameter (the `[out, in]` weights). */
export function weightInits(parameters: ReadonlyArray<readonly [string, Tensor]>): Record<string, WeightInit> {
  const out: Record<string, WeightInit> = {};
  for (const [name, param] of parameters) {
    if (param.ndim === 2) out[name] = { fanIn: param.shape[1]!, std: standardDeviation(param.data) };
  }
  return out;
}

/** Each weight against √(2/fan_in). */
export function compareWithHe(inits: Readonly<Record<string, WeightInit>>): InitCheck[] {
  return Object.entries(inits).map(([parameter, { fanIn, std }]) => {
    const heStd = Math.sqrt(2 / fanIn);
    return { parameter, fanIn, std, heStd, ratio: std / heStd };
  });
}

/** The activation ops a record saw, by name (`relu`, `tanh`, …), counted over leaf modules without parameters. */
export function activationCounts(record: MonitorRecord): Map<string, number> {
  const owners = new Set(Object.keys(record.parameters).map(moduleOfParameter));
  const counts = new Map<string, number>();
  for (const module of record.order) {
    if (owners.has(module)) continue;
    const op = record.ops[module];
    if (op !== undefined) counts.set(op, (counts.get(op) ?? 0) + 1);
  }
  return counts;
}

/** Facts the cause analysis reads. */
export interface CauseFacts {
  verdict: 'exploding' | 'vanishing' | 'healthy';
  record: MonitorRecord;
  checks: InitCheck[];
  depth: number;
  updateRatio: number;
  learningRate: number | undefined;
  hasNormalization: boolean | undefined;
  /** The first abrupt jump of the global norm after calm steps, if any (see `firstNormJump`). */
  jump: NormJump | null;
}

/** A step whose global gradient norm jumped far above the median of the steps before it. */
export interface NormJump {
  step: number;
  norm: number;
  /** Median global norm of the (up to 20) finite steps before it. */
  median: number;
}

/** A jump: the norm exceeds 10 × the recent median while the step before was still within 3 × of it. */
const JUMP_FACTOR = 10;
const CALM_FACTOR = 3;
const JUMP_WINDOW = 20;
const JUMP_MIN_HISTORY = 5;

/**
 * The first step whose global norm is non-finite or above 10 × the median of the finite steps
 * before it (at least 5), right after a step that was still calm (within 3 × that median): the
 * signature of one bad batch or one oversized update. Steady exponential growth never has a
 * calm step just before its big ones, so a badly scaled network is not reported as a jump.
 */
export function firstNormJump(records: readonly MonitorRecord[]): NormJump | null {
  const recent: number[] = [];
  for (const record of records) {
    const norm = record.totalNorm;
    const previous = recent[recent.length - 1];
    if (previous !== undefined && recent.length >= JUMP_MIN_HISTORY) {
      const median = [...recent].sort((a, b) => a - b)[recent.length >> 1]!;
      const calmBefore = previous <= CALM_FACTOR * median;
      if (calmBefore && (!Number.isFinite(norm) || norm > JUMP_FACTOR * median)) return { step: record.step, norm, median };
    }
    if (!Number.isFinite(norm)) continue;
    recent.push(norm);
    if (recent.length > JUMP_WINDOW) recent.shift();
  }
  return null;
}

const RELU_LIKE = new Set(['relu', 'leakyRelu']);
const SATURATING = new Set(['tanh', 'sigmoid']);

/** Likely causes of the verdict, most specific first. */
export function likelyCauses(facts: CauseFacts): Cause[] {
  if (facts.verdict === 'healthy') return [];
  const causes: Cause[] = [];
  const activations = activationCounts(facts.record);
  const reluDepth = [...RELU_LIKE].reduce((n, op) => n + (activations.get(op) ?? 0), 0);
  const saturatingDepth = [...SATURATING].reduce((n, op) => n + (activations.get(op) ?? 0), 0);
  const initCause = initScaleCause(facts, reluDepth, saturatingDepth);
  if (initCause !== null) causes.push(initCause);
  if (facts.verdict === 'vanishing' && saturatingDepth >= 4) {
    causes.push({ kind: 'saturating-activation', message: `${saturatingDepth} saturating activations (tanh/sigmoid) in a row: each multiplies the gradient by its derivative, at most 1 and often far less.` });
  }
  if (facts.verdict === 'exploding' && facts.updateRatio > 1e-2) {
    const lr = facts.learningRate === undefined ? '' : ` at learning rate ${facts.learningRate}`;
    causes.push({ kind: 'learning-rate', message: `updates are ${formatRatio(facts.updateRatio)} of the weights per step${lr} (a healthy ratio is around 1e-3): the learning rate is likely too high.` });
  }
  if (facts.verdict === 'exploding' && facts.jump !== null) {
    const { step, norm, median } = facts.jump;
    const size = Number.isFinite(norm) ? `jumped to ${norm.toPrecision(3)}, ${(norm / median).toPrecision(3)} × the median ${median.toPrecision(3)} of the steps before` : `turned non-finite after a median of ${median.toPrecision(3)}`;
    causes.push({ kind: 'sudden-jump', message: `a sudden jump, not slow growth: at step ${step} the global gradient norm ${size}. One batch (outliers, corrupt inputs, wrong labels) or one oversized update usually does this; look at the batch of step ${step}.` });
  }
  if (facts.hasNormalization === false && facts.depth >= 8) {
    causes.push({ kind: 'no-normalization', message: `no normalisation layer in a network ${facts.depth} blocks deep: nothing resets the scale of activations and gradients between blocks.` });
  }
  if (causes.length === 0) causes.push({ kind: 'depth', message: `depth: ${facts.depth} blocks multiply their factors together, so even a small excess over 1 per block compounds.` });
  return causes;
}

function initScaleCause(facts: CauseFacts, reluDepth: number, saturatingDepth: number): Cause | null {
  if (facts.checks.length === 0) return null;
  const ratios = facts.checks.map((c) => c.ratio).sort((a, b) => a - b);
  const median = ratios[Math.floor(ratios.length / 2)]!;
  // why: quote the weight closest to the median, a typical layer rather than the input or output one.
  const example = facts.checks.reduce((best, c) => (Math.abs(c.ratio - median) < Math.abs(best.ratio - median) ? c : best));
  const detail = `'${example.parameter}' has std ${example.std.toPrecision(3)} against He's √(2/fan_in) = ${example.heStd.toPrecision(3)} (fan_in ${example.fanIn})`;
  if (facts.verdict === 'exploding' && median > 1.2 && reluDepth > 0) {
    return { kind: 'init-scale', message: `init scale: the Linear weights have a median std of ${median.toFixed(2)} × He's; ${detail}. In a ReLU stack ${reluDepth} layers deep each block then multiplies the gradient by about ${median.toFixed(2)}.` };
  }
  if (facts.verdict === 'vanishing' && median < 0.9) {
    const what = saturatingDepth > 0 ? 'each tanh/sigmoid block' : 'each block';
    return { kind: 'init-scale', message: `init scale: the Linear weights have a median std of ${median.toFixed(2)} × He's; ${detail}. ${what} then shrinks the gradient.` };
  }
  return null;
}

/** Concrete remedies for the verdict, each with the gradguard call. */
export function remediesFor(verdict: 'exploding' | 'vanishing' | 'healthy', causes: readonly Cause[]): Remedy[] {
  const kinds = new Set(causes.map((c) => c.kind));
  if (verdict === 'healthy') return [];
  if (verdict === 'exploding') {
    const remedies: Remedy[] = [
      { message: 'clip the global gradient norm inside backward', call: 'loss.backward({ guards: [guards.globalNormClip({ maxNorm: 1 })] })' },
      { message: 'skip non-finite steps instead of applying them, and stop after a few in a row', call: "guards.guardedStep(optimizer, { maxConsecutiveSkips: 3 }) with guards.nanTrap({ action: 'skip' })" },
    ];
    if (kinds.has('init-scale')) remedies.unshift({ message: "initialise with He's rule for ReLU", call: "nn.mlp(sizes, { init: 'kaimingNormal', gain: 1 }) or nn.init.kaimingNormal(layer.weight, { nonlinearity: 'relu' })" });
    if (kinds.has('learning-rate')) remedies.push({ message: 'lower the learning rate (10× is a good first try)', call: 'new optim.SGD(model.parameters(), { lr: lr / 10 })' });
    if (kinds.has('no-normalization')) remedies.push({ message: 'normalise between blocks', call: 'new nn.LayerNorm(width) after each hidden Linear' });
    if (kinds.has('sudden-jump')) {
      remedies.push({ message: 'check the batch of that step for non-finite and extreme values', call: 'guards.checkBatch(x) and x.abs().max().item()' });
      remedies.push({ message: 'clip norms that jump far above their running statistics, and roll back past bad batches', call: 'guards.zclip() and guards.rollback(optimizer, { every: 50 })' });
    }
    remedies.push({ message: 'clip each layer relative to its weights (robust to scale)', call: 'guards.agc({ clipping: 0.01 })' });
    return remedies;
  }
  const remedies: Remedy[] = [
    { message: 'initialise for the activation: He for ReLU, Xavier for tanh', call: "nn.mlp(sizes, { init: 'kaimingNormal' }) or nn.mlp(sizes, { activation: 'tanh', init: 'xavierNormal' })" },
    { message: 'add skip connections so the gradient has a path around each block', call: 'nn.mlp(sizes, { residual: true })' },
  ];
  if (kinds.has('saturating-activation')) remedies.push({ message: 'use a non-saturating activation', call: "nn.mlp(sizes, { activation: 'relu', init: 'kaimingNormal' })" });
  if (kinds.has('no-normalization')) remedies.push({ message: 'normalise between blocks', call: 'new nn.LayerNorm(width) after each hidden Linear' });
  return remedies;
}

/** Whether the model has a normalisation layer (undefined when it cannot tell). */
export function modelHasNormalization(model: ModelLike | undefined): boolean | undefined {
  if (model?.namedModules === undefined) return undefined;
  return model.namedModules().some(([, module]) => /Norm/.test(module.constructor.name));
}

function formatRatio(ratio: number): string {
  return ratio >= 0.01 ? `${(ratio * 100).toPrecision(3)} %` : ratio.toExponential(2);
}
