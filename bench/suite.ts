import { kernelBackend, setKernelBackend, type KernelBackendChoice } from '../src/index.js';
import { figure, formatTable, measure, ratioOf, writeResults, type Pair, type Row, type Unit } from './harness.js';
import { PEERS, usePeer, type PeerName } from './peers.js';

/** A workload measured in gradguard and, when it has a `peer` builder, in each tfjs backend. */
export interface Workload {
  name: string;
  unit: Unit;
  /** FLOPs (GFLOP/s) or bytes (GB/s) per call; ignored for times. */
  work: number;
  /** Builds the gradguard call (inputs made once, outside the timer). */
  gradguard(): () => void;
  /** Builds the tfjs call for the active backend; `dispose` frees its inputs afterwards. */
  peer?(backend: PeerName): { run: () => void; dispose: () => void };
  /**
   * Figures measured outside this process, keyed by contender, in `unit` (PyTorch, which runs
   * in Python: bench/pytorch.ts). NaN or absent: not measured. Each gets a ratio column against
   * both gradguard paths.
   */
  external?: Record<string, number>;
  /** Anything else about the workload worth keeping in the JSON row (the peer's CPU time…). */
  notes?: Record<string, number | string>;
}

/**
 * gradguard is measured twice: with its pure TypeScript kernels ('ts', the reference path) and
 * with the default 'auto' choice, which runs float32 work on its own WebAssembly SIMD kernels
 * where they exist and pay off.
 */
export const OURS = ['gradguard ts', 'gradguard auto'] as const;
const CHOICE: Record<(typeof OURS)[number], KernelBackendChoice> = { 'gradguard ts': 'ts', 'gradguard auto': 'auto' };

/** The ratio columns every side-by-side table shows. */
export const PAIRS: readonly Pair[] = [
  ['gradguard ts', 'tfjs-cpu'],
  ['gradguard ts', 'tfjs-wasm'],
  ['gradguard auto', 'tfjs-cpu'],
  ['gradguard auto', 'tfjs-wasm'],
];

/** The contenders measured outside this process that any of `workloads` has, in first-seen order. */
function externalContenders(workloads: readonly Workload[]): string[] {
  return [...new Set(workloads.flatMap((w) => Object.keys(w.external ?? {})))];
}

/** Progress goes to stderr so that stdout holds only the tables. */
export function progress(text: string): void {
  process.stderr.write(`  ${text}\n`);
}

/** Runs `fn` with the kernel choice set, restoring 'auto' afterwards. */
export function withKernels<T>(choice: KernelBackendChoice, fn: () => T): T {
  setKernelBackend(choice);
  try {
    return fn();
  } finally {
    setKernelBackend('auto');
  }
}

/** Rounds per workload; each contender keeps its fastest round (BENCH_ROUNDS, default 2). */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? '2');
/** A contender slower than this per call (seconds) is measured in one round only. */
const SLOW_CALL = 0.3;

/** Mean seconds per call of one contender on one workload, or NaN when it cannot run. */
async function measureContender(suite: string, w: Workload, contender: string): Promise<{ seconds: number; rme: number }> {
  progress(`${suite}: ${contender} ${w.name}`);
  if (contender === 'gradguard ts' || contender === 'gradguard auto') {
    return withKernels(CHOICE[contender], () => measure(w.name, w.gradguard()));
  }
  const peer = contender as PeerName;
  if (w.peer === undefined || !(await usePeer(peer))) return { seconds: NaN, rme: NaN };
  const { run, dispose } = w.peer(peer);
  try {
    return measure(`${peer} ${w.name}`, run);
  } finally {
    dispose();
  }
}

/**
 * Measures every workload in gradguard (both kernel paths) and in each tfjs backend, the
 * contenders of one workload back to back and in several rounds, so that a burst of load on
 * the (shared) machine hits them alike; adds the figures measured elsewhere (`external`);
 * prints the table and writes bench/results/<suite>.json, with `notes` at its top level.
 */
export async function runWorkloads(
  suite: string,
  title: string,
  workloads: readonly Workload[],
  notes: Record<string, unknown> = {},
): Promise<Row[]> {
  const available: PeerName[] = [];
  for (const peer of PEERS) {
    if (await usePeer(peer)) available.push(peer);
    else progress(`${suite}: ${peer} is not available here, skipped`);
  }
  const contenders = [...OURS, ...available];
  const externals = externalContenders(workloads);
  const pairs: Pair[] = [...PAIRS, ...externals.flatMap((name) => OURS.map((ours): Pair => [ours, name]))];
  const rows: Row[] = [];
  for (const w of workloads) {
    const best: Record<string, number> = {};
    const rme: Record<string, number> = {};
    for (let round = 0; round < ROUNDS; round++) {
      for (const contender of contenders) {
        if (round > 0 && !(best[contender]! < SLOW_CALL)) continue;
        const m = await measureContender(suite, w, contender);
        if (!(m.seconds >= best[contender]!)) {
          best[contender] = m.seconds;
          rme[`rme% ${contender}`] = Math.round(m.rme * 10) / 10;
        }
      }
    }
    const row: Row = { name: w.name, unit: w.unit, figures: {}, extra: { ...rme, ...w.notes } };
    for (const contender of contenders) row.figures[contender] = figure(w.unit, best[contender] ?? NaN, w.work);
    for (const name of externals) row.figures[name] = w.external?.[name] ?? NaN;
    for (const pair of pairs) row.extra![`${pair[0]} ÷ ${pair[1]}`] = Number(ratioOf(row, pair).toFixed(3));
    rows.push(row);
  }
  console.log(formatTable(title, rows, [...contenders, ...externals], pairs));
  const file = writeResults(suite, rows, { peers: [...available, ...externals], autoKernels: kernelBackend(), rounds: ROUNDS, ...notes });
  progress(`${suite}: wrote ${file}`);
  return rows;
}
