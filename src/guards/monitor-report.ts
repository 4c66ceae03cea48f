import type { BackwardReport } from '../autograd/hooks.js';
import type { LayerStat } from './amplification.js';
import type { Layout, Slot } from './monitor-store.js';

/*
 * The monitor's part of the report `backward()` returns: `report.parameters` (each parameter's
 * gradient norm) and `report.layers` (each module's norm and amplification). Most training loops
 * never read them, and building a few dozen keyed objects every pass costs more than the rest
 * of the monitor's bookkeeping together, so the pass stores a copy of its numbers and the two
 * objects are made the first time someone reads them (then they are ordinary data properties).
 */

/** The numbers of one pass: gradient norms of the parameters, then layer norms, then amplifications. */
interface ReportFigures {
  readonly layout: Layout;
  readonly values: readonly number[];
}

const FIGURES = Symbol('monitor figures');

type MonitoredReport = BackwardReport & { [FIGURES]?: ReportFigures };

/** Replaces the accessor `key` with a plain data property holding `value`. */
function settle<K extends 'parameters' | 'layers'>(report: MonitoredReport, key: K, value: BackwardReport[K]): void {
  Object.defineProperty(report, key, { value, writable: true, enumerable: true, configurable: true });
}

function readParameters(this: MonitoredReport): Record<string, { gradNorm: number }> {
  const parameters: Record<string, { gradNorm: number }> = {};
  const figures = this[FIGURES];
  if (figures !== undefined) {
    const names = figures.layout.names;
    for (let i = 0; i < names.length; i++) parameters[names[i]!] = { gradNorm: figures.values[i]! };
  }
  settle(this, 'parameters', parameters);
  return parameters;
}

function readLayers(this: MonitoredReport): Record<string, LayerStat> {
  const layers: Record<string, LayerStat> = {};
  const figures = this[FIGURES];
  if (figures !== undefined) {
    const { names, order } = figures.layout;
    const base = names.length;
    for (let m = 0; m < order.length; m++) {
      layers[order[m]!] = { gradNorm: figures.values[base + m]!, amplification: figures.values[base + order.length + m]! };
    }
  }
  settle(this, 'layers', layers);
  return layers;
}

// why: the same descriptor objects every pass, so V8 reuses one hidden-class transition for them
const PARAMETERS: PropertyDescriptor = {
  get: readParameters,
  set(this: MonitoredReport, value: BackwardReport['parameters']) { settle(this, 'parameters', value); },
  enumerable: true,
  configurable: true,
};
const LAYERS: PropertyDescriptor = {
  get: readLayers,
  set(this: MonitoredReport, value: BackwardReport['layers']) { settle(this, 'layers', value); },
  enumerable: true,
  configurable: true,
};

/**
 * Gives `report` the figures of the pass in `record`: `report.parameters` and `report.layers`
 * read as plain objects, made on first read from a copy of the numbers taken now (the slot
 * itself is reused once the history is full).
 * @example
 * // inside the monitor's endPass, once the pass's slot is filled:
 * fillReport(control.report, record);
 * control.report.layers?.['0']?.amplification; // the figure of module '0', made on this first read
 */
export function fillReport(report: BackwardReport, record: Slot): void {
  const { figures: store, gradNormsAt, layerNormsAt, amplificationsAt } = record;
  const parameters = record.layout.names.length;
  const modules = record.layout.order.length;
  const values = new Array<number>(parameters + 2 * modules);
  for (let i = 0; i < parameters; i++) values[i] = store[gradNormsAt + i]!;
  for (let m = 0; m < modules; m++) {
    values[parameters + m] = store[layerNormsAt + m]!;
    values[parameters + modules + m] = store[amplificationsAt + m]!;
  }
  const figures: ReportFigures = { layout: record.layout, values };
  // why a plain store for the symbol: defineProperty is a runtime call (about 0.5 µs a pass)
  (report as MonitoredReport)[FIGURES] = figures;
  Object.defineProperty(report, 'parameters', PARAMETERS);
  Object.defineProperty(report, 'layers', LAYERS);
}
