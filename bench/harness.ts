import type BenchmarkType from 'benchmark';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';

/*
 * The shared timing and reporting code of every suite: one benchmark.js measurement per case,
 * a side-by-side table (gradguard, each peer, and the speedup of gradguard over each peer),
 * and a JSON file per suite under bench/results/.
 */

/** What a figure means: throughput (higher is better) or time per call (lower is better). */
export type Unit = 'GFLOP/s' | 'GB/s' | 'ms' | 'µs' | 'MB';

// why require(): see the note on `tf` in peers.ts (an ESM import of a CommonJS package under tsx slows every typed-array loop).
const Benchmark = createRequire(import.meta.url)('benchmark') as typeof BenchmarkType;

/** Speed limits for one measurement, from BENCH_MAX_TIME (seconds per case, default 0.25). */
const MAX_TIME = Number(process.env.BENCH_MAX_TIME ?? '0.25');

export interface Measurement {
  /** Mean seconds per call. */
  seconds: number;
  /** Relative margin of error, percent. */
  rme: number;
  samples: number;
}

/** A full garbage collection, without --expose-gc on the command line (npm run bench runs plain tsx). */
export const collectGarbage: () => void = (() => {
  v8.setFlagsFromString('--expose-gc');
  const gc: unknown = vm.runInNewContext('gc');
  return typeof gc === 'function' ? () => void gc() : () => undefined;
})();

/**
 * Times `fn` with benchmark.js (synchronously) and returns the mean time per call. A full GC
 * first, so that no case pays for the garbage the previous one left.
 */
export function measure(name: string, fn: () => void): Measurement {
  collectGarbage();
  fn(); // warm up once outside the timer (JIT, first allocations)
  const bench = new Benchmark(name, fn, { maxTime: MAX_TIME, minSamples: 3, initCount: 1 });
  bench.run();
  if (bench.error !== undefined) throw bench.error;
  return { seconds: bench.stats.mean, rme: bench.stats.rme, samples: bench.stats.sample.length };
}

/** Converts a mean time into the figure of the unit: `work` is FLOPs or bytes per call (ignored for times). */
export function figure(unit: Unit, seconds: number, work: number): number {
  if (unit === 'ms') return seconds * 1e3;
  if (unit === 'µs') return seconds * 1e6;
  return work / seconds / 1e9;
}

/** Speedup of gradguard over a peer (> 1: gradguard is faster), whatever the unit. */
export function speedup(unit: Unit, ours: number, theirs: number): number {
  return unit === 'ms' || unit === 'µs' ? theirs / ours : ours / theirs;
}

/** One line of a table: a workload and the figure of each contender (NaN when not measured). */
export interface Row {
  name: string;
  unit: Unit;
  /** Keyed by contender: 'gradguard ts', 'gradguard auto', 'tfjs-cpu', 'tfjs-wasm', and 'pytorch' (train suite, when it ran). */
  figures: Record<string, number>;
  /** Anything else worth keeping in the JSON (relative errors, ratios, notes). */
  extra?: Record<string, number | string>;
}

/** A ratio column: how many times faster `ours` is than `theirs`. */
export type Pair = readonly [ours: string, theirs: string];

/** A figure with three significant digits or so, '—' when missing. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '—';
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  if (value >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

/** The speedup of `pair` on `row`, NaN when either side is missing. */
export function ratioOf(row: Row, [ours, theirs]: Pair): number {
  return speedup(row.unit, row.figures[ours] ?? NaN, row.figures[theirs] ?? NaN);
}

/** Renders rows as an aligned text table: one column per contender, then one per ratio pair. */
export function formatTable(title: string, rows: readonly Row[], columns: readonly string[], pairs: readonly Pair[]): string {
  const short = (name: string): string => name.replace('gradguard ', 'gg ').replace('tfjs-', '');
  const header = ['workload', 'unit', ...columns, ...pairs.map(([a, b]) => `${short(a)}÷${short(b)}`)];
  const body = rows.map((row) => [
    row.name,
    row.unit,
    ...columns.map((c) => formatNumber(row.figures[c] ?? NaN)),
    ...pairs.map((pair) => {
      const ratio = ratioOf(row, pair);
      return Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : '—';
    }),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => cells[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [`\n${title}`, line(header), rule, ...body.map(line)].join('\n');
}

/** The machine the figures were taken on, for the JSON and the README. */
export function machine(): { cpu: string; cores: number; node: string; platform: string } {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const field = (name: string): string | undefined => new RegExp(`^${name}\\s*:\\s*(.+)$`, 'm').exec(info)?.[1]?.trim();
    const flags = (field('flags') ?? '').split(' ').filter((f) => ['avx2', 'fma', 'avx512f'].includes(f));
    cpu = `${field('model name') ?? cpu} (family ${field('cpu family')}, model ${field('model')}, ${field('cpu MHz')} MHz, ${flags.join('+')})`;
  } catch {
    // not Linux: keep os.cpus()
  }
  return { cpu, cores: os.cpus().length, node: process.version, platform: `${process.platform}-${process.arch}` };
}

const RESULTS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');

/** Writes bench/results/<suite>.json and returns its path. */
export function writeResults(suite: string, rows: readonly Row[], notes: Record<string, unknown> = {}): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${suite}.json`);
  const payload = { suite, date: new Date().toISOString(), machine: machine(), maxTimePerCase: MAX_TIME, ...notes, rows };
  writeFileSync(file, `${JSON.stringify(payload, null, 2)}\n`);
  return file;
}

/** Deterministic float32 values in [-1, 1) (a small LCG: the bench must not depend on the library's RNG). */
export function randomArray(size: number, seed = 1): Float32Array {
  const out = new Float32Array(size);
  let state = seed >>> 0;
  for (let i = 0; i < size; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state / 2 ** 31 - 1;
  }
  return out;
}

/** Class labels in [0, classes). */
export function randomLabels(size: number, classes: number, seed = 7): Int32Array {
  const out = new Int32Array(size);
  let state = seed >>> 0;
  for (let i = 0; i < size; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state % classes;
  }
  return out;
}

/**
 * Runs `script` (a file next to this one) in a fresh Node process through scripts/run-typescript.mjs
 * (tsx registered without tripping V8's detached-buffer check, see there) and returns the JSON it prints
 * on stdout; its stderr (progress) goes to ours. `what` names the run in the error when the process fails.
 */
export function runBenchProcess<T>(script: string, args: readonly string[], what: string): T {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const child = spawnSync(process.execPath, [path.join(here, '..', 'scripts', 'run-typescript.mjs'), path.join(here, script), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 });
  if (child.status !== 0) throw new Error(`${what}: the measuring process failed (exit ${child.status ?? child.signal})`);
  return JSON.parse(child.stdout) as T;
}
