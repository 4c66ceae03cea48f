import { FunctionBuilder } from './builder.js';
import { encodeModule } from './encoder.js';
import { gemmFunction, TILE } from './matmul-kernel.js';
import { packFunctions } from './pack-kernel.js';
import { elementwiseFunctions } from './elementwise-kernel.js';

/** A kernel exported by our module: i32/f32 arguments in, at most one number out. */
export type KernelFunction = (...args: number[]) => number;

/** The instantiated module: its functions and the linear memory they work in. */
export interface WasmKernels {
  readonly memory: WebAssembly.Memory;
  readonly functions: ReadonlyMap<string, KernelFunction>;
}

const PAGE_BYTES = 65536;

/** The whole kernel module, emitted by our own encoder. */
export function kernelModuleBytes(): Uint8Array<ArrayBuffer> {
  return encodeModule({ functions: [gemmFunction(), ...packFunctions([TILE.rows, TILE.columns]), ...elementwiseFunctions()], memoryPages: 1 });
}

/** A module with one function that uses v128 values: it validates exactly when the engine supports SIMD. */
export function simdProbeBytes(): Uint8Array<ArrayBuffer> {
  const f = new FunctionBuilder('probe');
  f.f32(1).op('f32x4.splat').f32(2).op('f32x4.splat').op('f32x4.mul').lane('f32x4.extract_lane', 0);
  return encodeModule({ functions: [f.finish(['f32'])], memoryPages: 0 });
}

/** True when this engine can compile WebAssembly with 128-bit SIMD. */
export function simdSupported(): boolean {
  if (typeof WebAssembly !== 'object' || typeof WebAssembly.validate !== 'function') return false;
  try {
    return WebAssembly.validate(simdProbeBytes());
  } catch {
    return false;
  }
}

type LoadState =
  | { kind: 'untried' }
  | { kind: 'compiling' }
  | { kind: 'ready'; kernels: WasmKernels }
  | { kind: 'unavailable'; reason: string };

let state: LoadState = { kind: 'untried' };

/**
 * The kernels, or undefined while they are unavailable. The first call compiles synchronously
 * (Node allows any size; browsers allow small modules on the main thread); if the engine refuses a
 * synchronous compile, an asynchronous one starts and callers use TypeScript until it finishes.
 */
export function loadKernels(): WasmKernels | undefined {
  if (state.kind === 'ready') return state.kernels;
  if (state.kind !== 'untried') return undefined;
  if (!simdSupported()) {
    state = { kind: 'unavailable', reason: 'this engine has no WebAssembly SIMD' };
    return undefined;
  }
  const bytes = kernelModuleBytes();
  try {
    state = { kind: 'ready', kernels: instantiate(new WebAssembly.Module(bytes)) };
    return state.kernels;
  } catch {
    state = { kind: 'compiling' };
    WebAssembly.compile(bytes).then(instantiate).then(
      (kernels) => { state = { kind: 'ready', kernels }; },
      (error: unknown) => { state = { kind: 'unavailable', reason: String(error) }; },
    );
    return undefined;
  }
}

/** Why the kernels are not loaded (for error messages), or undefined when they are. */
export function unavailableReason(): string | undefined {
  if (state.kind === 'ready') return undefined;
  return state.kind === 'unavailable' ? state.reason : 'the WebAssembly module is still compiling';
}

/** Forgets the loaded module so the next call loads again; tests use it to exercise detection. */
export function resetKernelsForTesting(): void {
  state = { kind: 'untried' };
}

function instantiate(module: WebAssembly.Module): WasmKernels {
  const exports = new WebAssembly.Instance(module, {}).exports;
  const memory = exports['memory'];
  if (!(memory instanceof WebAssembly.Memory)) throw new Error('internal: the kernel module exports no memory');
  const functions = new Map<string, KernelFunction>();
  for (const [name, value] of Object.entries(exports)) if (isKernelFunction(value)) functions.set(name, value);
  return { memory, functions };
}

function isKernelFunction(value: unknown): value is KernelFunction {
  return typeof value === 'function';
}

/**
 * A Float32Array over the kernel memory with room for at least `floats` elements, growing the
 * memory when needed. Growing detaches the old buffer, so views are re-made after every grow and
 * never kept across calls that may grow.
 */
export function memoryFloats(kernels: WasmKernels, floats: number): Float32Array {
  const needed = floats * 4;
  const have = kernels.memory.buffer.byteLength;
  if (needed > have) kernels.memory.grow(Math.ceil((needed - have) / PAGE_BYTES));
  if (view === undefined || view.buffer !== kernels.memory.buffer) view = new Float32Array(kernels.memory.buffer);
  return view;
}

let view: Float32Array | undefined;

/** An exported kernel by name; a missing one is our bug. */
export function kernel(kernels: WasmKernels, name: string): KernelFunction {
  const found = kernels.functions.get(name);
  if (found === undefined) throw new Error(`internal: the kernel module has no function '${name}'`);
  return found;
}
