import { afterEach, describe, expect, it } from 'vitest';
import { Generator, GradientView, nn, setKernelBackend, tensor, type Guard } from '../src/index.js';
import { matmul } from '../src/tensor/kernels/matmul.js';
import { bufferStatsLoop } from '../src/tensor/kernels/reduce.js';
import { reluBackward } from '../src/tensor/kernels/unary.js';
import { expectAllClose } from './helpers.js';

/*
 * Kernels that write a gradient can measure it on the way (Σx², max |x|) while it is still in
 * WebAssembly memory, so guards need not copy it in again. Every figure is checked against the
 * float64 TypeScript loop over the output; where a kernel cannot measure, it must say so (undefined).
 */

const generator = new Generator(5);

function random(size: number): Float32Array {
  return Float32Array.from({ length: size }, () => generator.uniform() * 2 - 1);
}

function expectStatsOf(stats: { sumOfSquares: number; maxAbs: number; nonFiniteCount: number } | undefined, out: Float32Array, what: string): void {
  expect(stats, what).toBeDefined();
  const exact = bufferStatsLoop(out);
  expectAllClose([stats!.sumOfSquares], [exact.sumOfSquares], { rtol: 1e-6, atol: 0, message: what });
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
