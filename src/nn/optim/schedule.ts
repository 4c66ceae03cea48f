import { ArgumentError, checkOptions, describeValue, positiveInteger } from '../../errors.js';
import { checkRange, type BaseOptions, type Optimizer } from './optimizer.js';

/**
 * Learning-rate schedules, as `torch.optim.lr_scheduler`: each sets `group.lr` of every
 * parameter group from the group's starting rate (`initialLr`) and the number of `step()`
 * calls so far. Call `scheduler.step()` once per epoch (or per batch), after `optimizer.step()`.
 * Each schedule is a closed form `lrAt(epoch, baseLr)`, so schedules can be put in sequence.
 * @example
 * class Halving extends optim.LRScheduler {
 *   constructor(optimizer: optim.Optimizer<{ lr: number }>) { super(optimizer); this.apply(); }
 *   lrAt(epoch: number, baseLr: number): number { return baseLr / 2 ** epoch; }
 * }
 */
export abstract class LRScheduler {
  /** How many times `step()` has been called (PyTorch's `last_epoch`, 0 after construction). */
  lastEpoch = 0;
  readonly baseLrs: number[];

  constructor(readonly optimizer: Optimizer<BaseOptions>) {
    const groups: unknown = (optimizer as { paramGroups?: unknown } | null)?.paramGroups;
    if (!Array.isArray(groups)) throw new ArgumentError(new.target.name, `optimizer must be an optimizer with paramGroups, got ${describeValue(optimizer)}`);
    for (const group of optimizer.paramGroups) group.initialLr ??= group.lr;
    this.baseLrs = optimizer.paramGroups.map((group) => group.initialLr!);
  }

  /** The learning rate at `epoch` for a group that started at `baseLr`. */
  abstract lrAt(epoch: number, baseLr: number): number;

  /** Sets every group's `lr` for the current epoch (subclasses call it at the end of their constructor). */
  protected apply(): void {
    this.optimizer.paramGroups.forEach((group, i) => {
      group.lr = this.lrAt(this.lastEpoch, this.baseLrs[i]!);
    });
  }

  /** Advances one epoch and sets the new learning rates. */
  step(): void {
    this.lastEpoch += 1;
    this.apply();
  }

  /** The learning rates set by the last `step()` (PyTorch's `get_last_lr()`). */
  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((group) => group.lr);
  }
}

/**
 * Step decay: lr = base·γ^⌊epoch / stepSize⌋ (PyTorch's `StepLR`).
 * @example const scheduler = new optim.StepLR(optimizer, { stepSize: 30, gamma: 0.1 });
 */
export class StepLR extends LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;

  constructor(optimizer: Optimizer<BaseOptions>, options: { stepSize: number; gamma?: number }) {
    super(optimizer);
    this.stepSize = positiveInteger('StepLR', 'stepSize', checkOptions('StepLR', options).stepSize);
    this.gamma = options.gamma ?? 0.1;
    checkRange('StepLR', 'gamma', this.gamma);
    this.apply();
  }

  lrAt(epoch: number, baseLr: number): number {
    return baseLr * this.gamma ** Math.floor(epoch / this.stepSize);
  }
}

/**
 * Cosine annealing from base to `etaMin` over `tMax` epochs (PyTorch's `CosineAnnealingLR`,
 * closed form): lr = η_min + (base − η_min)·(1 + cos(π·epoch/tMax))/2.
 * @example const scheduler = new optim.CosineAnnealingLR(optimizer, { tMax: 100 });
 */
export class CosineAnnealingLR extends LRScheduler {
  readonly tMax: number;
  readonly etaMin: number;

  constructor(optimizer: Optimizer<BaseOptions>, options: { tMax: number; etaMin?: number }) {
    super(optimizer);
    this.tMax = positiveInteger('CosineAnnealingLR', 'tMax', checkOptions('CosineAnnealingLR', options).tMax);
    this.etaMin = options.etaMin ?? 0;
    checkRange('CosineAnnealingLR', 'etaMin', this.etaMin);
    this.apply();
  }

  lrAt(epoch: number, baseLr: number): number {
    return this.etaMin + ((baseLr - this.etaMin) * (1 + Math.cos((Math.PI * epoch) / this.tMax))) / 2;
  }
}

/**
 * Linear ramp of the factor from `startFactor` to `endFactor` over `totalIters` epochs, then
 * constant (PyTorch's `LinearLR`; defaults 1/3, 1, 5).
 * @example const scheduler = new optim.LinearLR(optimizer, { startFactor: 0.1, totalIters: 10 });
 */
export class LinearLR extends LRScheduler {
  readonly startFactor: number;
  readonly endFactor: number;
  readonly totalIters: number;

  constructor(optimizer: Optimizer<BaseOptions>, options: { startFactor?: number; endFactor?: number; totalIters?: number } = {}) {
    super(optimizer);
    const { startFactor = 1 / 3, endFactor = 1, totalIters = 5 } = checkOptions('LinearLR', options);
    if (typeof startFactor !== 'number' || typeof endFactor !== 'number' || !(startFactor > 0 && startFactor <= 1) || !(endFactor >= 0 && endFactor <= 1)) {
      throw new ArgumentError('LinearLR', `startFactor must be in (0, 1] and endFactor in [0, 1], got ${startFactor} and ${endFactor}`);
    }
    positiveInteger('LinearLR', 'totalIters', totalIters);
    this.startFactor = startFactor;
    this.endFactor = endFactor;
    this.totalIters = totalIters;
    this.apply();
  }

  lrAt(epoch: number, baseLr: number): number {
    const progress = Math.min(epoch, this.totalIters) / this.totalIters;
    return baseLr * (this.startFactor + (this.endFactor - this.startFactor) * progress);
  }
}

/**
 * Linear warm-up over the first `warmupSteps` epochs: the factor climbs from `startFactor`
 * (default 1/warmupSteps) at epoch 0 to 1 at epoch warmupSteps − 1, then stays 1. With the
 * default, epoch e runs at base·(e + 1)/warmupSteps. (`LinearLR` with endFactor 1 over
 * warmupSteps − 1 epochs.)
 * @example
 * const warmup = new optim.LinearWarmup(optimizer, { warmupSteps: 100 });
 */
export class LinearWarmup extends LRScheduler {
  readonly warmupSteps: number;
  readonly startFactor: number;

  constructor(optimizer: Optimizer<BaseOptions>, options: { warmupSteps: number; startFactor?: number }) {
    super(optimizer);
    positiveInteger('LinearWarmup', 'warmupSteps', checkOptions('LinearWarmup', options).warmupSteps);
    this.warmupSteps = options.warmupSteps;
    this.startFactor = options.startFactor ?? 1 / options.warmupSteps;
    if (typeof this.startFactor !== 'number' || !(this.startFactor > 0 && this.startFactor <= 1)) {
      throw new ArgumentError('LinearWarmup', `startFactor must be in (0, 1], got ${this.startFactor}`);
    }
    this.apply();
  }

  lrAt(epoch: number, baseLr: number): number {
    const ramp = this.warmupSteps - 1;
    const progress = ramp === 0 ? 1 : Math.min(epoch, ramp) / ramp;
    return baseLr * (this.startFactor + (1 - this.startFactor) * progress);
  }
}

/**
 * Runs schedules one after another (PyTorch's `SequentialLR`): `schedulers[i]` is active from
 * `milestones[i − 1]` on, counting its own epochs from 0 there.
 * @example
 * const warmup = new optim.LinearWarmup(optimizer, { warmupSteps: 5 });
 * const cosine = new optim.CosineAnnealingLR(optimizer, { tMax: 95 });
 * const scheduler = new optim.SequentialLR(optimizer, [warmup, cosine], [5]);
 */
export class SequentialLR extends LRScheduler {
  constructor(
    optimizer: Optimizer<BaseOptions>,
    readonly schedulers: readonly LRScheduler[],
    readonly milestones: readonly number[],
  ) {
    super(optimizer);
    if (!Array.isArray(schedulers) || !Array.isArray(milestones)) {
      throw new ArgumentError('SequentialLR', `schedulers and milestones must be arrays, got ${describeValue(schedulers)} and ${describeValue(milestones)}`);
    }
    if (schedulers.length === 0 || milestones.length !== schedulers.length - 1) {
      throw new ArgumentError('SequentialLR', `needs one milestone fewer than schedulers, got ${schedulers.length} schedulers and ${milestones.length} milestones`);
    }
    if (milestones.some((m, i) => !Number.isInteger(m) || m <= 0 || (i > 0 && m <= milestones[i - 1]!))) {
      throw new ArgumentError('SequentialLR', `milestones must be increasing positive integers, got [${milestones.join(',')}]`);
    }
    if (schedulers.some((s) => !(s instanceof LRScheduler) || s.optimizer !== optimizer)) {
      throw new ArgumentError('SequentialLR', 'every scheduler must drive the same optimizer');
    }
    this.apply();
  }

  lrAt(epoch: number, baseLr: number): number {
    let index = 0;
    while (index < this.milestones.length && epoch >= this.milestones[index]!) index++;
    const start = index === 0 ? 0 : this.milestones[index - 1]!;
    return this.schedulers[index]!.lrAt(epoch - start, baseLr);
  }
}
