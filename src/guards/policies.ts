import { describeModule } from '../autograd/graph.js';
import type { BackwardReport } from '../autograd/hooks.js';
import type { Tensor } from '../autograd/tensor.js';
import { ArgumentError, GradientError, NonFiniteError } from '../errors.js';
import type { Monitor } from './monitor.js';
import type { ObserveContext, SpikeDetector, SpikeEvent } from './spike.js';

/*
 * Step policies: what to do with an optimizer step once backward has reported on the gradients.
 * A bad step is skipped instead of applied (optax's `apply_if_finite`), a run that keeps failing
 * stops with an error instead of silently filling the weights with NaN, and a spike can lower
 * the learning rate. Nothing is lost: a skipped step leaves parameters and optimizer state as they were.
 */

/** What the policies need of an optimizer (every `optim` optimizer has it). */
export interface StepOptimizer {
  step(): void;
  zeroGrad(): void;
  readonly paramGroups: ReadonlyArray<{ lr: number; readonly params: readonly Tensor[] }>;
}

/** Options of `guardedStep`. */
export interface GuardedStepOptions {
  /** Skips allowed in a row; the next one throws (optax's `max_consecutive_errors`). Default 5. */
  maxConsecutiveSkips?: number;
  /** Throw `NonFiniteError` at the first non-finite step instead of skipping it (Keras `TerminateOnNaN`). Default false. */
  terminateOnNaN?: boolean;
  /** A spike rule fed every step's loss (when `step` is given one) or else the global gradient norm. */
  spikeDetector?: SpikeDetector;
  /** Skip steps whose signal is a spike (not only non-finite ones). Default true when a detector is given. */
  skipSpikes?: boolean;
  /** On every spike multiply each group's learning rate by `factor` (default 0.5), not below `minLr` (default 0). */
  lrBackoff?: { factor?: number; minLr?: number };
  /** A monitor told about each applied step (`monitor.afterStep()`), so it records update ratios. */
  monitor?: Monitor;
}

/** What happened to one step. */
export interface StepOutcome {
  applied: boolean;
  /** Why it was skipped, or 'ok'. */
  reason: 'ok' | 'non-finite' | 'spike';
  /** Skips in a row, this one included (0 after an applied step). */
  consecutiveSkips: number;
  /** The spike event of this step, if the detector raised one. */
  spike: SpikeEvent | null;
}

/** Extra facts about the step: its loss and batch, for the spike rule and its events. */
export interface StepContext extends ObserveContext {
  loss?: number;
}

/**
 * Wraps an optimizer so that each step looks at the backward report first:
 * - a non-finite step (report not ok, a non-finite total norm or loss) is skipped: no update,
 *   optimizer state untouched, gradients cleared; after `maxConsecutiveSkips` skips in a row the
 *   next one throws (where optax would apply the NaN update, we stop with the weights still finite);
 * - with a spike detector, a spike is skipped too (`skipSpikes`) and can lower the learning rate;
 * - `terminateOnNaN` throws at the first non-finite step.
 *
 * @example
 * const guarded = guards.guardedStep(optimizer, { maxConsecutiveSkips: 3 });
 * for (const [x, y] of batches) {
 *   guarded.zeroGrad();
 *   const loss = nn.crossEntropy(model.forward(x), y);
 *   const report = loss.backward({ guards: [guards.nanTrap({ action: 'skip' })] });
 *   guarded.step(report, { loss: loss.item() });
 * }
 */
export class GuardedOptimizer {
  private readonly maxConsecutiveSkips: number;
  private readonly terminateOnNaN: boolean;
  private readonly detector: SpikeDetector | null;
  private readonly skipSpikes: boolean;
  private readonly backoff: { factor: number; minLr: number } | null;
  private readonly monitor: Monitor | null;
  private consecutive = 0;
  /** Steps skipped in all. */
  totalSkips = 0;
  /** Steps applied in all. */
  totalApplied = 0;

  constructor(readonly optimizer: StepOptimizer, options: GuardedStepOptions = {}) {
    this.maxConsecutiveSkips = options.maxConsecutiveSkips ?? 5;
    if (!(Number.isInteger(this.maxConsecutiveSkips) && this.maxConsecutiveSkips >= 0) && this.maxConsecutiveSkips !== Infinity) {
      throw new ArgumentError('guardedStep', `maxConsecutiveSkips must be an integer ≥ 0 or Infinity, got ${String(options.maxConsecutiveSkips)}`);
    }
    this.terminateOnNaN = options.terminateOnNaN ?? false;
    this.detector = options.spikeDetector ?? null;
    this.skipSpikes = options.skipSpikes ?? this.detector !== null;
    this.backoff = options.lrBackoff === undefined ? null : checkBackoff(options.lrBackoff);
    this.monitor = options.monitor ?? null;
  }

  /** Skips in a row so far. */
  get consecutiveSkips(): number {
    return this.consecutive;
  }

  /** Clears every gradient (the wrapped optimizer's `zeroGrad`). */
  zeroGrad(): void {
    this.optimizer.zeroGrad();
  }

  /**
   * Applies the optimizer step if the report (and loss) allow it, else skips it.
   * @throws NonFiniteError after more than `maxConsecutiveSkips` non-finite steps in a row, or at the first with `terminateOnNaN`.
   */
  step(report: BackwardReport, context: StepContext = {}): StepOutcome {
    const finite = report.ok && Number.isFinite(report.totalNorm) && (context.loss === undefined || Number.isFinite(context.loss));
    if (!finite && this.terminateOnNaN) throw nonFiniteError(report, 'terminateOnNaN is set', context.loss);
    const signal = context.loss ?? report.totalNorm;
    const spike = this.detector === null ? null : this.detector.observe(signal, context);
    if (spike !== null && this.backoff !== null) this.lowerLearningRate(this.backoff);
    const reason = !finite ? 'non-finite' : spike !== null && this.skipSpikes ? 'spike' : 'ok';
    if (reason === 'ok') {
      this.optimizer.step();
      this.monitor?.afterStep();
      this.consecutive = 0;
      this.totalApplied++;
      return { applied: true, reason, consecutiveSkips: 0, spike };
    }
    this.consecutive++;
    this.totalSkips++;
    if (this.consecutive > this.maxConsecutiveSkips) throw this.tooManySkips(report, reason, context.loss);
    this.optimizer.zeroGrad();
    return { applied: false, reason, consecutiveSkips: this.consecutive, spike };
  }

  /** The learning rate of each parameter group. */
  learningRates(): number[] {
    return this.optimizer.paramGroups.map((group) => group.lr);
  }

  private lowerLearningRate(backoff: { factor: number; minLr: number }): void {
    for (const group of this.optimizer.paramGroups) group.lr = Math.max(group.lr * backoff.factor, backoff.minLr);
  }

  private tooManySkips(report: BackwardReport, reason: 'non-finite' | 'spike', loss: number | undefined): Error {
    const why = `${this.consecutive} steps in a row were skipped, more than maxConsecutiveSkips = ${this.maxConsecutiveSkips}; the parameters still hold the last good values`;
    return reason === 'non-finite' ? nonFiniteError(report, why, loss) : new GradientError('guardedStep', `${why} (the last were loss or gradient-norm spikes)`);
  }
}

/**
 * A guarded optimizer; see `GuardedOptimizer`.
 * @example
 * const guarded = guards.guardedStep(new optim.SGD(model.parameters(), { lr: 0.1 }), { maxConsecutiveSkips: 3 });
 */
export function guardedStep(optimizer: StepOptimizer, options: GuardedStepOptions = {}): GuardedOptimizer {
  return new GuardedOptimizer(optimizer, options);
}

/** A `NonFiniteError` naming what the report knows about where the first NaN/Inf came from. */
export function nonFiniteError(report: BackwardReport, why: string, loss?: number): NonFiniteError {
  const origin = report.nonFinite;
  const what = loss !== undefined && !Number.isFinite(loss) ? `the loss is ${loss}` : `the gradient norm is ${report.totalNorm}`;
  const where = origin === null ? '' : `; first produced by '${origin.op}' in the ${origin.phase} pass ${describeModule(origin.module)}`;
  return new NonFiniteError(origin?.op ?? 'guardedStep', origin?.phase ?? 'backward', origin?.module, `${why}: ${what}${where}`);
}

function checkBackoff(backoff: { factor?: number; minLr?: number }): { factor: number; minLr: number } {
  const factor = backoff.factor ?? 0.5;
  const minLr = backoff.minLr ?? 0;
  if (!(factor > 0 && factor < 1)) throw new ArgumentError('guardedStep', `lrBackoff.factor must be in (0, 1), got ${factor}`);
  if (!(minLr >= 0)) throw new ArgumentError('guardedStep', `lrBackoff.minLr must be ≥ 0, got ${minLr}`);
  return { factor, minLr };
}
