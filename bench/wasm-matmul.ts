/*
 * Standalone float32 matmul measurement: gradguard's WebAssembly SIMD kernel, its TypeScript
 * kernel, and tfjs-wasm (XNNPACK, SIMD, one thread), interleaved in one process, best of several
 * rounds. Run: npx tsx bench/wasm-matmul.ts [--cpu] [sizes...]   (default 32 64 128 256 512)
 */
import { matmul } from '../src/tensor/kernels/matmul.js';
import { setKernelBackend } from '../src/tensor/wasm/backend.js';
import { runOp, tf, usePeer } from './peers.js';

function random(size: number): Float32Array {
  const data = new Float32Array(size);
  let state = 12345;
  for (let i = 0; i < size; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    data[i] = state / 2 ** 32 - 0.5;
  }
  return data;
}

/**
 * Best milliseconds per call over `rounds` rounds of calls lasting about `roundMs` each. With
 * `--cpu`, time is this process's CPU time (process.cpuUsage), steadier than wall time on a
 * machine shared with other jobs; both runs are single-threaded, so the two agree on an idle one.
 */
const useCpuTime = process.argv.includes('--cpu');
function now(): number {
  if (!useCpuTime) return performance.now();
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

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

const sizes = process.argv.slice(2).filter((arg) => arg !== '--cpu').map(Number);
const haveWasmPeer = await usePeer('tfjs-wasm');
console.log('n       ours-wasm GFLOP/s   ours-ts GFLOP/s   tfjs-wasm GFLOP/s   wasm/tfjs');
for (const n of sizes.length > 0 ? sizes : [32, 64, 128, 256, 512]) {
  const a = random(n * n);
  const b = random(n * n);
  const out = new Float32Array(n * n);
  const flops = 2 * n * n * n;
  const gflops = (ms: number): number => flops / ms / 1e6;
  setKernelBackend('wasm');
  const wasmMs = bestMs(() => matmul(a, b, out, n, n, n));
  setKernelBackend('ts');
  const tsMs = n <= 512 ? bestMs(() => matmul(a, b, out, n, n, n), 3) : NaN;
  setKernelBackend('auto');
  let tfjsMs = NaN;
  if (haveWasmPeer) {
    const ta = tf.tensor2d(a, [n, n]);
    const tb = tf.tensor2d(b, [n, n]);
    tfjsMs = bestMs(() => runOp(() => tf.matMul(ta, tb)));
    ta.dispose();
    tb.dispose();
  }
  const cells = [gflops(wasmMs), gflops(tsMs), gflops(tfjsMs), wasmMs > 0 ? tfjsMs / wasmMs : NaN];
  console.log(String(n).padEnd(8) + cells.map((x) => x.toFixed(2).padStart(18)).join(''));
}
