import { ArgumentError, nonNegativeInteger, positiveInteger } from '../errors.js';
import { RingBuffer } from './ring.js';

/**
 * Spike detection on a training signal (the loss, or the global gradient norm). A spike is a
 * value far above what the recent past predicts; a non-finite value is always one. Each spike
 * raises an event and, when the caller says which batch produced the value, records the batch
 * indices so that a resumed run can skip them (the PaLM recipe: rewind and skip the data).
 */

/** One detected spike. */
export interface SpikeEvent {
  /** Which rule raised it: `'zscore'` or `'lightning'`. */
  rule: string;
  /** The observation's step (the detector's own count from 0, unless the caller gave one). */
  step: number;
  value: number;
  /** How far out the value was: z for the z-score rule, |x − mean| / |mean| for Lightning's; Infinity when non-finite. */
  score: number;
  /** Batch indices to skip on resume (empty when the caller gave none). */
  batches: number[];
}

/** Where an observation came from. */
export interface ObserveContext {
  /** Step number to put in the event (defaults to the detector's own count). */
  step?: number;
  /** The batch index (or several) that produced the value. */
  batch?: number | readonly number[];
}

/** The common face of every spike rule. */
export interface SpikeDetector {
  readonly rule: string;
  /** Feeds one value; returns the event when it is a spike, else `null`. */
  observe(value: number, context?: ObserveContext): SpikeEvent | null;
  /** Recent events, oldest first (bounded). */
  events(): SpikeEvent[];
  /** Every batch index recorded by recent events, sorted, without repeats. */
  badBatches(): number[];
}

/** Options every rule shares. */
export interface SpikeCommonOptions {
  /** `'min'` (default) when lower is better (loss, gradient norm): rises are spikes; `'max'` flags drops. */
  mode?: 'min' | 'max';
  /** Observations before any finite value can be called a spike (non-finite ones always are). */
  warmup?: number;
  /** With a single batch index, also record the previous batch, which may have corrupted the weights (Lightning's choice). Default true. */
  excludePrevious?: boolean;
  /** How many events are kept. Default 100. */
  eventCapacity?: number;
}

/** Bookkeeping shared by the rules: step count, events, batch indices. Subclasses hold the statistics. */
abstract class SpikeRule implements SpikeDetector {
  abstract readonly rule: string;
  protected readonly mode: 'min' | 'max';
  protected readonly warmup: number;
  private readonly excludePrevious: boolean;
  private readonly recent: RingBuffer<SpikeEvent>;
  private count = 0;

  constructor(options: SpikeCommonOptions, defaultWarmup: number) {
    this.mode = options.mode ?? 'min';
    if (this.mode !== 'min' && this.mode !== 'max') {
      throw new ArgumentError('spikeDetector', `mode must be 'min' or 'max', got ${JSON.stringify(this.mode)}`);
    }
    this.warmup = nonNegativeInteger('spikeDetector', 'warmup', options.warmup ?? defaultWarmup);
    this.excludePrevious = options.excludePrevious ?? true;
    this.recent = new RingBuffer<SpikeEvent>(options.eventCapacity ?? 100);
  }

  /** The spike score when `value` is a spike, else null. Called only after warm-up for finite values. */
  protected abstract score(value: number): number | null;
  /** Folds a value into the statistics (`spike` says whether it was one). */
  protected abstract update(value: number, spike: boolean): void;

  observe(value: number, context: ObserveContext = {}): SpikeEvent | null {
    const step = context.step ?? this.count;
    const past = this.count;
    this.count++;
    const score = !Number.isFinite(value) ? Infinity : past >= this.warmup ? this.score(value) : null;
    if (Number.isFinite(value)) this.update(value, score !== null);
    if (score === null) return null;
    const event: SpikeEvent = { rule: this.rule, step, value, score, batches: this.batchesOf(context.batch) };
    this.recent.push(event);
    return event;
  }

  events(): SpikeEvent[] {
    return this.recent.toArray();
  }

  badBatches(): number[] {
    const all = new Set<number>();
    for (const event of this.recent.toArray()) for (const batch of event.batches) all.add(batch);
    return [...all].sort((a, b) => a - b);
  }

  /** True when `delta` (value minus reference) goes the bad way for this mode. */
  protected worse(delta: number): boolean {
    return this.mode === 'min' ? delta > 0 : delta < 0;
  }

  private batchesOf(batch: number | readonly number[] | undefined): number[] {
    if (batch === undefined) return [];
    if (typeof batch !== 'number') return [...batch];
    return this.excludePrevious && batch > 0 ? [batch - 1, batch] : [batch];
  }
}

/** Options of `zScoreSpike`. */
export interface ZScoreOptions extends SpikeCommonOptions {
  /** A value whose z-score exceeds this is a spike. Default 4. */
  threshold?: number;
  /** Exponential-average factor of the running mean and variance. Default 0.98. */
  alpha?: number;
  /** σ is floored at this fraction of |μ|, so a flat series does not turn rounding into spikes. Default 1e-3. */
  minRelStd?: number;
}

/**
 * The z-score rule: running mean μ and variance σ² (from the first `warmup` values, then an
 * exponential average with `alpha`); z = (x − μ)/σ, a spike when z > threshold (z < −threshold
 * in mode 'max'). A spike is folded into the statistics clipped to μ ± threshold·σ (as ZClip
 * does), so one outlier cannot inflate them, while a lasting change of level is still absorbed.
 *
 * @example
 * const detector = zScoreSpike({ threshold: 4, warmup: 20 });
 * const event = detector.observe(loss.item(), { batch: batchIndex });
 * if (event !== null) console.log(`spike at step ${event.step}, z = ${event.score}`);
 */
export class ZScoreSpikeDetector extends SpikeRule {
  readonly rule = 'zscore';
  private readonly threshold: number;
  private readonly alpha: number;
  private readonly minRelStd: number;
  private seen = 0;
  private mean = 0;
  private variance = 0;

  constructor(options: ZScoreOptions = {}) {
    super(options, 20);
    this.threshold = positive('threshold', options.threshold ?? 4);
    this.alpha = options.alpha ?? 0.98;
    if (!(this.alpha > 0 && this.alpha < 1)) throw new ArgumentError('zScoreSpike', `alpha must be in (0, 1), got ${this.alpha}`);
    this.minRelStd = options.minRelStd ?? 1e-3;
  }

  /** The current running mean and standard deviation. */
  get statistics(): { mean: number; std: number } {
    return { mean: this.mean, std: this.std() };
  }

  protected score(value: number): number | null {
    if (this.seen === 0) return null;
    const z = (value - this.mean) / this.std();
    const signed = this.mode === 'min' ? z : -z;
    return signed > this.threshold ? signed : null;
  }

  protected update(value: number, spike: boolean): void {
    this.seen++;
    if (this.seen <= Math.max(this.warmup, 1)) {
      // why: Welford's update gives the exact mean and variance of the warm-up values.
      const delta = value - this.mean;
      this.mean += delta / this.seen;
      this.variance += (delta * (value - this.mean) - this.variance) / this.seen;
      return;
    }
    const bound = this.threshold * this.std();
    const x = spike ? (this.mode === 'min' ? this.mean + bound : this.mean - bound) : value;
    const delta = x - this.mean;
    this.mean = this.alpha * this.mean + (1 - this.alpha) * x;
    this.variance = this.alpha * this.variance + (1 - this.alpha) * delta * delta;
  }

  private std(): number {
    return Math.max(Math.sqrt(this.variance), this.minRelStd * Math.abs(this.mean), Number.MIN_VALUE);
  }
}

/** Options of `spikeDetection` (Lightning's names). */
export interface LightningSpikeOptions extends SpikeCommonOptions {
  /** Size of the running-mean window. Default 10. */
  window?: number;
  /** Absolute tolerance: |x − mean| must reach it (null: no absolute test). Default null. */
  atol?: number | null;
  /** Relative tolerance: |x − mean| must reach rtol·|mean| (null: no relative test). Default 2. */
  rtol?: number | null;
}

/**
 * Lightning's `SpikeDetection` rule: the reference is the mean of the last `window` accepted
 * values. A value is a spike when it is non-finite, or when it is no better than the previous
 * accepted value and its distance from the mean reaches both `atol` and `rtol·|mean|`. Spikes are
 * not added to the window. Defaults as Lightning's: window 10, warmup 1, atol none, rtol 2.
 *
 * @example
 * const detector = spikeDetection({ window: 10, rtol: 2 });
 * detector.observe(2.3, { batch: 0 }); // null
 * detector.observe(230, { batch: 1 }); // { rule: 'lightning', step: 1, value: 230, score: 99, batches: [0, 1] }
 */
export class LightningSpikeDetector extends SpikeRule {
  readonly rule = 'lightning';
  private readonly windowValues: RingBuffer<number>;
  private readonly atol: number | null;
  private readonly rtol: number | null;
  private lastValue = 0;
  private windowSum = 0;

  constructor(options: LightningSpikeOptions = {}) {
    super(options, 1);
    this.windowValues = new RingBuffer<number>(positiveInteger('spikeDetector', 'window', options.window ?? 10));
    this.atol = options.atol ?? null;
    this.rtol = options.rtol === undefined ? 2 : options.rtol;
  }

  /** Mean of the values in the window (NaN when empty). */
  get runningMean(): number {
    const count = this.windowValues.length;
    return count === 0 ? NaN : this.windowSum / count;
  }

  protected score(value: number): number | null {
    if (!this.worse(value - this.lastValue)) return null;
    const mean = this.runningMean;
    const distance = Math.abs(value - mean);
    const atolOk = this.atol === null || distance >= Math.abs(this.atol);
    const rtolOk = this.rtol === null || distance >= Math.abs(this.rtol * mean);
    return atolOk && rtolOk ? distance / Math.abs(mean) : null;
  }

  protected update(value: number, spike: boolean): void {
    if (spike) return;
    const window = this.windowValues;
    if (window.length === window.capacity) this.windowSum -= window.at(0)!;
    window.push(value);
    this.windowSum += value;
    this.lastValue = value;
  }
}

/**
 * The z-score spike rule; see `ZScoreSpikeDetector`.
 * @example
 * const detector = guards.zScoreSpike({ threshold: 4 });
 */
export function zScoreSpike(options: ZScoreOptions = {}): ZScoreSpikeDetector {
  return new ZScoreSpikeDetector(options);
}

/**
 * Lightning's spike rule; see `LightningSpikeDetector`.
 * @example
 * const detector = guards.spikeDetection({ window: 10, rtol: 2 });
 */
export function spikeDetection(options: LightningSpikeOptions = {}): LightningSpikeDetector {
  return new LightningSpikeDetector(options);
}


function positive(name: string, value: number): number {
  if (!(value > 0)) throw new ArgumentError('spikeDetector', `${name} must be positive, got ${value}`);
  return value;
}
