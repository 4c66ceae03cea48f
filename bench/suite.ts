import { kernelBackend, setKernelBackend, type KernelBackendChoice } from '../src/index.js';
import { figure, formatTable, measure, ratioOf, runBenchProcess, writeResults, type Pair, type Row, type Unit } from './harness.js';
import { usePeer, type PeerName } from './peers.js';

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

/**
 * Rounds per workload; each contender keeps its fastest round (BENCH_ROUNDS, default 3): load
 * from elsewhere only ever slows a round down, so the fastest is the nearest to the contender's own speed.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? '3');
/** A contender slower than this per call (seconds) is measured in one round only (no case is, on the machine of bench/README). */
const SLOW_CALL = 2;

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

/** Each workload's fastest mean seconds per call, and its relative error, by contender. */
export interface Measured {
  best: Record<string, number>;
  rme: Record<string, number>;
}

/** Measures `contenders` on every workload, those of one workload back to back, in ROUNDS rounds. */
export async function measureContenders(suite: string, workloads: readonly Workload[], contenders: readonly string[]): Promise<Measured[]> {
  const out: Measured[] = [];
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
    out.push({ best, rme });
  }
  return out;
}

/**
 * The contenders measured in a child process of their own: gradguard's two paths and tfjs-cpu.
 * why: tfjs-wasm grows its WebAssembly memory, which detaches the old buffer, and once any buffer
 * in a process has been detached V8 checks every typed-array access for it: plain JavaScript
 * loops (gradguard's TypeScript kernels most) then run up to 1.5× slower. A user of one library
 * has no tfjs-wasm in the process, so the JavaScript contenders are measured without it.
 */
export const LOCAL_CONTENDERS: readonly string[] = [...OURS, 'tfjs-cpu'];

/** Runs bench/suite-child.ts for `suite`, which measures LOCAL_CONTENDERS and prints them as JSON. */
function measureInChild(suite: string): Measured[] {
  progress(`${suite}: gradguard and tfjs-cpu in a process without tfjs-wasm`);
  return runBenchProcess<Measured[]>('suite-child.ts', [suite], suite);
}

/**
 * Measures every workload in gradguard (both kernel paths) and in each tfjs backend (gradguard
 * and tfjs-cpu in a child process, see LOCAL_CONTENDERS; tfjs-wasm here), the contenders of one
 * workload back to back and in several rounds, so that a burst of load on the (shared) machine
 * hits them alike; adds the figures measured elsewhere (`external`); prints the table and writes
 * bench/results/<suite>.json, with `notes` at its top level.
 */
export async function runWorkloads(
  suite: string,
  title: string,
  workloads: readonly Workload[],
  notes: Record<string, unknown> = {},
): Promise<Row[]> {
  const wasmPeer = await usePeer('tfjs-wasm');
  if (!wasmPeer) progress(`${suite}: tfjs-wasm is not available here, skipped`);
  const local = measureInChild(suite);
  const remote = wasmPeer ? await measureContenders(suite, workloads, ['tfjs-wasm']) : workloads.map((): Measured => ({ best: {}, rme: {} }));
  const contenders = [...LOCAL_CONTENDERS, ...(wasmPeer ? ['tfjs-wasm'] : [])];
  const externals = externalContenders(workloads);
  const pairs: Pair[] = [...PAIRS, ...externals.flatMap((name) => OURS.map((ours): Pair => [ours, name]))];
  const rows = workloads.map((w, i): Row => {
    const best = { ...local[i]!.best, ...remote[i]!.best };
    const row: Row = { name: w.name, unit: w.unit, figures: {}, extra: { ...local[i]!.rme, ...remote[i]!.rme, ...w.notes } };
    for (const contender of contenders) row.figures[contender] = figure(w.unit, best[contender] ?? NaN, w.work);
    for (const name of externals) row.figures[name] = w.external?.[name] ?? NaN;
    for (const pair of pairs) row.extra![`${pair[0]} ÷ ${pair[1]}`] = Number(ratioOf(row, pair).toFixed(3));
    return row;
  });
  console.log(formatTable(title, rows, [...contenders, ...externals], pairs));
  const file = writeResults(suite, rows, { peers: [...contenders.slice(OURS.length), ...externals], autoKernels: kernelBackend(), rounds: ROUNDS, ...notes });
  progress(`${suite}: wrote ${file}`);
  return rows;
}
