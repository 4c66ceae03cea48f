import { countOf } from '../errors.js';
import { describeModule } from '../autograd/graph.js';
import type { NonFiniteInfo } from '../autograd/hooks.js';
import { blocksOf, depthProduct, leafModules, moduleOfParameter } from './amplification.js';
import {
  compareWithHe, firstNormJump, likelyCauses, modelHasNormalization, remediesFor, weightInits,
  type Cause, type InitCheck, type ModelLike, type Remedy, type WeightInit,
} from './diagnose-causes.js';
import { Monitor, type MonitorRecord } from './monitor.js';
import type { MonitorSnapshot } from './monitor-export.js';

/** Options of `diagnose`. */
export interface DiagnoseOptions {
  /** The model, to compare its Linear weights with He init and look for normalisation layers. */
  model?: ModelLike;
  /** The learning rate in use, quoted in the summary. */
  learningRate?: number;
  /** Product of amplifications over depth above which gradients explode. Default 1e2. */
  explodingAbove?: number;
  /** Product below which they vanish. Default 1e-2. */
  vanishingBelow?: number;
}

/** A block whose amplification stays above 1 over the recent records. */
export interface AmplifyingBlock {
  modules: string[];
  /** Geometric mean of its amplification over the records where it was measurable. */
  amplification: number;
  /** Share of those records in which it was above 1. */
  fractionAboveOne: number;
}

/** What `diagnose` finds. */
export interface Diagnosis {
  verdict: 'exploding' | 'vanishing' | 'healthy';
  /** Plain words for a person. */
  summary: string;
  /** Every leaf module of the latest record, forward order, with its amplification. */
  layers: Array<{ module: string; amplification: number }>;
  /** Blocks (module with parameters + following activations) of the latest record. */
  blocks: Array<{ modules: string[]; amplification: number }>;
  /** Product of amplifications over depth in the latest record (the verdict's basis; NaN when nothing was measurable). */
  depthProduct: number;
  /** The same product at the latest record where it was finite (the last view before a NaN). */
  lastFiniteDepthProduct: { step: number; value: number } | null;
  /** Blocks above 1 in at least 90 % of the records, largest first. */
  amplifyingBlocks: AmplifyingBlock[];
  /** Factor by which the global norm grows per step (least squares on its logarithm), null with fewer than 2 finite records. */
  normGrowthPerStep: number | null;
  /** The first non-finite value the monitor saw. */
  firstNonFinite: (NonFiniteInfo & { step: number }) | null;
  /** Linear weights against He's √(2/fan_in) (from the monitor's first pass, else the model). */
  initialization: InitCheck[];
  causes: Cause[];
  remedies: Remedy[];
  /** Step of the latest record (-1 with no record). */
  step: number;
}

type Source = Monitor | readonly MonitorRecord[] | MonitorSnapshot;

/**
 * Reads a monitor (or its history) and says whether gradients explode, vanish or are healthy,
 * and why. The verdict rests on the product of the modules' amplifications over depth in the
 * latest record: above `explodingAbove` (1e2), or with any non-finite norm, 'exploding'; below
 * `vanishingBelow` (1e-2), or a zero gradient, 'vanishing'; else 'healthy'. Single modules are
 * not judged against 1: with He init a Linear alone amplifies by ~1.41 and its ReLU by ~0.71.
 *
 * @example
 * const monitor = guards.monitor();
 * loss.backward({ guards: [monitor] });
 * const result = guards.diagnose(monitor, { model });
 * console.log(result.verdict, result.summary);
 */
export function diagnose(source: Source, options: DiagnoseOptions = {}): Diagnosis {
  const { records, first, inits } = readSource(source);
  const latest = records[records.length - 1];
  if (latest === undefined) return emptyDiagnosis();
  const owners = new Set(Object.keys(latest.parameters).map(moduleOfParameter));
  const blocks = blocksOf(latest.order, latest.layers, (module) => owners.has(module));
  const product = depthProduct(latest.order, latest.layers);
  const verdict = verdictOf(latest, product, options);
  const initialization = compareWithHe(inits ?? (options.model === undefined ? {} : weightInits(options.model.namedParameters())));
  const causes = likelyCauses({
    verdict, record: latest, checks: initialization, depth: blocks.length, updateRatio: latestUpdateRatio(records),
    learningRate: options.learningRate, hasNormalization: modelHasNormalization(options.model), jump: firstNormJump(records),
  });
  const result: Diagnosis = {
    verdict, summary: '', depthProduct: product, lastFiniteDepthProduct: lastFiniteProduct(records), blocks,
    layers: leafModules(latest.order).map((module) => ({ module, amplification: latest.layers[module]?.amplification ?? NaN })),
    amplifyingBlocks: amplifyingBlocks(records, owners), normGrowthPerStep: normGrowth(records),
    firstNonFinite: first, initialization, causes, remedies: remediesFor(verdict, causes), step: latest.step,
  };
  result.summary = summarize(result);
  return result;
}

function readSource(source: Source): { records: readonly MonitorRecord[]; first: (NonFiniteInfo & { step: number }) | null; inits: Record<string, WeightInit> | null } {
  if (source instanceof Monitor) return { records: source.history(), first: source.firstNonFinite(), inits: source.initialWeights() };
  if (isSnapshot(source)) return { records: source.records, first: source.firstNonFinite ?? firstInRecords(source.records), inits: source.initialWeights ?? null };
  return { records: source, first: firstInRecords(source), inits: null };
}

function isSnapshot(source: readonly MonitorRecord[] | MonitorSnapshot): source is MonitorSnapshot {
  return !Array.isArray(source);
}

function firstInRecords(records: readonly MonitorRecord[]): (NonFiniteInfo & { step: number }) | null {
  const record = records.find((r) => r.nonFinite !== null);
  return record?.nonFinite ? { ...record.nonFinite, step: record.step } : null;
}

function verdictOf(record: MonitorRecord, product: number, options: DiagnoseOptions): Diagnosis['verdict'] {
  const explodingAbove = options.explodingAbove ?? 1e2;
  const vanishingBelow = options.vanishingBelow ?? 1e-2;
  const norms = [record.totalNorm, ...Object.values(record.layers).map((layer) => layer.gradNorm)];
  // why: a NaN product only means nothing was measurable; the norms say whether that is a NaN pass.
  if (norms.some((n) => !Number.isFinite(n)) || product > explodingAbove) return 'exploding';
  if (product < vanishingBelow || record.totalNorm === 0) return 'vanishing';
  return 'healthy';
}

function lastFiniteProduct(records: readonly MonitorRecord[]): { step: number; value: number } | null {
  for (let i = records.length - 1; i >= 0; i--) {
    const record = records[i]!;
    const value = depthProduct(record.order, record.layers);
    if (Number.isFinite(value) && Number.isFinite(record.totalNorm)) return { step: record.step, value };
  }
  return null;
}

/** Blocks above 1 in ≥ 90 % of the records where they were measurable, with their geometric mean. */
function amplifyingBlocks(records: readonly MonitorRecord[], owners: ReadonlySet<string>): AmplifyingBlock[] {
  const stats = new Map<string, { modules: string[]; logSum: number; above: number; count: number }>();
  for (const record of records) {
    for (const block of blocksOf(record.order, record.layers, (module) => owners.has(module))) {
      const a = block.amplification;
      if (!(Number.isFinite(a) && a > 0)) continue;
      const key = block.modules.join('+');
      const entry = stats.get(key) ?? { modules: block.modules, logSum: 0, above: 0, count: 0 };
      entry.logSum += Math.log(a);
      entry.above += a > 1 ? 1 : 0;
      entry.count++;
      stats.set(key, entry);
    }
  }
  return [...stats.values()]
    .map((s) => ({ modules: s.modules, amplification: Math.exp(s.logSum / s.count), fractionAboveOne: s.above / s.count }))
    .filter((b) => b.fractionAboveOne >= 0.9 && b.amplification > 1)
    .sort((x, y) => y.amplification - x.amplification);
}

/** exp(slope) of the least-squares line through (step, ln ‖g‖) over the finite, non-zero norms. */
function normGrowth(records: readonly MonitorRecord[]): number | null {
  const points = records.filter((r) => Number.isFinite(r.totalNorm) && r.totalNorm > 0).map((r) => [r.step, Math.log(r.totalNorm)] as const);
  if (points.length < 2) return null;
  const meanX = points.reduce((s, [x]) => s + x, 0) / points.length;
  const meanY = points.reduce((s, [, y]) => s + y, 0) / points.length;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - meanX) * (y - meanY);
    sxx += (x - meanX) ** 2;
  }
  return sxx === 0 ? null : Math.exp(sxy / sxx);
}

function latestUpdateRatio(records: readonly MonitorRecord[]): number {
  for (let i = records.length - 1; i >= 0; i--) if (Number.isFinite(records[i]!.updateRatio)) return records[i]!.updateRatio;
  return NaN;
}

function summarize(d: Diagnosis): string {
  const lines: string[] = [];
  const over = `over ${countOf(d.blocks.length, 'block')} the gradient norm is multiplied by ${d.depthProduct.toExponential(2)} on its way back to the input (step ${d.step})`;
  const last = d.lastFiniteDepthProduct;
  const before = last === null ? '' : `; at step ${last.step}, the last finite one, the product over depth was ${last.value.toExponential(2)}`;
  if (d.verdict === 'exploding') lines.push(`Gradients are exploding: ${Number.isFinite(d.depthProduct) ? over : `the gradients at step ${d.step} are not finite${before}`}.`);
  else if (d.verdict === 'vanishing') lines.push(`Gradients are vanishing: ${over}, so the first layers barely learn.`);
  else lines.push(`Gradients are healthy: ${over}.`);
  if (d.amplifyingBlocks.length > 0 && d.verdict === 'exploding') {
    const top = d.amplifyingBlocks.slice(0, 5).map((b) => `${b.modules.join('+')} (×${b.amplification.toFixed(2)})`).join(', ');
    const more = d.amplifyingBlocks.length > 5 ? ` and ${d.amplifyingBlocks.length - 5} more` : '';
    const count = countOf(d.amplifyingBlocks.length, 'block keeps', 'blocks keep');
    lines.push(`${count} amplifying the gradient above 1: ${top}${more}.`);
  }
  if (d.normGrowthPerStep !== null) lines.push(`The global gradient norm changes by ×${d.normGrowthPerStep.toPrecision(3)} per step.`);
  if (d.firstNonFinite !== null) {
    const f = d.firstNonFinite;
    lines.push(`The first non-finite value appeared at step ${f.step}, in the ${f.phase} pass of op '${f.op}' ${describeModule(f.module)}.`);
  }
  if (d.causes.length > 0) lines.push(`Likely causes: ${d.causes.map((c) => capitalize(c.message)).join(' ')}`);
  if (d.remedies.length > 0) lines.push(`Remedies: ${d.remedies.map((r) => `${r.message}: ${r.call}`).join('; ')}.`);
  return lines.join('\n');
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function emptyDiagnosis(): Diagnosis {
  return {
    verdict: 'healthy', summary: 'No backward pass was monitored yet: nothing to diagnose.', layers: [], blocks: [], depthProduct: NaN, lastFiniteDepthProduct: null,
    amplifyingBlocks: [], normGrowthPerStep: null, firstNonFinite: null, initialization: [], causes: [], remedies: [], step: -1,
  };
}
