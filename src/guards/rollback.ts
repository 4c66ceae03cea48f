import type { BackwardReport } from '../autograd/hooks.js';
import type { Tensor } from '../autograd/tensor.js';
import { positiveInteger } from '../errors.js';
import type { TypedArray } from '../tensor/dtype.js';
import type { Monitor } from './monitor.js';
import { nonFiniteError, type StepContext, type StepOptimizer } from './policies.js';
import { RingBuffer } from './ring.js';
import type { SpikeDetector, SpikeEvent } from './spike.js';

/** An optimizer whose state can be copied out and restored (every `optim` optimizer). */
export interface StatefulOptimizer<S> extends StepOptimizer {
  /** A copy of the state (the snapshot keeps it as is). */
  stateDict(): S;
  /** Restores a state; must copy it in, so the same snapshot can be restored twice. */
  loadStateDict(state: S): void;
}

/** Options of `rollback`. */
export interface RollbackOptions {
  /** Good steps between snapshots. Default 100. */
  every?: number;
  /** Snapshots kept (bounded memory: `keep` copies of the parameters and the optimizer state). Default 2. */
  keep?: number;
  /** A spike rule fed each step's loss (when given) or else the global gradient norm; spikes roll back too. */
  spikeDetector?: SpikeDetector;
  /** Rollbacks in a row (without a good step between) before giving up with an error. Default 5. */
  maxConsecutiveRollbacks?: number;
  /** On a rollback, skip every batch seen since the restored snapshot (PaLM skipped a few hundred), not only the offending one. Default false. */
  skipSinceSnapshot?: boolean;
  /** How many batch indices the skip list keeps (oldest dropped first). Default 100,000. */
  maxSkipped?: number;
  /** Told about each applied step (`monitor.afterStep()`). */
  monitor?: Monitor;
}

/** What happened to one step. */
export interface RollbackOutcome {
  applied: boolean;
  rolledBack: boolean;
  reason: 'ok' | 'non-finite' | 'spike';
  /** Good steps counted at the snapshot restored (null when none was). */
  restoredStep: number | null;
  /** Batch indices added to the skip list by this step. */
  skipped: number[];
  spike: SpikeEvent | null;
}

interface Snapshot<S> {
  goodSteps: number;
  parameters: TypedArray[];
  optimizer: S;
}

/**
 * Rollback, the PaLM recipe for loss spikes: keep a copy of the parameters and the optimizer
 * state every `every` good steps (at most `keep` copies); when a step is non-finite (or a spike,
 * with a detector), do not apply it: restore the newest snapshot bit for bit and put the
 * offending batches on a skip list, so the run goes on from a good state on other data. A
 * second failure before any good step goes one snapshot further back.
 *
 * @example
 * const guard = guards.rollback(optimizer, { every: 50 });
 * for (let batch = 0; batch < batches.length; batch++) {
 *   if (guard.shouldSkip(batch)) continue;
 *   optimizer.zeroGrad();
 *   const loss = nn.crossEntropy(model.forward(batches[batch].x), batches[batch].y);
 *   guard.step(loss.backward(), { loss: loss.item(), batch });
 * }
 */
export class Rollback<S> {
  private readonly every: number;
  private readonly snapshots: RingBuffer<Snapshot<S>>;
  private readonly detector: SpikeDetector | null;
  private readonly maxConsecutive: number;
  private readonly skipSinceSnapshot: boolean;
  private readonly maxSkipped: number;
  private readonly monitor: Monitor | null;
  private readonly skipList = new Set<number>();
  private sinceSnapshot: number[] = [];
  private stepsSinceSnapshot = 0;
  private consecutive = 0;
  /** Good (applied) steps so far. */
  goodSteps = 0;
  /** Rollbacks so far. */
  rollbacks = 0;

  constructor(readonly optimizer: StatefulOptimizer<S>, options: RollbackOptions = {}) {
    this.every = positiveInteger('rollback', 'every', options.every ?? 100);
    this.snapshots = new RingBuffer<Snapshot<S>>(positiveInteger('rollback', 'keep', options.keep ?? 2));
    this.detector = options.spikeDetector ?? null;
    this.maxConsecutive = positiveInteger('rollback', 'maxConsecutiveRollbacks', options.maxConsecutiveRollbacks ?? 5);
    this.skipSinceSnapshot = options.skipSinceSnapshot ?? false;
    this.maxSkipped = positiveInteger('rollback', 'maxSkipped', options.maxSkipped ?? 100_000);
    this.monitor = options.monitor ?? null;
    this.snapshot();
  }

  /** Takes a snapshot now (also taken at construction and every `every` good steps). */
  snapshot(): void {
    const parameters = this.parameters().map((param) => param.data.slice());
    this.snapshots.push({ goodSteps: this.goodSteps, parameters, optimizer: this.optimizer.stateDict() });
    this.stepsSinceSnapshot = 0;
    this.sinceSnapshot = [];
  }

  /** Good steps counted when the newest snapshot was taken. */
  get snapshotStep(): number {
    return this.snapshots.last()?.goodSteps ?? 0;
  }

  /** True when `batch` is on the skip list. */
  shouldSkip(batch: number): boolean {
    return this.skipList.has(batch);
  }

  /** The skip list, sorted. */
  skippedBatches(): number[] {
    return [...this.skipList].sort((a, b) => a - b);
  }

  /**
   * Applies the step when the report (and loss) are finite and no spike is seen; otherwise
   * restores the newest snapshot and skips the batch.
   * @throws NonFiniteError after more than `maxConsecutiveRollbacks` rollbacks without a good step.
   */
  step(report: BackwardReport, context: StepContext = {}): RollbackOutcome {
    const finite = report.ok && Number.isFinite(report.totalNorm) && (context.loss === undefined || Number.isFinite(context.loss));
    const spike = this.detector === null ? null : this.detector.observe(context.loss ?? report.totalNorm, context);
    const batches = batchesOf(context.batch);
    if (finite && spike === null) {
      this.optimizer.step();
      this.monitor?.afterStep();
      this.goodSteps++;
      this.consecutive = 0;
      if (this.skipSinceSnapshot) this.sinceSnapshot.push(...batches);
      if (++this.stepsSinceSnapshot >= this.every) this.snapshot();
      return { applied: true, rolledBack: false, reason: 'ok', restoredStep: null, skipped: [], spike };
    }
    this.consecutive++;
    if (this.consecutive > this.maxConsecutive) {
      throw nonFiniteError(report, `${this.consecutive} rollbacks in a row, more than maxConsecutiveRollbacks = ${this.maxConsecutive}`, context.loss);
    }
    const skipped = this.skipSinceSnapshot ? [...this.sinceSnapshot, ...batches] : batches;
    const restored = this.restore();
    for (const batch of skipped) this.addSkipped(batch);
    return { applied: false, rolledBack: true, reason: finite ? 'spike' : 'non-finite', restoredStep: restored, skipped, spike };
  }

  /** Restores the newest snapshot (one further back after a failure right after a restore). */
  private restore(): number {
    if (this.consecutive > 1 && this.snapshots.length > 1) this.dropNewest();
    const snapshot = this.snapshots.last()!;
    const parameters = this.parameters();
    parameters.forEach((param, i) => {
      param.data.set(snapshot.parameters[i]!);
      param.bumpVersion();
    });
    this.optimizer.loadStateDict(snapshot.optimizer);
    this.optimizer.zeroGrad();
    this.rollbacks++;
    this.stepsSinceSnapshot = 0;
    this.sinceSnapshot = [];
    return snapshot.goodSteps;
  }

  private dropNewest(): void {
    const kept = this.snapshots.toArray().slice(0, -1);
    this.snapshots.clear();
    for (const snapshot of kept) this.snapshots.push(snapshot);
  }

  private addSkipped(batch: number): void {
    this.skipList.add(batch);
    if (this.skipList.size > this.maxSkipped) {
      const oldest = this.skipList.values().next().value;
      if (oldest !== undefined) this.skipList.delete(oldest);
    }
  }

  private parameters(): Tensor[] {
    return this.optimizer.paramGroups.flatMap((group) => [...group.params]);
  }
}

/**
 * A rollback policy; see `Rollback`.
 * @example
 * const guard = guards.rollback(optimizer, { every: 50, keep: 2 });
 */
export function rollback<S>(optimizer: StatefulOptimizer<S>, options: RollbackOptions = {}): Rollback<S> {
  return new Rollback(optimizer, options);
}

function batchesOf(batch: number | readonly number[] | undefined): number[] {
  if (batch === undefined) return [];
  return typeof batch === 'number' ? [batch] : [...batch];
}
