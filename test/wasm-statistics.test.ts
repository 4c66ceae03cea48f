import { afterEach, describe, expect, it } from 'vitest';
import { Generator, GradientView, nn, setKernelBackend, tensor, type Guard } from '../src/index.js';
import { matmul } from '../src/tensor/kernels/matmul.js';
import { bufferStats, bufferStatsLoop } from '../src/tensor/kernels/reduce.js';
import { reluBackward } from '../src/tensor/kernels/unary.js';
import { STATS_WASM_THRESHOLD, statsOnWasm, tryStatsWasm } from '../src/tensor/wasm/backend.js';
import { statsWasm } from '../src/tensor/wasm/elementwise.js';
import { loadKernels, type WasmKernels } from '../src/tensor/wasm/runtime.js';
import { expectAllClose } from './helpers.js';

/*
 * The guards' one-pass gradient statistics (Σx², max |x|, non-finite count) on WebAssembly: the
 * `squares` kernel (float32 partial sums, ~1e-7 relative), its float64 fallback, and the kernels
 * that write a gradient and measure it on the way, while it is still in WebAssembly memory, so
 * guards need not copy it in again. Every figure is checked against the float64 TypeScript loop;
 * where a kernel cannot measure, it must say so (undefined).
 */

const generator = new Generator(5);

function random(size: number): Float32Array {
  return Float32Array.from({ length: size }, () => generator.uniform() * 2 - 1);
}

/** Relative error allowed for sums of squares from float32 partial sums (each square rounds at ~6e-8). */
const SQUARES_RTOL = 1e-6;

function kernels(): WasmKernels {
  const loaded = loadKernels();
  if (loaded === undefined) throw new Error('WebAssembly SIMD is expected on Node 20');
  return loaded;
}

function expectStatsOf(stats: { sumOfSquares: number; maxAbs: number; nonFiniteCount: number } | undefined, out: Float32Array, what: string): void {
  expect(stats, what).toBeDefined();
  const exact = bufferStatsLoop(out);
  expectAllClose([stats!.sumOfSquares], [exact.sumOfSquares], { rtol: SQUARES_RTOL, atol: 0, message: what });
  expect(stats!.maxAbs, what).toBe(exact.maxAbs);
  expect(stats!.nonFiniteCount, what).toBe(0);
}

afterEach(() => setKernelBackend('auto'));

describe('kernels that measure the gradient they write', () => {
  it('matmul: the statistics of out on WebAssembly, for both products of a Linear layer\'s backward', () => {
    setKernelBackend('wasm');
    for (const [M, K, N, transA] of [[32, 64, 64, false], [64, 32, 64, true], [8, 5, 16, false]] as const) {
      const a = random(M * K);
      const b = random(K * N);
      const out = new Float32Array(M * N);
      const stats = matmul(a, b, out, M, K, N, transA, false, false, true);
      expectStatsOf(stats, out, `${M}×${K}×${N}`);
    }
  });

  it('matmul: undefined where it cannot measure (accumulating, rows not whole tiles, TypeScript, not asked)', () => {
    setKernelBackend('wasm');
    const a = random(32 * 64);
    const b = random(64 * 64);
    expect(matmul(a, b, new Float32Array(32 * 64), 32, 64, 64, false, false, true, true)).toBeUndefined();
    expect(matmul(a, random(64 * 10), new Float32Array(32 * 10), 32, 64, 10, false, false, false, true)).toBeUndefined();
    expect(matmul(a, b, new Float32Array(32 * 64), 32, 64, 64)).toBeUndefined();
    setKernelBackend('ts');
    expect(matmul(a, b, new Float32Array(32 * 64), 32, 64, 64, false, false, false, true)).toBeUndefined();
  });

  it('reluBackward: the statistics of out on WebAssembly at every length; undefined for NaN or on TypeScript', () => {
    setKernelBackend('wasm');
    for (const n of [1, 7, 9, 300, 2048, 4099]) {
      const x = random(n);
      const out = new Float32Array(n);
      expectStatsOf(reluBackward(x, random(n), out, true), out, `length ${n}`);
    }
    const gradOut = random(600);
    gradOut[3] = NaN;
    const x = random(600).fill(1);
    expect(reluBackward(x, gradOut, new Float32Array(600), true)).toBeUndefined(); // the float64 loop counts it
    setKernelBackend('ts');
    expect(reluBackward(random(600), random(600), new Float32Array(600), true)).toBeUndefined();
  });

  it('a GradientView given statistics uses them; the engine hands guards the same figures as a fresh scan, on both paths', () => {
    const known = { sumOfSquares: 25, maxAbs: 4, nonFiniteCount: 0 };
    expect(new GradientView(new Float32Array([3, 4]), [2], known).stats).toBe(known);
    for (const backend of ['wasm', 'ts'] as const) {
      setKernelBackend(backend);
      const model = nn.mlp([16, 64, 64, 8]);
      let checked = 0;
      const compare: Guard = {
        name: 'compare',
        onNodeGradient(event) {
          for (const view of event.inputGrads) {
            if (view === null) continue;
            const exact = bufferStatsLoop(view.data);
            expectAllClose([view.stats.sumOfSquares], [exact.sumOfSquares], { rtol: 1e-6, atol: 0, message: `${backend} ${event.op}` });
            expect(view.stats.maxAbs).toBe(exact.maxAbs);
            checked++;
          }
        },
      };
      const x = tensor(Array.from({ length: 32 }, (_, r) => Array.from({ length: 16 }, (_, c) => Math.sin(r * 16 + c))));
      model.forward(x).sum().backward({ guards: [compare] });
      expect(checked).toBeGreaterThan(6);
    }
  });
});

describe('WebAssembly SIMD gradient statistics', () => {
  it('Σx² and max |x| match a direct float64 computation on every length', () => {
    for (const n of [0, 1, 3, 7, 8, 9, 16, 31, 257, 1000, 4099]) { // around the 8-float block
      const x = random(n);
      let squares = 0;
      let max = 0;
      for (const v of x) {
        squares += v * v;
        max = Math.max(max, Math.abs(v));
      }
      const stats = statsWasm(kernels(), x)!;
      // float32 partial sums of ~64 squares each: ~1e-7 relative, the precision of PyTorch's float32 norm
      expectAllClose([stats.sumOfSquares], [squares], { rtol: SQUARES_RTOL, atol: 0, message: `Σx² length ${n}` });
      expect(stats.maxAbs, `max length ${n}`).toBe(max);
    }
  });

  it('leave a buffer holding NaN or ±Inf to the float64 loop, which counts them', () => {
    setKernelBackend('wasm');
    const x = random(1000);
    x[17] = NaN;
    expect(statsWasm(kernels(), x)).toBeNull();
    expect(bufferStats(x)).toMatchObject({ sumOfSquares: NaN, nonFiniteCount: 1 });
    expect(bufferStats(x).maxAbs).toBeLessThanOrEqual(1); // NaN is counted, not a maximum
    x[17] = -Infinity;
    expect(statsWasm(kernels(), x)).toBeNull();
    expect(bufferStats(x)).toEqual({ sumOfSquares: Infinity, maxAbs: Infinity, nonFiniteCount: 1 });
  });

  it('bufferStats gives the TypeScript loop\'s figures and exact non-finite count on the WebAssembly path', () => {
    setKernelBackend('wasm');
    for (const n of [1, 9, 1000, 4099]) {
      const x = random(n);
      if (n > 3) x.set([NaN, Infinity, -Infinity], 1);
      const fast = bufferStats(x);
      const loop = bufferStatsLoop(x);
      expect(fast.nonFiniteCount, `length ${n}`).toBe(loop.nonFiniteCount);
      expect(fast.maxAbs).toBe(loop.maxAbs);
      if (loop.nonFiniteCount === 0) expectAllClose([fast.sumOfSquares], [loop.sumOfSquares], { rtol: SQUARES_RTOL, atol: 0 });
    }
  });

  it('keep a finite square beyond float32\'s range finite (the float64 loop takes over) and stay exact on tiny values', () => {
    setKernelBackend('wasm');
    const x = random(1500);
    for (const huge of [1e20, 1e10]) {
      x[700] = huge; // 1e20² overflows float32; 1e10² does not, but scaled by 2⁶⁴ it does
      expect(statsWasm(kernels(), x), `${huge}`).toBeNull();
      expect(bufferStats(x).sumOfSquares).toBe(bufferStatsLoop(x).sumOfSquares); // the float64 sum, finite
    }
    const tiny = x.map((v) => v * 1e-25); // squares far below float32's smallest normal
    expectAllClose([statsWasm(kernels(), tiny)!.sumOfSquares], [bufferStatsLoop(tiny).sumOfSquares], { rtol: SQUARES_RTOL, atol: 0 });
  });

  it('sum squares of 100,000 elements, many chunks, to ~1e-7 relative', () => {
    const x = random(100_003);
    expectAllClose([statsWasm(kernels(), x)!.sumOfSquares], [bufferStatsLoop(x).sumOfSquares], { rtol: SQUARES_RTOL, atol: 0 });
  });

  it('take float32 buffers from the threshold on, and never float64 or the forced TypeScript path', () => {
    setKernelBackend('auto');
    expect(tryStatsWasm(random(STATS_WASM_THRESHOLD))).toBeDefined();
    expect(tryStatsWasm(random(STATS_WASM_THRESHOLD - 1))).toBeUndefined();
    expect(statsOnWasm(new Float64Array(STATS_WASM_THRESHOLD))).toBe(false);
    setKernelBackend('ts');
    expect(statsOnWasm(random(4096))).toBe(false);
  });
});
