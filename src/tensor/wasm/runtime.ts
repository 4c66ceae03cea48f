import { FunctionBuilder } from './builder.js';
import { encodeModule } from './encoder.js';
import { gemmFunction, TILE } from './matmul-kernel.js';
import { packFunctions } from './pack-kernel.js';
import { elementwiseFunctions } from './elementwise-kernel.js';
import { squareSumFunctions } from './squares-kernel.js';
import { adamFunction, adamMeasuredFunction, sgdMeasuredFunction } from './optimizer-kernels.js';

/** A kernel exported by our module: i32/f32 arguments in, at most one number out. */
export type KernelFunction = (...args: number[]) => number;

/** The instantiated module: its functions and the linear memory they work in. */
export interface WasmKernels {
  readonly memory: WebAssembly.Memory;
  readonly functions: ReadonlyMap<string, KernelFunction>;
  /** The compiled module, to make more instances (each with a memory of its own). */
  readonly module: WebAssembly.Module;
  /** Views of `memory` (see `memoryFloats`), re-made after a grow. */
  views?: { floats: Float32Array; doubles: Float64Array };
}

const PAGE_BYTES = 65536;

/**
 * Pages (64 KiB) the kernel memory starts with: 32 MiB, enough for every kernel call of steps A
 * and B and for a 1024² matmul. why up front: growing a memory detaches its old buffer, and once
 * any buffer in the process has been detached V8 checks for detachment on every typed-array
 * access, everywhere: the TypeScript kernels then ran 1.3–1.5× slower (measured on relu and max,
 * Node 20). Pages never touched cost no physical memory.
 */
export const INITIAL_MEMORY_PAGES = 512;

/** The whole kernel module, emitted by our own encoder. */
export function kernelModuleBytes(memoryPages = INITIAL_MEMORY_PAGES): Uint8Array<ArrayBuffer> {
  return encodeModule({ functions: [gemmFunction(), ...packFunctions([TILE.rows, TILE.columns]), ...elementwiseFunctions(), ...squareSumFunctions()], memoryPages });
}

/**
 * The optimizer module (Adam's update, and Adam and plain SGD measuring their own step as they
 * write it), with a memory of its own. why a second module: the first is within a few hundred bytes of the 4 KB that browsers
 * compile synchronously on the main thread, and Adam's kernel would push it over.
 */
export function optimizerModuleBytes(memoryPages = INITIAL_MEMORY_PAGES): Uint8Array<ArrayBuffer> {
  return encodeModule({ functions: [false, true].flatMap((decay) => [adamFunction(decay), adamMeasuredFunction(decay), sgdMeasuredFunction(decay)]), memoryPages });
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

/** One of our modules: how to make its bytes, and how far loading it has got. */
interface ModuleSlot {
  readonly bytes: (memoryPages?: number) => Uint8Array<ArrayBuffer>;
  state: LoadState;
}

const MAIN: ModuleSlot = { bytes: kernelModuleBytes, state: { kind: 'untried' } };
const OPTIMIZER: ModuleSlot = { bytes: optimizerModuleBytes, state: { kind: 'untried' } };

/**
 * The kernels, or undefined while they are unavailable. The first call compiles synchronously
 * (Node allows any size; browsers allow small modules on the main thread); if the engine refuses a
 * synchronous compile, an asynchronous one starts and callers use TypeScript until it finishes.
 */
export function loadKernels(): WasmKernels | undefined {
  return load(MAIN);
}

/** The optimizer module's kernels (see `optimizerModuleBytes`), loaded like `loadKernels`'s. */
export function loadOptimizerKernels(): WasmKernels | undefined {
  return load(OPTIMIZER);
}

function load(slot: ModuleSlot): WasmKernels | undefined {
  const state = slot.state;
  if (state.kind === 'ready') return state.kernels;
  if (state.kind !== 'untried') return undefined;
  if (!simdSupported()) {
    slot.state = { kind: 'unavailable', reason: 'this engine has no WebAssembly SIMD' };
    return undefined;
  }
  const bytes = slot.bytes();
  try {
    const kernels = instantiateOrShrink(new WebAssembly.Module(bytes), slot);
    slot.state = { kind: 'ready', kernels };
    return kernels;
  } catch {
    slot.state = { kind: 'compiling' };
    WebAssembly.compile(bytes).then((module) => instantiateOrShrink(module, slot)).then(
      (kernels) => { slot.state = { kind: 'ready', kernels }; },
      (error: unknown) => { slot.state = { kind: 'unavailable', reason: String(error) }; },
    );
    return undefined;
  }
}

/** Why the kernels are not loaded (for error messages), or undefined when they are. */
export function unavailableReason(): string | undefined {
  const state = MAIN.state;
  if (state.kind === 'ready') return undefined;
  return state.kind === 'unavailable' ? state.reason : 'the WebAssembly module is still compiling';
}

/** Forgets the loaded modules so the next call loads again; tests use it to exercise detection. */
export function resetKernelsForTesting(): void {
  MAIN.state = { kind: 'untried' };
  OPTIMIZER.state = { kind: 'untried' };
}

/** Instantiates `module`; where the engine cannot give it its initial memory, a one-page copy of it (which grows on demand). */
function instantiateOrShrink(module: WebAssembly.Module, slot: ModuleSlot = MAIN): WasmKernels {
  try {
    return instantiate(module);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return instantiate(new WebAssembly.Module(slot.bytes(1)));
  }
}

function instantiate(module: WebAssembly.Module): WasmKernels {
  const exports = new WebAssembly.Instance(module, {}).exports;
  const memory = exports['memory'];
  if (!(memory instanceof WebAssembly.Memory)) throw new Error('internal: the kernel module exports no memory');
  const functions = new Map<string, KernelFunction>();
  for (const [name, value] of Object.entries(exports)) if (isKernelFunction(value)) functions.set(name, value);
  return { memory, functions, module };
}

/**
 * Another instance of the loaded kernels, with a memory of its own: for data that stays in kernel
 * memory between calls (the shared instance's memory is scratch space that every call overwrites).
 * Freed with the returned object.
 */
export function separateKernels(): WasmKernels | undefined {
  const shared = loadKernels();
  return shared === undefined ? undefined : instantiateOrShrink(shared.module);
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
  // why: `memory.buffer` is a call into the engine (~0.1 µs), and step B makes ~250 kernel calls;
  // the cached view is valid until a grow detaches it, which leaves it with length 0
  const cached = kernels.views;
  if (cached !== undefined && cached.floats.length !== 0 && floats <= cached.floats.length) return cached.floats;
  const needed = floats * 4;
  const have = kernels.memory.buffer.byteLength;
  if (needed > have) kernels.memory.grow(Math.ceil((needed - have) / PAGE_BYTES));
  const buffer = kernels.memory.buffer;
  kernels.views = { floats: new Float32Array(buffer), doubles: new Float64Array(buffer) };
  return kernels.views.floats;
}

/** Floats in 4 KiB, the span within which two addresses can falsely alias (see `areaStart`). */
const ALIAS_SPAN_FLOATS = 1024;
/** Where areas start within each 4 KiB span: 64 bytes in (see `areaStart`). */
const AREA_SKEW_FLOATS = 16;

/**
 * The first float offset at or after `from` that lies 64 bytes past a 4 KiB boundary: where an
 * area of the kernel memory that JavaScript copies into or out of starts. why: a copy runs
 * 10–17× slower (400 KB: 160–220 against 14 µs, Node 20, Zen 3) when its destination sits 16
 * bytes after its source modulo 4 KiB, because each load then waits on a recent store whose
 * address matches in the low 12 bits ("4K aliasing", Intel's and AMD's optimization manuals).
 * Large arrays, which the allocator maps on their own, start 16 bytes past a page, and the kernel
 * memory starts on one: results copied out from a page boundary (an SGD parameter at 0, a matmul
 * output after whole panels) and operands copied in 32 bytes past one hit it every time. From 64
 * bytes in, the distance is 48 bytes either way.
 * @example const outAt = areaStart(inAt + slot); // then out.set(memory.subarray(outAt, outAt + n))
 */
export function areaStart(from: number): number {
  const start = Math.floor(from / ALIAS_SPAN_FLOATS) * ALIAS_SPAN_FLOATS + AREA_SKEW_FLOATS;
  return start >= from ? start : start + ALIAS_SPAN_FLOATS;
}

/** A Float64Array over the same memory (for kernels that store a float64 result), valid until the next `memoryFloats`. */
export function memoryDoubles(kernels: WasmKernels): Float64Array {
  memoryFloats(kernels, 0);
  return kernels.views!.doubles;
}

/** An exported kernel by name; a missing one is our bug. */
export function kernel(kernels: WasmKernels, name: string): KernelFunction {
  const found = kernels.functions.get(name);
  if (found === undefined) throw new Error(`internal: the kernel module has no function '${name}'`);
  return found;
}
