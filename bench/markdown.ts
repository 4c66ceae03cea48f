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
}

const RESULTS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');
const CONTENDERS = ['gradguard ts', 'gradguard auto', 'tfjs-cpu', 'tfjs-wasm'];
const PAIRS: Pair[] = [['gradguard ts', 'tfjs-cpu'], ['gradguard ts', 'tfjs-wasm'], ['gradguard auto', 'tfjs-cpu'], ['gradguard auto', 'tfjs-wasm']];

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
  const header = ['workload', 'unit', ...CONTENDERS, ...PAIRS.map(([a, b]) => `${short(a)} ÷ ${b}`)];
  const body = results.rows.map((row) => [
    row.name, row.unit, ...CONTENDERS.map((c) => formatNumber(row.figures[c] ?? NaN)),
    ...PAIRS.map((pair) => `${ratioOf(row, pair).toFixed(2)}×`),
  ]);
  return `### ${results.suite} (${when(results)})\n\n${table(header, ['l', 'l', ...header.slice(2).map(() => 'r' as const)], body)}`;
}

function guardTable(results: Results): string {
  const body = results.rows.map((row) => [row.name, formatNumber(row.figures.gradguard ?? NaN), `${Number(row.extra?.ratio).toFixed(2)}×`]);
  return `### guards (${when(results)}, process CPU time)\n\n${table(['step and guards', 'ms per step (fastest batch)', '× unguarded (median of paired rounds)'], ['l', 'r', 'r'], body)}`;
}

function memoryTable(results: Results): string {
  const body = results.rows.map((row) => [row.name, formatNumber(row.figures.gradguard ?? NaN)]);
  return `### memory (${when(results)})\n\n${table(['2000 SGD steps of A', 'MB'], ['l', 'r'], body)}`;
}

const kernels = load('kernels');
const sections = [peerTable(kernels), peerTable(load('train')), guardTable(load('guards')), memoryTable(load('memory'))];
console.log(`${sections.join('\n\n')}\n\nMachine: ${kernels.machine.cpu}, ${kernels.machine.cores} cores, Node ${kernels.machine.node}.`);
