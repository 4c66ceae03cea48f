import type {
  BackwardReport, EndOfPassEvent, Guard, GradientView, NonFiniteInfo, ParameterGradientEvent, PassControl, TensorGradientEvent,
} from '../autograd/hooks.js';
import type { Tensor } from '../autograd/tensor.js';
import { checkOptions, positiveInteger } from '../errors.js';
import { UpdateMeter } from '../tensor/kernels/update-meter.js';
import { AmplificationTracker } from './amplification.js';
import { weightInits, type WeightInit } from './diagnose-causes.js';
import { monitorToJSONLines, type MonitorSnapshot } from './monitor-export.js';
import { recordUpdates, type MonitorRecord, type MonitorSpikeEvent } from './monitor-record.js';
import { fillReport } from './monitor-report.js';
import { LayoutCache, SlotRing, sameTensors, type Slot } from './monitor-store.js';
import { RingBuffer } from './ring.js';
import { spikeDetection, type ObserveContext, type SpikeDetector } from './spike.js';

export type { MonitorRecord, MonitorSpikeEvent, ParameterRecord } from './monitor-record.js';

/** Options of `guards.monitor`. */
export interface MonitorOptions {
  /** How many records are kept (a ring buffer: memory is constant however long the run). Default 1000. */
  history?: number;
  /** How many spike events are kept. Default 100. */
  eventCapacity?: number;
  /**
   * Measure ‖ΔW‖/‖W‖ at `afterStep`: gradguard's plain SGD, and Adam/AdamW on WebAssembly, measure
   * their own step as they write it; for other updates the monitor compares with a copy of the
   * weights it keeps. Default true.
   */
  trackUpdates?: boolean;
  /** Spike rule on the loss; default Lightning's (`spikeDetection()`); false for none. */
  lossSpikes?: SpikeDetector | false;
  /**
   * Spike rule on the global gradient norm; default Lightning's too (a short window follows the
   * slow drift of the norm during training, where a long running mean lags and cries wolf); false for none.
   */
  gradNormSpikes?: SpikeDetector | false;
}

/** The state of the pass in progress. */
interface PassState {
  report: BackwardReport;
  rootLoss: number;
  rootSeen: boolean;
  /** Backward started from a one-element tensor: its value is the loss. */
  rootScalar: boolean;
  record: Slot | null;
}

/**
 * A guard that watches training: per-parameter and per-layer gradient norms, gradient
 * amplification per module, the global norm, the loss, weight norms and update-to-weight
 * ratios, and spikes of the loss and the global norm, all in bounded ring buffers. It fills
 * `report.parameters` and `report.layers`. Put it first in the guard list to see the gradients
 * before any clip changes them (the report's `totalNorm` is pre-clip either way).
 *
 * @example
 * const monitor = guards.monitor({ history: 500 });
 * for (let step = 0; step < 100; step++) {
 *   optimizer.zeroGrad();
 *   const loss = nn.crossEntropy(model.forward(x), y);
 *   loss.backward({ guards: [monitor, guards.globalNormClip({ maxNorm: 1 })] });
 *   optimizer.step();
 *   monitor.afterStep();
 * }
 * console.log(guards.diagnose(monitor).summary);
 */
export class Monitor implements Guard {
  readonly name = 'monitor';
  private readonly records: SlotRing;
  private readonly spikeEvents: RingBuffer<MonitorSpikeEvent>;
  private readonly tracker = new AmplificationTracker();
  private readonly lossDetector: SpikeDetector | null;
  private readonly gradNormDetector: SpikeDetector | null;
  private readonly trackUpdates: boolean;
  /** ‖ΔW‖ of each parameter: the optimizer's own measure, or its weights as they were at the last `afterStep` (or when first seen). */
  private readonly updates = new UpdateMeter();
  private lastParameters: readonly Tensor[] = [];
  private pass: PassState | null = null;
  private pendingLoss: number | null = null;
  private pendingBatch: number | readonly number[] | undefined;
  private passes = 0;
  private first: (NonFiniteInfo & { step: number }) | null = null;
  private initial: Record<string, WeightInit> | null = null;
  private readonly layouts = new LayoutCache();

  constructor(options: MonitorOptions = {}) {
    const history = positiveInteger('monitor', 'history', checkOptions('monitor', options).history ?? 1000);
    this.records = new SlotRing(history);
    this.spikeEvents = new RingBuffer<MonitorSpikeEvent>(positiveInteger('monitor', 'eventCapacity', options.eventCapacity ?? 100));
    this.trackUpdates = options.trackUpdates ?? true;
    this.lossDetector = options.lossSpikes === false ? null : options.lossSpikes ?? spikeDetection();
    this.gradNormDetector = options.gradNormSpikes === false ? null : options.gradNormSpikes ?? spikeDetection();
  }

  /** How many records the history keeps. */
  get capacity(): number {
    return this.records.capacity;
  }

  /** How many backward passes the monitor has seen (records beyond `capacity` were dropped). */
  get steps(): number {
    this.finishPass();
    return this.passes;
  }

  beginPass(control: PassControl): void {
    this.finishPass();
    this.tracker.reset();
    this.pass = { report: control.report, rootLoss: NaN, rootSeen: false, rootScalar: false, record: null };
  }

  // why: no `onNodeGradient`: the engine shows a buffer through one view in every event (this
  // view is the `gradOut` of the tensor's node next), so measuring here shares its cached
  // statistics with nanTrap; and a guard less per node is a call less per node
  onTensorGradient(event: TensorGradientEvent): void {
    const pass = this.pass;
    if (pass === null) return;
    if (!pass.rootSeen) {
      pass.rootSeen = true;
      this.tracker.onRoot(event.tensor);
      pass.rootScalar = event.tensor.size === 1;
      if (pass.rootScalar) pass.rootLoss = event.tensor.data[0]!;
    }
    this.tracker.onGradient(event.tensor, event.grad);
  }

  onParameterGradient(event: ParameterGradientEvent): void {
    this.tracker.onGradient(event.parameter, event.grad);
  }

  endPass(event: EndOfPassEvent, control: PassControl): void {
    const pass = this.pass;
    if (pass === null) return;
    if (this.initial === null) this.initial = weightInits(event.parameters.map((p, i) => [p.name ?? `parameter${i}`, p] as const));
    const record = this.buildRecord(pass, event.parameters, event.grads, true);
    pass.record = record;
    fillReport(control.report, record);
    // why: a copy is taken only the first time a parameter is seen (a training loop passes the same
    // ones every step); `afterStep` refreshes it as it measures, or uses the optimizer's own measure
    // of its step when it made one (see UpdateMeter)
    if (!sameTensors(this.lastParameters, event.parameters)) {
      if (this.trackUpdates) for (const param of event.parameters) this.updates.remember(param, param.data, param.version);
      this.lastParameters = event.parameters;
    }
    for (const spike of record.spikes) {
      control.report.actions.push({ guard: 'monitor', kind: 'spike', target: spike, message: `monitor: ${spike} spike at step ${record.step}` });
    }
  }

  /** Sets the loss of the next backward pass (by default the monitor reads the scalar backward starts from). */
  recordLoss(value: number): void {
    this.pendingLoss = value;
  }

  /** Tags the next backward pass with the batch indices it used, so spike events can name them. */
  recordBatch(batch: number | readonly number[]): void {
    this.pendingBatch = typeof batch === 'number' ? batch : [...batch];
  }

  /**
   * Tells the monitor an optimizer step was applied: records each parameter's weight norm and
   * ‖ΔW‖/‖W‖ in the latest record. ΔW is the optimizer's own measure of its step when exactly one
   * step of an optimizer that measures itself (plain SGD; Adam/AdamW on WebAssembly) changed the
   * parameter since the last `afterStep` (no copy is kept then); otherwise the weights are compared
   * with a copy taken at the previous `afterStep` (or at the first pass). A change the monitor can
   * measure neither way, such as a rollback after the optimizer had been measuring, gives NaN for
   * that step, and the next one is measured again.
   * `params` defaults to the parameters of the last pass.
   */
  afterStep(params: readonly Tensor[] = this.lastParameters): void {
    this.finishPass();
    const record = this.records.last();
    if (record !== undefined) recordUpdates(record, params, this.updates);
  }

  /** The kept records, oldest first (at most `capacity`). */
  history(): MonitorRecord[] {
    this.finishPass();
    return this.records.records();
  }

  /** The newest record, or undefined before the first pass. */
  latest(): MonitorRecord | undefined {
    this.finishPass();
    return this.records.last()?.toRecord();
  }

  /** Recent spike events of the loss and gradient-norm detectors, oldest first. */
  spikes(): MonitorSpikeEvent[] {
    this.finishPass();
    return this.spikeEvents.toArray();
  }

  /** Batch indices named by recent spike events (sorted, unique): what a resumed run should skip. */
  badBatches(): number[] {
    const all = new Set<number>();
    for (const event of this.spikes()) for (const batch of event.batches) all.add(batch);
    return [...all].sort((a, b) => a - b);
  }

  /** The first non-finite value the monitor ever saw (kept even after its record is dropped). */
  firstNonFinite(): (NonFiniteInfo & { step: number }) | null {
    this.finishPass();
    return this.first;
  }

  /** Std and fan-in of every 2-D weight when the monitor first saw it (its init, if it watched from step 0). */
  initialWeights(): Record<string, WeightInit> | null {
    return this.initial;
  }

  /** Everything the monitor holds, as plain objects. */
  toObject(): MonitorSnapshot {
    return {
      steps: this.steps, capacity: this.capacity, records: this.history(), spikes: this.spikes(),
      firstNonFinite: this.firstNonFinite(), initialWeights: this.initial,
    };
  }

  /** The records as JSON lines (one object per line; NaN and ±Infinity written as strings). */
  toJSONLines(): string {
    return monitorToJSONLines(this.history());
  }

  /** Closes the last pass: brings its record up to date with the final report, or makes one for a pass that never ended. */
  private finishPass(): void {
    const pass = this.pass;
    if (pass === null) return;
    this.pass = null;
    const record = pass.record ?? this.buildRecord(pass, [], [], false);
    record.clipScale = pass.report.clipScale;
    record.ok = pass.report.ok;
    if (pass.report.nonFinite !== null) record.nonFinite = pass.report.nonFinite;
    if (record.nonFinite !== null && this.first === null) this.first = { ...record.nonFinite, step: record.step };
  }

  /** Fills the slot of a pass; `finished` is false for a pass that was stopped or threw (no norms then). */
  private buildRecord(pass: PassState, parameters: readonly Tensor[], grads: readonly GradientView[], finished: boolean): Slot {
    const record = this.records.next(this.layouts.layoutOf(parameters, this.tracker));
    const { moduleOfParameter: moduleIndex, order, met } = record.layout;
    const { figures, gradNormsAt, layerNormsAt, amplificationsAt } = record;
    for (let i = 0; i < parameters.length; i++) {
      const squares = grads[i]?.stats.sumOfSquares ?? NaN;
      figures[gradNormsAt + i] = Math.sqrt(squares);
      const module = moduleIndex[i]!;
      if (module >= 0) figures[layerNormsAt + module] = figures[layerNormsAt + module]! + squares;
    }
    for (let m = 0; m < order.length; m++) {
      figures[layerNormsAt + m] = Math.sqrt(figures[layerNormsAt + m]!);
      // why: the layout's first `met` modules are this pass's, in the tracker's forward order
      figures[amplificationsAt + m] = m < met ? this.tracker.amplificationAt(m) : NaN;
    }
    record.step = this.passes++;
    record.totalNorm = finished ? pass.report.totalNorm : NaN;
    record.clipScale = pass.report.clipScale;
    record.ok = pass.report.ok;
    record.loss = this.pendingLoss ?? pass.rootLoss;
    record.nonFinite = pass.report.nonFinite ?? this.locatedNonFinite();
    const batch = this.pendingBatch;
    if (batch !== undefined) record.batch = typeof batch === 'number' ? [batch] : [...batch];
    this.detectSpikes(record, this.pendingLoss !== null || pass.rootScalar, finished);
    this.pendingLoss = null;
    this.pendingBatch = undefined;
    return record;
  }

  private locatedNonFinite(): NonFiniteInfo | null {
    const forward = this.tracker.forwardNonFinite();
    if (forward !== null) {
      return forward.module === '' ? { op: forward.op, phase: 'forward' } : { op: forward.op, phase: 'forward', module: forward.module };
    }
    const backward = this.tracker.backwardNonFinite();
    return backward === null ? null : { op: backward.op, phase: 'backward', module: backward.module };
  }

  private detectSpikes(record: Slot, lossKnown: boolean, normKnown: boolean): void {
    const context = this.pendingBatch === undefined ? { step: record.step } : { step: record.step, batch: this.pendingBatch };
    if (lossKnown) this.observe('loss', this.lossDetector, record.loss, context, record);
    if (normKnown) this.observe('gradNorm', this.gradNormDetector, record.totalNorm, context, record);
  }

  private observe(signal: 'loss' | 'gradNorm', detector: SpikeDetector | null, value: number, context: ObserveContext, record: Slot): void {
    if (detector === null) return;
    const event = detector.observe(value, context);
    if (event === null) return;
    this.spikeEvents.push({ ...event, signal });
    record.spikes.push(signal);
  }
}

/**
 * A monitor guard; see `Monitor`.
 * @example
 * const watch = guards.monitor({ history: 1000 });
 * loss.backward({ guards: [watch] });
 * watch.history().at(-1)?.layers['0']; // { gradNorm, amplification, … } of the first module
 */
export function monitor(options: MonitorOptions = {}): Monitor {
  return new Monitor(options);
}
