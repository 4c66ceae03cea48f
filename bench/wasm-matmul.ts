/*
 * Standalone float32 matmul measurement: gradguard's WebAssembly SIMD kernel, its TypeScript
 * kernel, and tfjs-wasm (XNNPACK, SIMD, one thread), interleaved in one process, best of several
 * rounds, each through its public entry point (our `matmul` kernel with the backend forced; tfjs as
 * `c = tf.matMul(a, b); c.dataSync(); c.dispose()`).
 *
 *   node scripts/run-typescript.mjs bench/wasm-matmul.ts [--cpu] [--crossover] [n ...]
 *
 * Default rows: squares 32…512 and the three products of a Linear(784 → 128) layer at batch 64.
 * `--cpu` times with this process's CPU time (process.cpuUsage) instead of wall time: steadier on a
 * machine shared with other jobs, and equal to wall time for these single-threaded runs on an idle
 * one. `--crossover` compares only our two paths on tiny shapes (how MATMUL_WASM_THRESHOLD was set).
 */
import { matmul } from '../src/tensor/kernels/matmul.js';
import { setKernelBackend } from '../src/tensor/wasm/backend.js';
import { runOp, tf, usePeer } from './peers.js';

interface Product {
  label: string;
  M: number;
  K: number;
  N: number;
  transA: boolean;
  transB: boolean;
}

const useCpuTime = process.argv.includes('--cpu');
const crossover = process.argv.includes('--crossover');

function now(): number {
  if (!useCpuTime) return performance.now();
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** Best milliseconds per call over `rounds` rounds, each at least `roundMs` long. */
function bestMs(run: () => void, rounds = 7, roundMs = 100): number {
  let calls = 1;
  for (;; calls *= 2) {
    const start = now();
    for (let i = 0; i < calls; i++) run();
    if (now() - start >= roundMs) break;
  }
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const start = now();
    for (let i = 0; i < calls; i++) run();
    best = Math.min(best, (now() - start) / calls);
  }
  return best;
}

function random(size: number): Float32Array {
  const data = new Float32Array(size);
  let state = 12345;
  for (let i = 0; i < size; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    data[i] = state / 2 ** 32 - 0.5;
  }
  return data;
}

function square(n: number): Product {
  return { label: `${n}×${n}×${n}`, M: n, K: n, N: n, transA: false, transB: false };
}

const LINEAR: Product[] = [
  { label: 'linear fwd x·Wᵀ 64×784×128', M: 64, K: 784, N: 128, transA: false, transB: true },
  { label: 'linear dX dY·W 64×128×784', M: 64, K: 128, N: 784, transA: false, transB: false },
  { label: 'linear dW dYᵀ·X 128×64×784', M: 128, K: 64, N: 784, transA: true, transB: false },
];

const TINY: Product[] = [[2, 2, 2], [4, 4, 4], [6, 6, 6], [8, 8, 8], [1, 64, 10], [64, 10, 1], [16, 16, 16]].map(
  ([M, K, N]) => ({ label: `${M}×${K}×${N}`, M: M!, K: K!, N: N!, transA: false, transB: false }),
);

/** Milliseconds per call of our kernel with the given backend forced. */
function ours(backend: 'ts' | 'wasm', p: Product): number {
  const a = random(p.M * p.K);
  const b = random(p.K * p.N);
  const out = new Float32Array(p.M * p.N);
  setKernelBackend(backend);
  const ms = bestMs(() => matmul(a, b, out, p.M, p.K, p.N, p.transA, p.transB), backend === 'ts' ? 3 : 7);
  setKernelBackend('auto');
  return ms;
}

function tfjs(p: Product): number {
  const a = tf.tensor2d(random(p.M * p.K), p.transA ? [p.K, p.M] : [p.M, p.K]);
  const b = tf.tensor2d(random(p.K * p.N), p.transB ? [p.N, p.K] : [p.K, p.N]);
  const ms = bestMs(() => runOp(() => tf.matMul(a, b, p.transA, p.transB)));
  a.dispose();
  b.dispose();
  return ms;
}

const sizes = process.argv.slice(2).filter((arg) => !arg.startsWith('--')).map(Number);
const products = crossover ? TINY : [...(sizes.length > 0 ? sizes : [32, 64, 128, 256, 512]).map(square), ...LINEAR];
const haveWasmPeer = !crossover && (await usePeer('tfjs-wasm'));
console.log(`timing: ${useCpuTime ? 'process CPU time' : 'wall clock'}; GFLOP/s (ms per call)`);
console.log('product'.padEnd(30) + 'ours wasm'.padStart(20) + 'ours ts'.padStart(20) + 'tfjs-wasm'.padStart(20) + 'wasm/tfjs'.padStart(11));
for (const p of products) {
  const cell = (ms: number): string => `${((2 * p.M * p.K * p.N) / ms / 1e6).toFixed(2)} (${ms.toFixed(4)})`.padStart(20);
  const wasmMs = ours('wasm', p);
  const tsMs = ours('ts', p);
  const tfjsMs = haveWasmPeer ? tfjs(p) : NaN;
  console.log(p.label.padEnd(30) + cell(wasmMs) + cell(tsMs) + cell(tfjsMs) + (tfjsMs / wasmMs).toFixed(2).padStart(11));
}
