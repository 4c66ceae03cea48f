import { positiveInteger } from '../errors.js';

/**
 * A fixed-capacity first-in-first-out buffer: once full, each push overwrites the oldest item.
 * Memory stays constant however long a run lasts, which is what lets a monitor watch a
 * million steps. `pushed` counts every item ever added, so callers can tell how much was dropped.
 *
 * @example
 * const losses = new RingBuffer<number>(3);
 * for (const x of [5, 4, 3, 2]) losses.push(x);
 * losses.toArray(); // [4, 3, 2]
 * losses.pushed;    // 4
 */
export class RingBuffer<T> {
  private readonly items: Array<T | undefined>;
  private start = 0;
  private count = 0;
  /** How many items were ever pushed (including those overwritten since). */
  pushed = 0;

  constructor(readonly capacity: number) {
    positiveInteger('RingBuffer', 'capacity', capacity);
    // why: the array grows as items arrive, so a large capacity costs nothing until it is used
    this.items = [];
  }

  /** How many items the buffer holds now (at most `capacity`). */
  get length(): number {
    return this.count;
  }

  /** Adds `item`, dropping the oldest one when the buffer is full. */
  push(item: T): void {
    const end = (this.start + this.count) % this.capacity;
    this.items[end] = item;
    if (this.count < this.capacity) this.count++;
    else this.start = (this.start + 1) % this.capacity;
    this.pushed++;
  }

  /** The item `index` places after the oldest one (0 = oldest); `undefined` outside the buffer. */
  at(index: number): T | undefined {
    if (index < 0) index += this.count;
    if (index < 0 || index >= this.count) return undefined;
    return this.items[(this.start + index) % this.capacity];
  }

  /** The newest item, or `undefined` when empty. */
  last(): T | undefined {
    return this.at(this.count - 1);
  }

  /** The items from oldest to newest, as a new array. */
  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.items[(this.start + i) % this.capacity] as T);
    return out;
  }

  /** Empties the buffer (the `pushed` count is kept). */
  clear(): void {
    this.items.length = 0;
    this.start = 0;
    this.count = 0;
  }
}
