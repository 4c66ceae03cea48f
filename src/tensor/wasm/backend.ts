import { ArgumentError } from '../../errors.js';
import type { TypedArray } from '../dtype.js';
import type { BufferStats } from '../kernels/reduce.js';
import type { UpdateSize } from '../kernels/update-size.js';
import { binaryWasm, reluBackwardWasm, reluWasm, scaleWasm, sgdWasm, statsWasm, sumWasm } from './elementwise.js';
import { matmulMemoryFloats, matmulWasm } from './matmul.js';
import type { AdamStep } from '../kernels/optim.js';
import { adamWasm, sgdMeasuredWasm } from './optimizer-updates.js';
import { loadKernels, loadOptimizerKernels, unavailableReason, type WasmKernels } from './runtime.js';

/**
 * Which kernels run float32 work:
 * - `'ts'`: the plain TypeScript loops everywhere (they are also the reference the tests use);
 * - `'wasm'`: the WebAssembly SIMD kernels for every float32 call they cover, whatever its size;
 * - `'auto'` (default): WebAssembly when the engine supports SIMD and the work is large enough to
 *   pay for copying operands into the kernel memory, TypeScript otherwise.
 * float64 always runs in TypeScript.
 */
export type KernelBackendChoice = 'ts' | 'wasm' | 'auto';

/** The path float32 matmuls large enough for it take now: `'wasm'` or `'ts'`. */
export type ActiveKernelBackend = 'ts' | 'wasm';

/**
 * Below this many multiply-adds (M·K·N) the copies into and out of the kernel memory cost more
 * than SIMD saves: `node scripts/run-typescript.mjs bench/wasm-matmul.ts --cpu --crossover` shows
 * TypeScript ahead up to 4×4×4 (64), the two about even from 6×6×6 to 8×8×8 (216–512),
 * WebAssembly ahead from 1×64×10 (640) on and 3–5× ahead at 16×16×16.
 */
export const MATMUL_WASM_THRESHOLD = 512;

/**
 * The kernel memory never shrinks (WebAssembly memories cannot), so calls needing more than
 * 1 GiB of it (for a matmul: operands, packed copies and result together) stay in TypeScript.
 */
const MAX_KERNEL_MEMORY_FLOATS = 2 ** 28;

let choice: KernelBackendChoice = choiceFromEnvironment();

/** Reads GRADGUARD_KERNELS without touching `process` where it does not exist (browsers). */
function choiceFromEnvironment(): KernelBackendChoice {
  const value = globalThis.process?.env?.['GRADGUARD_KERNELS'];
  if (value === 'ts' || value === 'wasm' || value === 'auto') return value;
  return 'auto';
}

/**
 * Selects the kernels: `'ts'`, `'wasm'` or `'auto'` (the default, also settable with the
 * environment variable `GRADGUARD_KERNELS`). Forcing `'wasm'` on an engine without WebAssembly
 * SIMD throws, so a test run that asks for it never silently tests TypeScript instead.
 *
 * @example
 * setKernelBackend('ts');   // every kernel in plain TypeScript
 * setKernelBackend('auto'); // WebAssembly SIMD where it is available and pays
 */
export function setKernelBackend(backend: KernelBackendChoice): void {
  if (backend !== 'ts' && backend !== 'wasm' && backend !== 'auto') {
    throw new ArgumentError('setKernelBackend', `backend must be 'ts', 'wasm' or 'auto', got ${JSON.stringify(backend)}`);
  }
  if (backend === 'wasm' && loadKernels() === undefined) {
    throw new ArgumentError('setKernelBackend', `'wasm' needs WebAssembly SIMD, got ${unavailableReason() ?? 'none'}`);
  }
  choice = backend;
}

/**
 * The kernels large float32 work runs on now: `'wasm'` when the WebAssembly SIMD module is
 * loaded and not switched off, `'ts'` otherwise.
 *
 * @example
 * kernelBackend(); // 'wasm' on Node 20 and current browsers, 'ts' where SIMD is missing
 */
export function kernelBackend(): ActiveKernelBackend {
  return choice !== 'ts' && loadKernels() !== undefined ? 'wasm' : 'ts';
}

/**
 * The kernels to use for `work` (multiply-adds or elements) needing `memory` floats of kernel
 * memory, or undefined to run TypeScript.
 */
function kernelsFor(work: number, threshold: number, memory: number, load = loadKernels): WasmKernels | undefined {
  if (choice === 'ts' || memory > MAX_KERNEL_MEMORY_FLOATS) return undefined;
  if (choice === 'auto' && work < threshold) return undefined;
  return load();
}

/**
 * What a WebAssembly kernel that can measure its output reports: undefined when it did not run
 * (TypeScript does the work), null when it ran without statistics, or the output's statistics
 * (Σx², max |x|), taken while the output was still in kernel memory, when asked and finite.
 */
export type MeasuredRun = BufferStats | null | undefined;

/**
 * Runs the matmul on WebAssembly when the backend choice, the dtype and the size allow it; undefined
 * lets the TypeScript kernel do it. Same contract as `matmul`; `measure` asks for the output's statistics.
 */
export function tryMatmulWasm(
  a: TypedArray, b: TypedArray, out: TypedArray,
  M: number, K: number, N: number,
  transA: boolean, transB: boolean, accumulate: boolean, measure = false,
): MeasuredRun {
  if (!(a instanceof Float32Array && b instanceof Float32Array && out instanceof Float32Array)) return undefined;
  const kernels = kernelsFor(M * K * N, MATMUL_WASM_THRESHOLD, matmulMemoryFloats(M, K, N));
  if (kernels === undefined) return undefined;
  return matmulWasm(kernels, a, b, out, M, K, N, transA, transB, accumulate, measure);
}

/**
 * Below these many elements an elementwise call or a sum stays in TypeScript: the fixed cost of a
 * call into WebAssembly and of the copies outweighs the SIMD loop. Measured (process CPU time,
 * Node 20, x64): add/relu/reluBackward break even near 256 elements and run 3–10× faster from
 * 1024 on; the sum, whose TypeScript loop is already cheap, breaks even near 1024.
 */
export const ELEMENTWISE_WASM_THRESHOLD = 256;
export const SUM_WASM_THRESHOLD = 1024;

/**
 * Above these many elements add and mul stay in TypeScript: the three arrays no longer fit the
 * caches, and copying two in and one out of kernel memory costs more than the SIMD loop saves
 * (TypeScript's four-at-a-time loop ran 1.2–2.3× slower from 2¹⁷ to 2¹⁹ elements and 1.4–1.6×
 * faster from 2²⁰; Node 20, x64). relu, which copies one array in and one out, gains at every size.
 */
export const BINARY_WASM_LIMIT = 1 << 19;

/** out = a + b or a · b for same-length float32 arrays on WebAssembly; false to let TypeScript do it. */
export function tryBinaryWasm(name: 'add' | 'mul', a: TypedArray, b: TypedArray, out: TypedArray): boolean {
  if (!(a instanceof Float32Array && b instanceof Float32Array && out instanceof Float32Array)) return false;
  if (a.length !== out.length || b.length !== out.length || out.length > BINARY_WASM_LIMIT) return false;
  const kernels = kernelsFor(out.length, ELEMENTWISE_WASM_THRESHOLD, 3 * out.length);
  if (kernels === undefined) return false;
  binaryWasm(kernels, name, a, b, out);
  return true;
}

/**
 * The plain SGD update of a float32 parameter on WebAssembly: `'done'`, or the update's size when
 * `measure` asked for it (then on the optimizer module, which measures in the same pass);
 * undefined to let TypeScript do it.
 */
export function trySgdWasm(param: TypedArray, grad: TypedArray, lr: number, weightDecay: number, measure: boolean): UpdateSize | 'done' | undefined {
  if (!(param instanceof Float32Array && grad instanceof Float32Array) || grad.length !== param.length) return undefined;
  const kernels = kernelsFor(param.length, ELEMENTWISE_WASM_THRESHOLD, 2 * param.length, measure ? loadOptimizerKernels : undefined);
  if (kernels === undefined) return undefined;
  if (measure) return sgdMeasuredWasm(kernels, param, grad, lr, weightDecay);
  sgdWasm(kernels, param, grad, lr, weightDecay);
  return 'done';
}

/**
 * Adam's update (no AMSGrad) of a float32 parameter and its moments on WebAssembly, in float32
 * arithmetic as PyTorch's: `'done'`, or the update's size when `measure` asked for it (see
 * `trySgdWasm`); undefined to let TypeScript do it (float64, small, or the module unavailable).
 */
export function tryAdamWasm(
  param: TypedArray, grad: TypedArray, expAvg: TypedArray, expAvgSq: TypedArray, step: AdamStep, measure = false,
): UpdateSize | 'done' | undefined {
  if (!(param instanceof Float32Array && grad instanceof Float32Array && expAvg instanceof Float32Array && expAvgSq instanceof Float32Array)) return undefined;
  const kernels = kernelsFor(param.length, ELEMENTWISE_WASM_THRESHOLD, 5 * param.length, loadOptimizerKernels);
  if (kernels === undefined) return undefined;
  return adamWasm(kernels, param, grad, expAvg, expAvgSq, step, measure) ?? 'done';
}

/** x ← x · factor in place for a float32 buffer on WebAssembly; false to let TypeScript do it. */
export function tryScaleWasm(x: TypedArray, factor: number): boolean {
  if (!(x instanceof Float32Array)) return false;
  const kernels = kernelsFor(x.length, ELEMENTWISE_WASM_THRESHOLD, x.length);
  if (kernels === undefined) return false;
  scaleWasm(kernels, x, factor);
  return true;
}

/** out = relu(x) on WebAssembly; false to let TypeScript do it. */
export function tryReluWasm(x: TypedArray, out: TypedArray): boolean {
  if (!(x instanceof Float32Array && out instanceof Float32Array)) return false;
  const kernels = kernelsFor(x.length, ELEMENTWISE_WASM_THRESHOLD, 3 * x.length);
  if (kernels === undefined) return false;
  reluWasm(kernels, x, out);
  return true;
}

/** out = 0 where x ≤ 0, else gradOut, on WebAssembly (undefined to let TypeScript do it); `measure` as in `tryMatmulWasm`. */
export function tryReluBackwardWasm(x: TypedArray, gradOut: TypedArray, out: TypedArray, measure = false): MeasuredRun {
  if (!(x instanceof Float32Array && gradOut instanceof Float32Array && out instanceof Float32Array)) return undefined;
  const kernels = kernelsFor(x.length, ELEMENTWISE_WASM_THRESHOLD, 3 * x.length);
  if (kernels === undefined) return undefined;
  return reluBackwardWasm(kernels, x, gradOut, out, measure);
}

/** Σx (float64 accumulation) on WebAssembly, or undefined to let TypeScript do it. */
export function trySumWasm(x: TypedArray): number | undefined {
  if (!(x instanceof Float32Array)) return undefined;
  const kernels = kernelsFor(x.length, SUM_WASM_THRESHOLD, x.length);
  return kernels === undefined ? undefined : sumWasm(kernels, x);
}

/**
 * Below this many elements the gradient statistics (Σx², max |x|) stay in TypeScript. Measured
 * like the thresholds above: even near 256 elements, WebAssembly 1.6× faster at 512 and 3× from 2048 on,
 * where it also beats the TypeScript finiteness scan (`allFinite`).
 */
export const STATS_WASM_THRESHOLD = 512;

/** Σx² and max |x| of a finite float32 buffer on WebAssembly (see statsWasm), or undefined to let TypeScript do it. */
export function tryStatsWasm(x: TypedArray): BufferStats | undefined {
  if (!(x instanceof Float32Array)) return undefined;
  const kernels = kernelsFor(x.length, STATS_WASM_THRESHOLD, x.length + 8);
  return kernels === undefined ? undefined : statsWasm(kernels, x) ?? undefined;
}

/** True when `tryStatsWasm(x)` would take `x`: then the statistics cost about what a finiteness scan costs. */
export function statsOnWasm(x: TypedArray): boolean {
  return x instanceof Float32Array && kernelsFor(x.length, STATS_WASM_THRESHOLD, x.length + 8) !== undefined;
}
