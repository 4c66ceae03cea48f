import { afterEach, describe, expect, it, vi } from 'vitest';
import { ArgumentError, Generator } from '../src/index.js';
import { kernelBackend, setKernelBackend } from '../src/index.js';
import { MATMUL_WASM_THRESHOLD } from '../src/tensor/wasm/backend.js';
import { matmul } from '../src/tensor/kernels/matmul.js';
import { matmulWasm } from '../src/tensor/wasm/matmul.js';
import { loadKernels, resetKernelsForTesting, type WasmKernels } from '../src/tensor/wasm/runtime.js';
import { expectAllClose } from './helpers.js';

const generator = new Generator(7);

function random(size: number): Float32Array {
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = generator.uniform() * 2 - 1;
  return data;
}

function kernels(): WasmKernels {
  const loaded = loadKernels();
  if (loaded === undefined) throw new Error('WebAssembly SIMD is expected on Node 20');
  return loaded;
}

/** op(A)·op(B) (+ out) by the textbook triple loop in float64, reading the storage as matmul documents it. */
function direct(
  a: Float32Array, b: Float32Array, out: Float32Array,
  M: number, K: number, N: number, transA: boolean, transB: boolean, accumulate: boolean,
): Float64Array {
  const result = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let sum = accumulate ? out[i * N + j]! : 0;
      for (let k = 0; k < K; k++) sum += a[transA ? k * M + i : i * K + k]! * b[transB ? j * K + k : k * N + j]!;
      result[i * N + j] = sum;
    }
  }
  return result;
}

/** The TypeScript kernel, forced, as the reference the WebAssembly kernel must agree with. */
function typescriptMatmul(...args: Parameters<typeof matmul>): void {
  setKernelBackend('ts');
  matmul(...args);
}

// [M, K, N]: 1×1, K = 1, exact tiles, odd sizes that are not multiples of the 4×8 tile, thin and wide.
const SHAPES: Array<[number, number, number]> = [
  [1, 1, 1], [1, 7, 1], [5, 1, 9], [3, 5, 7], [4, 8, 8], [13, 17, 19], [33, 65, 31], [8, 3, 40], [2, 129, 3], [64, 32, 24],
];
const FLAGS = [false, true];

afterEach(() => {
  setKernelBackend('auto');
  vi.restoreAllMocks();
  resetKernelsForTesting();
});

describe('WebAssembly SIMD matmul kernel', () => {
  for (const transA of FLAGS) {
    for (const transB of FLAGS) {
      it(`matches the direct loop and the TypeScript kernel (transA ${transA}, transB ${transB}, accumulate on and off)`, () => {
        for (const [M, K, N] of SHAPES) {
          for (const accumulate of FLAGS) {
            const a = random(M * K);
            const b = random(K * N);
            const start = random(M * N);
            const wasmOut = start.slice();
            const tsOut = start.slice();
            matmulWasm(kernels(), a, b, wasmOut, M, K, N, transA, transB, accumulate);
            typescriptMatmul(a, b, tsOut, M, K, N, transA, transB, accumulate);
            const message = `[${M},${K},${N}] accumulate ${accumulate}`;
            expectAllClose(wasmOut, direct(a, b, start, M, K, N, transA, transB, accumulate), { rtol: 1e-5, atol: 1e-5, message });
            expectAllClose(wasmOut, tsOut, { rtol: 1e-5, atol: 1e-5, message });
          }
        }
      });
    }
  }

  it('writes zeros when K = 0, and leaves out unchanged when K = 0 with accumulate', () => {
    const out = random(3 * 5);
    const before = out.slice();
    matmulWasm(kernels(), new Float32Array(0), new Float32Array(0), out, 3, 0, 5, false, false, true);
    expect(Array.from(out)).toEqual(Array.from(before));
    matmulWasm(kernels(), new Float32Array(0), new Float32Array(0), out, 3, 0, 5, false, false, false);
    expect(Array.from(out)).toEqual(new Array(15).fill(0));
  });

  it('accepts empty products (M = 0 or N = 0) without touching anything', () => {
    const out = new Float32Array(0);
    matmulWasm(kernels(), new Float32Array(0), random(4 * 6), out, 0, 4, 6, false, false, false);
    matmulWasm(kernels(), random(6 * 4), new Float32Array(0), out, 6, 4, 0, false, false, true);
    expect(out.length).toBe(0);
  });

  it('grows its memory for a large product and stays correct for a small one afterwards', () => {
    for (const [M, K, N] of [[2, 3, 2], [300, 200, 180], [3, 2, 5]] as const) {
      const a = random(M * K);
      const b = random(K * N);
      const out = new Float32Array(M * N);
      matmulWasm(kernels(), a, b, out, M, K, N, false, false, false);
      expectAllClose(out, direct(a, b, out, M, K, N, false, false, false), { rtol: 1e-4, atol: 1e-4 });
    }
  });

  it('never reads past the given extent of an operand that is a view into a larger buffer', () => {
    const backing = random(64);
    const a = backing.subarray(8, 8 + 6);
    const b = backing.subarray(20, 20 + 6);
    const out = new Float32Array(4);
    matmulWasm(kernels(), a, b, out, 2, 3, 2, false, false, false);
    expectAllClose(out, direct(a, b, out, 2, 3, 2, false, false, false), { rtol: 1e-6, atol: 1e-6 });
  });
});

describe('kernel backend selection', () => {
  it("runs float32 matmul on WebAssembly when 'wasm' is forced, even below the size threshold", () => {
    const a = random(2 * 3);
    const b = random(3 * 2);
    const viaDispatch = new Float32Array(4);
    const viaKernel = new Float32Array(4);
    setKernelBackend('wasm');
    expect(kernelBackend()).toBe('wasm');
    matmul(a, b, viaDispatch, 2, 3, 2);
    matmulWasm(kernels(), a, b, viaKernel, 2, 3, 2, false, false, false);
    expect(Array.from(viaDispatch)).toEqual(Array.from(viaKernel));
  });

  it("keeps float32 on TypeScript when 'ts' is forced, and float64 on TypeScript always", () => {
    const [M, K, N] = [40, 50, 30];
    const a = random(M * K);
    const b = random(K * N);
    setKernelBackend('ts');
    expect(kernelBackend()).toBe('ts');
    const reference = new Float32Array(M * N);
    matmul(a, b, reference, M, K, N);
    setKernelBackend('wasm');
    const a64 = Float64Array.from(a);
    const b64 = Float64Array.from(b);
    const out64 = new Float64Array(M * N);
    matmul(a64, b64, out64, M, K, N);
    expectAllClose(out64, direct(a, b, reference, M, K, N, false, false, false), { rtol: 1e-12, atol: 1e-12 });
  });

  it("uses TypeScript below the threshold and WebAssembly above it under 'auto'", () => {
    setKernelBackend('auto');
    const small = 4;
    expect(small ** 3).toBeLessThan(MATMUL_WASM_THRESHOLD);
    const a = random(small * small);
    const b = random(small * small);
    const auto = new Float32Array(small * small);
    const ts = new Float32Array(small * small);
    matmul(a, b, auto, small, small, small);
    typescriptMatmul(a, b, ts, small, small, small);
    expect(Array.from(auto)).toEqual(Array.from(ts));
    setKernelBackend('auto');
    const large = 48;
    expect(large ** 3).toBeGreaterThanOrEqual(MATMUL_WASM_THRESHOLD);
    const c = random(large * large);
    const d = random(large * large);
    const viaAuto = new Float32Array(large * large);
    const viaKernel = new Float32Array(large * large);
    matmul(c, d, viaAuto, large, large, large);
    matmulWasm(kernels(), c, d, viaKernel, large, large, large, false, false, false);
    expect(Array.from(viaAuto)).toEqual(Array.from(viaKernel));
  });

  it('reads GRADGUARD_KERNELS when loaded: ts and wasm select a path, anything else means auto', async () => {
    for (const [value, expected] of [['ts', 'ts'], ['wasm', 'wasm'], ['auto', 'wasm'], ['fast', 'wasm']] as const) {
      vi.stubEnv('GRADGUARD_KERNELS', value);
      vi.resetModules();
      const fresh = await import('../src/tensor/wasm/backend.js');
      expect(fresh.kernelBackend(), `GRADGUARD_KERNELS=${value}`).toBe(expected);
    }
    vi.unstubAllEnvs();
  });

  it('rejects an unknown backend name with an ArgumentError naming the function', () => {
    // @ts-expect-error: a JavaScript caller can pass anything
    expect(() => setKernelBackend('gpu')).toThrow(ArgumentError);
    // @ts-expect-error: a JavaScript caller can pass anything
    expect(() => setKernelBackend('gpu')).toThrow(/^setKernelBackend: backend must be 'ts', 'wasm' or 'auto', got "gpu"$/);
  });

  it('falls back to TypeScript when the engine has no WebAssembly SIMD, and refuses to force wasm there', () => {
    vi.spyOn(WebAssembly, 'validate').mockReturnValue(false);
    resetKernelsForTesting();
    expect(kernelBackend()).toBe('ts');
    expect(() => setKernelBackend('wasm')).toThrow(/setKernelBackend: 'wasm' needs WebAssembly SIMD/);
    const [M, K, N] = [30, 30, 30];
    const a = random(M * K);
    const b = random(K * N);
    const out = new Float32Array(M * N);
    matmul(a, b, out, M, K, N);
    expectAllClose(out, direct(a, b, out, M, K, N, false, false, false), { rtol: 1e-5, atol: 1e-5 });
  });

  it('compiles asynchronously when a synchronous compile is refused, using TypeScript until it is ready', async () => {
    vi.spyOn(WebAssembly, 'Module').mockImplementation(() => {
      throw new RangeError('WebAssembly.Module(): buffer size is larger than 4 KB; use WebAssembly.compile');
    });
    resetKernelsForTesting();
    expect(kernelBackend()).toBe('ts');
    await vi.waitFor(() => expect(kernelBackend()).toBe('wasm'));
  });
});
