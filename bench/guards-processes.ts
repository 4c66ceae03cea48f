import { runBenchProcess, type Row } from './harness.js';

/*
 * The guard suite's ratios are a few percent, and they move between processes more than within
 * one: each Node process settles into its own JIT decisions, object layouts and garbage-collector
 * rhythm, so one process can read 1.02× where the next reads 1.12× for the same code. The suite
 * therefore measures in several fresh processes (BENCH_GUARD_PROCESSES, default 5) and reports
 * the median of their ratios with the range, and the fastest batch over all of them.
 */

/** How many processes measure the guard suite (1: measure in this process only). */
export function guardProcessCount(): number {
  // why 5: on a shared 2-core machine single batches of a guarded step read 0.8–1.5× their
  // neighbouring unguarded batch and whole processes ±5 %; a median of five outlasts two bad ones
  const value = Number(process.env.BENCH_GUARD_PROCESSES ?? '5');
  return Number.isInteger(value) && value >= 1 ? value : 5;
}

/** Runs bench/guards-child.ts `count` times, one after another, and returns each run's rows. */
export function measureInProcesses(count: number): Row[][] {
  const runs: Row[][] = [];
  for (let i = 0; i < count; i++) {
    process.stderr.write(`  guards: process ${i + 1}/${count}\n`);
    runs.push(runBenchProcess<Row[]>('guards-child.ts', [], `guards, process ${i + 1}`));
  }
  return runs;
}

/**
 * One row per variant from the runs of several processes: the fastest batch over all of them,
 * the median of their paired ratios, and every process's ratio (`ratios`, for the range).
 */
export function combineRuns(runs: readonly Row[][]): Row[] {
  const first = runs[0] ?? [];
  return first.map((row, index) => {
    const same = runs.map((run) => run[index]!);
    const ratios = same.map((r) => Number(r.extra?.ratio));
    const best = Math.min(...same.map((r) => r.figures.gradguard ?? Infinity));
    return {
      ...row,
      figures: { gradguard: best },
      extra: { ...row.extra, ratio: median(ratios), ratios: ratios.map((r) => r.toFixed(3)).join(' '), processes: runs.length },
    };
  });
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
