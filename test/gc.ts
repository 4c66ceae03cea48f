/*
 * A full garbage collection for memory tests, without changing how vitest starts its workers:
 * V8 accepts --expose-gc at run time, and a fresh context created afterwards has `gc`.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as (options?: unknown) => void;

/** Waits a turn (so WeakRefs made in the last job can be cleared), then collects everything twice. */
export async function fullGc(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  collect();
  collect();
}

/** Heap in use after a full collection, in bytes. */
export async function settledHeap(): Promise<number> {
  await fullGc();
  return process.memoryUsage().heapUsed;
}
