import type { BackwardReport, GuardAction, NonFiniteInfo } from '../../autograd/hooks.js';
import { blocksOf, moduleOfParameter } from '../../guards/amplification.js';
import type { MonitorRecord } from '../../guards/monitor.js';
import type { LayerNorms, RunEvent, RunSummary, StepRecord } from '../../report/model.js';
import { formatNumber } from '../../report/scale.js';

/*
 * Turning what a run saw (its step records, the backward reports, the monitor's history) into
 * the plain figures of the report: events, summary, per-layer norms and amplification.
 */

const CLIP_KINDS = new Set(['scale', 'clamp', 'clipUnits']);

/** The guard actions of a report that changed gradients by clipping. */
function clipActions(report: BackwardReport): GuardAction[] {
  return report.actions.filter((action) => CLIP_KINDS.has(action.kind));
}

/**
 * Where the first non-finite value was born, in words: "forward op 'linear' in module 14".
 * @example
 * describeNonFinite({ op: 'linear', phase: 'forward', module: '10' }); // "first NaN/Inf: forward op 'linear' in module 10"
 */
export function describeNonFinite(info: NonFiniteInfo | null): string {
  if (info === null) return 'first NaN/Inf (origin not located)';
  const where = info.module === undefined || info.module === '' ? '' : ` in module ${info.module}`;
  return `first NaN/Inf: ${info.phase} op '${info.op}'${where}`;
}

/**
 * The events of a run: clips, spikes, skips, rollbacks and the first non-finite value.
 * @example
 * eventsOf(steps, reports, monitor.history(), monitor.firstNonFinite()).filter((e) => e.kind === 'nonfinite');
 */
export function eventsOf(
  steps: readonly StepRecord[], reports: readonly BackwardReport[], history: readonly MonitorRecord[],
  firstNonFinite: (NonFiniteInfo & { step: number }) | null,
): RunEvent[] {
  const events: RunEvent[] = [];
  let nonFiniteSeen = false;
  steps.forEach((record, i) => {
    const report = reports[i]!;
    if (record.corruption !== undefined) events.push({ step: record.step, kind: 'corrupt', message: `corrupted batch: inputs × ${record.corruption}` });
    const clips = clipActions(report);
    if (clips.length > 0 || report.clipScale < 1) {
      const message = report.clipScale < 1 ? `clipped: gradients scaled by ${formatNumber(report.clipScale)}` : clips[0]!.message;
      events.push({ step: record.step, kind: 'clip', message });
    }
    for (const signal of history[i]?.spikes ?? []) {
      const value = signal === 'loss' ? record.loss : record.gradNorm;
      events.push({ step: record.step, kind: 'spike', message: `${signal === 'loss' ? 'loss' : 'gradient-norm'} spike: ${formatNumber(value)}` });
    }
    if (record.skipped) events.push({ step: record.step, kind: 'skip', message: 'update skipped: non-finite gradients' });
    if (record.rolledBack) events.push({ step: record.step, kind: 'rollback', message: 'restored the last snapshot and moved on to the next batch' });
    if (!nonFiniteSeen && !(Number.isFinite(record.loss) && Number.isFinite(record.gradNorm))) {
      nonFiniteSeen = true;
      const info = report.nonFinite ?? history[i]?.nonFinite ?? (firstNonFinite?.step === i ? firstNonFinite : null);
      events.push({ step: record.step, kind: 'nonfinite', message: describeNonFinite(info), ...nonFiniteWhere(info) });
    }
  });
  return events;
}

function nonFiniteWhere(info: NonFiniteInfo | null): { op?: string; module?: string } {
  if (info === null) return {};
  return info.module === undefined ? { op: info.op } : { op: info.op, module: info.module };
}

/**
 * The summary table's figures for one run.
 * @example
 * describeRun(steps, events, 0.91, 1800).firstNonFiniteStep; // null for a run that stayed finite
 */
export function describeRun(steps: readonly StepRecord[], events: readonly RunEvent[], testAccuracy: number, wallTimeMs: number): RunSummary {
  const first = events.find((e) => e.kind === 'nonfinite');
  let peak = 0;
  for (const s of steps) if (s.gradNorm > peak) peak = s.gradNorm; // NaN never wins; +Inf does
  return {
    finalLoss: steps[steps.length - 1]?.loss ?? Number.NaN,
    testAccuracy,
    firstNonFiniteStep: first === undefined ? null : first.step,
    clippedSteps: new Set(events.filter((e) => e.kind === 'clip').map((e) => e.step)).size,
    skippedSteps: steps.filter((s) => s.skipped).length,
    rollbacks: steps.filter((s) => s.rolledBack).length,
    peakGradNorm: peak,
    wallTimeMs,
  };
}

/** Modules owning parameters (the Linear layers), in forward order. */
function parameterModules(record: MonitorRecord): string[] {
  const owners = new Set(Object.keys(record.parameters).map(moduleOfParameter));
  return record.order.filter((module) => owners.has(module));
}

/**
 * Per-layer gradient norms over the run, for the heat map.
 * @example
 * layerNormsOf(monitor.history())?.layers; // ['0', '2', '4', …]: the Linear layers
 */
export function layerNormsOf(history: readonly MonitorRecord[]): LayerNorms | undefined {
  const first = history.find((record) => record.order.length > 0);
  if (first === undefined) return undefined;
  const layers = parameterModules(first);
  return {
    layers,
    steps: history.map((record) => record.step),
    norms: layers.map((layer) => history.map((record) => record.layers[layer]?.gradNorm ?? Number.NaN)),
  };
}

/**
 * Amplification per block (a Linear and the activation after it): the geometric mean over the
 * steps where it was measurable and finite. Blocks never measurable (the first, whose input is
 * the data) are left out.
 * @example
 * amplificationOf(monitor.history()); // [{ module: '2+3', value: 1.21 }, …]
 */
export function amplificationOf(history: readonly MonitorRecord[]): Array<{ module: string; value: number }> {
  const sums = new Map<string, { logSum: number; count: number }>();
  for (const record of history) {
    const owners = new Set(parameterModules(record));
    for (const block of blocksOf(record.order, record.layers, (module) => owners.has(module))) {
      const a = block.amplification;
      if (!(a > 0) || !Number.isFinite(a)) continue;
      const key = block.modules.join('+');
      const entry = sums.get(key) ?? { logSum: 0, count: 0 };
      entry.logSum += Math.log(a);
      entry.count++;
      sums.set(key, entry);
    }
  }
  return [...sums].map(([module, { logSum, count }]) => ({ module, value: Math.exp(logSum / count) }));
}
