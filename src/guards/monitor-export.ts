import type { NonFiniteInfo } from '../autograd/hooks.js';
import type { WeightInit } from './diagnose-causes.js';
import type { MonitorRecord, MonitorSpikeEvent } from './monitor.js';

/*
 * Export of a monitor's history as plain objects and JSON lines. JSON has no NaN or Infinity,
 * and both matter here (an unmeasurable amplification, an overflowed norm), so they are written
 * as the strings "NaN", "Infinity" and "-Infinity" and read back as numbers.
 */

/** Everything a monitor holds, as plain data. */
export interface MonitorSnapshot {
  /** Backward passes seen in all. */
  steps: number;
  /** Records the history keeps. */
  capacity: number;
  records: MonitorRecord[];
  spikes: MonitorSpikeEvent[];
  firstNonFinite: (NonFiniteInfo & { step: number }) | null;
  /** Std and fan-in of each 2-D weight at the monitor's first pass. */
  initialWeights: Record<string, WeightInit> | null;
}

/**
 * One JSON object per line, one line per record.
 * @example
 * const text = monitorToJSONLines(monitor.history());
 * const again = parseMonitorJSONLines(text); // equal records, NaN included
 */
export function monitorToJSONLines(records: readonly MonitorRecord[]): string {
  return records.map((record) => JSON.stringify(record, writeNonFinite)).join('\n');
}

/**
 * Reads records written by `monitorToJSONLines` (or `monitor.toJSONLines()`); blank lines are skipped.
 * @example
 * guards.diagnose(parseMonitorJSONLines(text)).verdict;
 */
export function parseMonitorJSONLines(text: string): MonitorRecord[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line, readNonFinite) as MonitorRecord);
}

function writeNonFinite(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value;
}

function readNonFinite(_key: string, value: unknown): unknown {
  if (value === 'NaN') return NaN;
  if (value === 'Infinity') return Infinity;
  if (value === '-Infinity') return -Infinity;
  return value;
}
