/**
 * Prints the figures of `bench/results/*.json` as the markdown tables of bench/README.md's
 * "Latest figures", so that the README quotes a run exactly: `npx tsx bench/markdown.ts`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatNumber, ratioOf, type Pair, type Row } from './harness.js';

interface Results {
  suite: string;
  date: string;
  machine: { cpu: string; cores: number; node: string };
  rows: Row[];
  /** Present when the PyTorch peer ran (bench/pytorch.ts). */
  pytorch?: { torch: string; threads: number };
}

const RESULTS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');
const OURS = ['gradguard ts', 'gradguard auto'];
/** Every contender a results file may hold, in column order; a column shows only if some row has it. */
const CONTENDERS = [...OURS, 'tfjs-cpu', 'tfjs-wasm', 'pytorch'];

function load(suite: string): Results {
  return JSON.parse(readFileSync(path.join(RESULTS_DIR, `${suite}.json`), 'utf8')) as Results;
}

function when(results: Results): string {
  return `${results.date.slice(0, 16).replace('T', ' ')} UTC`;
}

function table(header: readonly string[], align: readonly ('l' | 'r')[], body: ReadonlyArray<readonly string[]>): string {
  const rule = align.map((a) => (a === 'r' ? '--:' : '---'));
  return [header, rule, ...body].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

function peerTable(results: Results): string {
  const short = (name: string): string => name.replace('gradguard ', '');
  const contenders = CONTENDERS.filter((c) => results.rows.some((row) => c in row.figures));
  // the ratio columns in the suites' order: each gradguard path over each tfjs backend, then over pytorch
  const tfjs = contenders.filter((c) => c.startsWith('tfjs-'));
  const others = contenders.filter((c) => !c.startsWith('tfjs-') && !OURS.includes(c));
  const pairs = [...OURS.flatMap((ours) => tfjs.map((peer): Pair => [ours, peer])), ...others.flatMap((peer) => OURS.map((ours): Pair => [ours, peer]))];
  const header = ['workload', 'unit', ...contenders, ...pairs.map(([a, b]) => `${short(a)} ÷ ${b}`)];
  const body = results.rows.map((row) => [
    row.name, row.unit, ...contenders.map((c) => formatNumber(row.figures[c] ?? NaN)),
    ...pairs.map((pair) => `${ratioOf(row, pair).toFixed(2)}×`),
  ]);
  const text = `### ${results.suite} (${when(results)})\n\n${table(header, ['l', 'l', ...header.slice(2).map(() => 'r' as const)], body)}`;
  return results.pytorch === undefined ? text : `${text}\n\n${pytorchNote(results)}`;
}

/** Which PyTorch the pytorch column is, and its CPU time per step beside the wall-clock mean. */
function pytorchNote(results: Results): string {
  const cpu = results.rows.map((row) => `${row.name.replace('step ', '')} ${formatNumber(Number(row.extra?.['pytorch CPU ms'] ?? NaN))}`);
  return `pytorch: PyTorch ${results.pytorch!.torch} eager CPU, ${results.pytorch!.threads} thread, mean wall-clock ms per step; process CPU ms per step (fastest batch): ${cpu.join(', ')}.`;
}

/** PyTorch's plain SGD step and the cost of its clip_grad_norm_, stored on the unguarded rows. */
function guardPytorchNote(results: Results): string {
  const parts = results.rows.filter((row) => row.extra?.['pytorch sgd CPU ms'] !== undefined).map((row) => {
    const ratio = Number(row.extra!['pytorch clip_grad_norm_ ratio']);
    const step = row.name.replace(/^step (\S+).*$/, '$1');
    return `step ${step} ${formatNumber(Number(row.extra!['pytorch sgd CPU ms']))} ms per plain SGD step, \`clip_grad_norm_\` ${ratio.toFixed(2)}× (adds ${Math.round((ratio - 1) * 100)} %)`;
  });
  return `PyTorch ${results.pytorch!.torch} eager CPU, ${results.pytorch!.threads} thread, same run and timing: ${parts.join('; ')}.`;
}

function guardTable(results: Results): string {
  const body = results.rows.map((row) => {
    const ratios = String(row.extra?.ratios ?? '').split(' ').map(Number).filter(Number.isFinite);
    const range = ratios.length > 1 ? ` (${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)})` : '';
    return [row.name, formatNumber(row.figures.gradguard ?? NaN), `${Number(row.extra?.ratio).toFixed(3)}×${range}`];
  });
  const text = `### guards (${when(results)}, process CPU time)\n\n${table(['step and guards', 'ms per step (fastest batch)', '× the unguarded step with the same optimizer (median of processes, each the median of its paired rounds; range of processes)'], ['l', 'r', 'r'], body)}`;
  return results.pytorch === undefined ? text : `${text}\n\n${guardPytorchNote(results)}`;
}

function memoryTable(results: Results): string {
  const body = results.rows.map((row) => [row.name, formatNumber(row.figures.gradguard ?? NaN)]);
  return `### memory (${when(results)})\n\n${table(['2000 SGD steps of A', 'MB'], ['l', 'r'], body)}`;
}

const kernels = load('kernels');
const sections = [peerTable(kernels), peerTable(load('train')), guardTable(load('guards')), memoryTable(load('memory'))];
console.log(`${sections.join('\n\n')}\n\nMachine: ${kernels.machine.cpu}, ${kernels.machine.cores} cores, Node ${kernels.machine.node}.`);
