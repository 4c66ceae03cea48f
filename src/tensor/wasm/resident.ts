import { weightAndUpdateLoop } from '../kernels/optim.js';
import { BLOCK_FLOATS } from './elementwise-kernel.js';
import { kernel, memoryDoubles, memoryFloats, separateKernels, type WasmKernels } from './runtime.js';

/** Where one copy lives in the kernel memory (float offset) and how many floats it holds. */
interface Place {
  offset: number;
  length: number;
}

/** Floats a copy of `n` occupies: whole blocks, zero-padded, so the kernels need no tail loop. */
function slotFloats(n: number): number {
  return Math.ceil(n / BLOCK_FLOATS) * BLOCK_FLOATS;
}

/**
 * Copies of float32 buffers kept in a kernel memory of their own (a separate instance of the
 * kernel module), to measure how far each buffer moved since its copy was taken: the monitor's
 * ‖ΔW‖. A measurement copies the buffer in once, runs one pass, and refreshes the copy inside the
 * kernel memory; a copy kept in a JavaScript array would cost three copies per measurement
 * (copy and buffer in, copy refreshed). Copies are placed one after another; a buffer whose
 * length changes gets a new place and its old one is abandoned (rare: a parameter replaced).
 */
export class ResidentCopies {
  private readonly places = new Map<object, Place>();
  /** Floats in use by copies; the scratch area of a measurement starts here. */
  private end = 0;

  private constructor(private readonly kernels: WasmKernels) {}

  /** A store of its own, or undefined where the WebAssembly kernels are unavailable. */
  static create(): ResidentCopies | undefined {
    const kernels = separateKernels();
    return kernels === undefined ? undefined : new ResidentCopies(kernels);
  }

  /** True when `key` has a copy of `length` floats. */
  holds(key: object, length: number): boolean {
    return this.places.get(key)?.length === length;
  }

  /** Stores a copy of `data` under `key`. */
  keep(key: object, data: Float32Array): void {
    const slot = slotFloats(data.length);
    let place = this.places.get(key);
    if (place === undefined || place.length !== data.length) {
      place = { offset: this.end, length: data.length };
      this.end += slot;
      this.places.set(key, place);
    }
    const memory = memoryFloats(this.kernels, this.end);
    memory.set(data, place.offset);
    memory.fill(0, place.offset + data.length, place.offset + slot);
  }

  /**
   * Σw² and Σ(w − copy)² for `data` against the copy under `key`, then copy ← w; undefined when
   * `key` has no copy of this length.
   */
  measure(key: object, data: Float32Array): { weight: number; update: number } | undefined {
    const place = this.places.get(key);
    if (place === undefined || place.length !== data.length) return undefined;
    const n = data.length;
    const slot = slotFloats(n);
    const scratch = this.end;
    const memory = memoryFloats(this.kernels, scratch + slot + BLOCK_FLOATS);
    memory.set(data, scratch);
    memory.fill(0, scratch + n, scratch + slot);
    const resultAt = scratch + slot; // float offset, a multiple of 8: an aligned f64
    const weight = kernel(this.kernels, 'weightUpdate')(scratch * 4, place.offset * 4, slot * 4, resultAt * 4);
    const update = memoryDoubles(this.kernels)[resultAt / 2]!;
    if (Number.isFinite(weight) && Number.isFinite(update)) {
      memory.copyWithin(place.offset, scratch, scratch + slot);
      return { weight, update };
    }
    // why: float32 chunk sums overflow for |w| > 1.8e19; the float64 loop is exact (and refreshes the copy)
    return weightAndUpdateLoop(data, memory.subarray(place.offset, place.offset + n));
  }

  /** Removes the copy under `key` and returns it as a plain array (when the caller moves to TypeScript). */
  take(key: object): Float32Array | undefined {
    const place = this.places.get(key);
    if (place === undefined) return undefined;
    this.places.delete(key);
    return memoryFloats(this.kernels, this.end).slice(place.offset, place.offset + place.length);
  }
}
