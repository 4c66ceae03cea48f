import { BLOCK_FLOATS, slotFloats } from './elementwise-kernel.js';
import type { UpdateSize } from '../kernels/update-size.js';
import { updateSizeInMemory } from './elementwise.js';
import { areaStart, memoryFloats, separateKernels, type WasmKernels } from './runtime.js';

/**
 * Where one key's copies live in the kernel memory: two places of `length` floats (float
 * offsets), `current` holding the copy; a measurement writes the new values into the other place
 * and, once measured, makes it current (no copy back).
 */
interface Place {
  offsets: [number, number];
  current: 0 | 1;
  length: number;
}

/**
 * Copies of float32 buffers kept in a kernel memory of their own (a separate instance of the
 * kernel module), to measure how far each buffer moved since its copy was taken: the monitor's
 * ‖ΔW‖. Each key has two places that take turns: a measurement copies the buffer into the place
 * not holding the copy, runs one pass over both, and that place holds the copy from then on. A
 * copy kept in a JavaScript array would cost three copies per measurement (copy and buffer in,
 * copy refreshed). Places are laid out one after another; a buffer whose length changes gets
 * new places and its old ones are abandoned (rare: a parameter replaced).
 */
export class ResidentCopies {
  private readonly places = new Map<object, Place>();
  /** Floats in use by places; a measurement's result is written here. */
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
      const first = areaStart(this.end);
      const second = areaStart(first + slot); // both where copies in run fast
      place = { offsets: [first, second], current: 0, length: data.length };
      this.end = second + slot;
      this.places.set(key, place);
      memoryFloats(this.kernels, this.end + BLOCK_FLOATS).fill(0, place.offsets[0], this.end); // the padding stays zero
    }
    memoryFloats(this.kernels, this.end + BLOCK_FLOATS).set(data, place.offsets[place.current]);
  }

  /**
   * Σw² and Σ(w − copy)² for `data` against the copy under `key`, then copy ← w; undefined when
   * `key` has no copy of this length.
   */
  measure(key: object, data: Float32Array): UpdateSize | undefined {
    const place = this.places.get(key);
    if (place === undefined || place.length !== data.length) return undefined;
    const next = place.current === 0 ? 1 : 0;
    const [at, previousAt] = [place.offsets[next], place.offsets[place.current]];
    const memory = memoryFloats(this.kernels, this.end + BLOCK_FLOATS);
    memory.set(data, at);
    const measured = updateSizeInMemory(this.kernels, at, previousAt, data.length, this.end); // this.end: a multiple of 8, an aligned f64
    place.current = next;
    return measured;
  }

  /** Removes the copy under `key` and returns it as a plain array (when the caller moves to TypeScript). */
  take(key: object): Float32Array | undefined {
    const place = this.places.get(key);
    if (place === undefined) return undefined;
    this.places.delete(key);
    const at = place.offsets[place.current];
    return memoryFloats(this.kernels, this.end).slice(at, at + place.length);
  }
}
