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

function measureOurs(suite: string, workloads: readonly Workload[]): Row[] {
  return workloads.map((w) => {
    const row: Row = { name: w.name, unit: w.unit, figures: {}, extra: {} };
    for (const name of OURS) {
      progress(`${suite}: ${name} ${w.name}`);
      const m = withKernels(CHOICE[name], () => measure(w.name, w.gradguard()));
      row.figures[name] = figure(w.unit, m.seconds, w.work);
      row.extra![`rme% ${name}`] = Math.round(m.rme * 10) / 10;
    }
    return row;
  });
}

/**
 * Measures every workload in gradguard (both kernel paths), then in each peer backend in turn
 * (tfjs keeps one active backend per process), prints the table and writes
 * bench/results/<suite>.json.
 */
export async function runWorkloads(suite: string, title: string, workloads: readonly Workload[]): Promise<Row[]> {
  const rows = measureOurs(suite, workloads);
  const measuredPeers: PeerName[] = [];
  for (const peer of PEERS) {
    if (!(await usePeer(peer))) {
      progress(`${suite}: ${peer} is not available here, skipped`);
      continue;
    }
    measuredPeers.push(peer);
    workloads.forEach((w, i) => {
      if (w.peer === undefined) return;
      progress(`${suite}: ${peer} ${w.name}`);
      const { run, dispose } = w.peer(peer);
      const m = measure(`${peer} ${w.name}`, run);
      dispose();
      rows[i]!.figures[peer] = figure(w.unit, m.seconds, w.work);
      rows[i]!.extra![`rme% ${peer}`] = Math.round(m.rme * 10) / 10;
    });
  }
  for (const row of rows) for (const pair of PAIRS) row.extra![`${pair[0]} ÷ ${pair[1]}`] = Number(ratioOf(row, pair).toFixed(3));
  console.log(formatTable(title, rows, [...OURS, ...measuredPeers], PAIRS));
  const file = writeResults(suite, rows, { peers: measuredPeers, autoKernels: kernelBackend() });
  progress(`${suite}: wrote ${file}`);
  return rows;
}
