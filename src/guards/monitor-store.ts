import type { NonFiniteInfo } from '../autograd/hooks.js';
import type { Tensor } from '../autograd/tensor.js';
import { checkElementLimit } from '../tensor/shape.js';
import { moduleOfParameter, type AmplificationTracker, type LayerStat } from './amplification.js';
import type { MonitorRecord, ParameterRecord } from './monitor-record.js';

/*
 * How a monitor keeps its history cheaply. A record per step of plain objects (a few dozen
 * per-module and per-parameter entries) would live for `history` steps: long enough to reach
 * the old generation of the garbage collector, whose collections then cost more than the
 * measurements themselves. So each step fills a preallocated slot of numbers instead, slots are
 * reused once the ring is full, and the module paths and parameter names, the same at every
 * step of a training loop, are kept once in a shared layout. `MonitorRecord` objects are made
 * only when someone asks for them (and then kept with their slot, so repeated calls return the
 * same objects and later updates such as `afterStep` show in them).
 */

/** The structure of a pass: module paths (forward order), their output ops, and parameter names. */
export class Layout {
  /** Index of each parameter's module in `order`, or -1 (the root module's parameters). */
  readonly moduleOfParameter: Int32Array;
  private readonly indexOfName = new Map<string, number>();

  constructor(
    readonly order: readonly string[],
    readonly ops: ReadonlyArray<string | undefined>,
    readonly names: readonly string[],
    modules: readonly string[],
    /** How many modules of `order` the pass met (the rest only own parameters). */
    readonly met: number = order.length,
  ) {
    this.moduleOfParameter = Int32Array.from(modules, (module) => order.indexOf(module));
    names.forEach((name, i) => this.indexOfName.set(name, i));
  }

  /** The index a parameter's figures are kept at (the last with that name, as in an object keyed by name). */
  parameterIndex(name: string): number | undefined {
    return this.indexOfName.get(name);
  }

  /** True when a pass with these modules, ops and parameter names fits this layout. */
  matches(order: readonly string[], ops: ReadonlyArray<string | undefined>, names: readonly string[]): boolean {
    return sameStrings(this.order, order) && sameStrings(this.ops, ops) && sameStrings(this.names, names);
  }
}

function sameStrings(a: ReadonlyArray<string | undefined>, b: ReadonlyArray<string | undefined>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const NO_FIGURES = new Float64Array(0);

/** How many numbers one pass with `layout` keeps: two per module, three per parameter. */
function figuresPerSlot(layout: Layout): number {
  return 2 * layout.order.length + 3 * layout.names.length;
}

/**
 * One pass's figures: the fields of a `MonitorRecord`, with the per-module and per-parameter numbers
 * in the ring's shared store, at the offsets below: [layer norms | amplifications (one per module) |
 * gradient norms | weight norms | update ratios (one per parameter)].
 */
export class Slot {
  step = 0;
  totalNorm = NaN;
  clipScale = 1;
  ok = true;
  loss = NaN;
  nonFinite: NonFiniteInfo | null = null;
  weightNorm = NaN;
  updateRatio = NaN;
  readonly spikes: Array<'loss' | 'gradNorm'> = [];
  batch: number[] | undefined = undefined;
  // why offsets into one shared store, not a subarray per kind: while the ring fills, a slot is made
  // per pass, and each typed-array view would be one more object to allocate (five per pass)
  figures: Float64Array = NO_FIGURES;
  layerNormsAt = 0;
  amplificationsAt = 0;
  gradNormsAt = 0;
  weightNormsAt = 0;
  updateRatiosAt = 0;
  /** The record made from this slot, once asked for. */
  record: MonitorRecord | null = null;

  constructor(public layout: Layout) {}

  /** Clears the slot for a new pass with `layout`; its figures live at slot `index` of `store` (one buffer for the whole ring). */
  reset(layout: Layout, store: Float64Array, index: number): void {
    this.record = null;
    if (this.spikes.length > 0) this.spikes.length = 0; // why the test: setting length is a call into the engine
    this.batch = undefined;
    this.nonFinite = null;
    this.weightNorm = NaN;
    this.updateRatio = NaN;
    const modules = layout.order.length;
    const parameters = layout.names.length;
    const base = index * figuresPerSlot(layout);
    this.layout = layout;
    this.figures = store;
    this.layerNormsAt = base;
    this.amplificationsAt = base + modules;
    this.gradNormsAt = base + 2 * modules;
    this.weightNormsAt = base + 2 * modules + parameters;
    this.updateRatiosAt = base + 2 * modules + 2 * parameters;
    for (let m = 0; m < modules; m++) store[this.layerNormsAt + m] = 0;
    for (let i = 0; i < parameters; i++) {
      store[this.weightNormsAt + i] = NaN;
      store[this.updateRatiosAt + i] = NaN;
    }
  }

  /** The slot as a `MonitorRecord` (made once, then kept in step with the slot). */
  toRecord(): MonitorRecord {
    if (this.record !== null) return this.syncRecord();
    const { order, ops: opList, names } = this.layout;
    const layers: Record<string, LayerStat> = {};
    const ops: Record<string, string> = {};
    order.forEach((module, i) => {
      layers[module] = { gradNorm: this.figures[this.layerNormsAt + i]!, amplification: this.figures[this.amplificationsAt + i]! };
      const op = opList[i];
      if (op !== undefined) ops[module] = op;
    });
    const parameters: Record<string, ParameterRecord> = {};
    names.forEach((name, i) => {
      parameters[name] = {
        gradNorm: this.figures[this.gradNormsAt + i]!,
        weightNorm: this.figures[this.weightNormsAt + i]!,
        updateRatio: this.figures[this.updateRatiosAt + i]!,
      };
    });
    const record: MonitorRecord = {
      step: this.step, totalNorm: this.totalNorm, clipScale: this.clipScale, ok: this.ok, loss: this.loss, layers,
      order: [...order], ops, parameters, nonFinite: this.nonFinite, weightNorm: this.weightNorm, updateRatio: this.updateRatio,
      spikes: [...this.spikes],
    };
    if (this.batch !== undefined) record.batch = [...this.batch];
    this.record = record;
    return record;
  }

  /** Copies the fields that change after a pass (its final report, `afterStep`) into the kept record. */
  private syncRecord(): MonitorRecord {
    const record = this.record!;
    record.clipScale = this.clipScale;
    record.ok = this.ok;
    record.nonFinite = this.nonFinite;
    record.weightNorm = this.weightNorm;
    record.updateRatio = this.updateRatio;
    this.layout.names.forEach((name, i) => {
      const entry = record.parameters[name];
      if (entry !== undefined && this.layout.parameterIndex(name) === i) {
        entry.weightNorm = this.figures[this.weightNormsAt + i]!;
        entry.updateRatio = this.figures[this.updateRatiosAt + i]!;
      }
    });
    return record;
  }
}

/** A ring of slots: once full, the oldest slot is reused for the next pass. */
export class SlotRing {
  private readonly slots: Slot[] = [];
  private start = 0;
  /** The figures of every slot with `storeLayout`, allocated once for the whole ring. */
  private store = new Float64Array(0);
  private storeLayout: Layout | null = null;

  constructor(readonly capacity: number) {}

  /** The slot for a new pass, cleared for `layout`. */
  next(layout: Layout): Slot {
    if (layout !== this.storeLayout) {
      const perRecord = figuresPerSlot(layout);
      checkElementLimit('monitor', [this.capacity, perRecord]); // a huge history fails here, typed
      this.store = new Float64Array(this.capacity * perRecord);
      this.storeLayout = layout;
    }
    const full = this.slots.length === this.capacity;
    const index = full ? this.start : this.slots.length;
    const slot = full ? this.slots[index]! : new Slot(layout);
    if (full) this.start = (this.start + 1) % this.capacity;
    else this.slots.push(slot);
    slot.reset(layout, this.store, index);
    return slot;
  }

  /** The newest slot, or undefined before the first pass. */
  last(): Slot | undefined {
    if (this.slots.length === 0) return undefined;
    return this.slots[(this.start + this.slots.length - 1) % this.slots.length];
  }

  /** The records, oldest first. */
  records(): MonitorRecord[] {
    const out: MonitorRecord[] = [];
    for (let i = 0; i < this.slots.length; i++) out.push(this.slots[(this.start + i) % this.slots.length]!.toRecord());
    return out;
  }
}

/** Remembers the layout and the parameter names of the last pass, to reuse them while they hold. */
export class LayoutCache {
  private layout: Layout | null = null;
  /** The parameters of the last pass, their names and modules (a training loop passes the same ones every step). */
  private named: { parameters: Tensor[]; names: string[]; modules: string[] } = { parameters: [], names: [], modules: [] };

  /** The layout of this pass: the previous one when modules, ops and parameter names are unchanged. */
  layoutOf(parameters: readonly Tensor[], tracker: AmplificationTracker): Layout {
    const { names, modules } = this.namesOf(parameters);
    const last = this.layout;
    // why: the usual case, the same parameters and modules as last pass, is checked without building anything
    if (last !== null && last.names === names && tracker.sameModules(last.order, last.ops, last.met)) return last;
    const order = tracker.order();
    const met = order.length;
    for (const module of modules) if (module !== '' && !order.includes(module)) order.push(module);
    const ops = order.map((_, i) => (i < met ? tracker.opAt(i) : undefined));
    if (last !== null && last.matches(order, ops, names)) return last;
    this.layout = new Layout(order, ops, names, modules, met);
    return this.layout;
  }

  /** Each parameter's record key (its name, or `parameter<i>`) and module ('' for none). */
  private namesOf(parameters: readonly Tensor[]): { names: string[]; modules: string[] } {
    const cached = this.named;
    if (sameTensors(cached.parameters, parameters)) return cached;
    const names = parameters.map((p, i) => p.name ?? `parameter${i}`);
    const modules = parameters.map((p) => (p.name === undefined ? '' : moduleOfParameter(p.name)));
    this.named = { parameters: [...parameters], names, modules };
    return this.named;
  }
}

/** True when both lists hold the same tensors in the same order. */
export function sameTensors(a: readonly Tensor[], b: readonly Tensor[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
