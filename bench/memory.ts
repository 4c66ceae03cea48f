import { collectGarbage, writeResults, type Row } from './harness.js';
import { STEP_A, gradguardStep } from './models.js';

/*
 * Memory suite: 2,000 SGD steps of A. Peak RSS is sampled every 20 steps; heap use is taken
 * after a full garbage collection at step 100 (after warm-up), 1,000 and the end. A step must
 * not leak: the heap after step 2,000 should equal the heap after step 100 within noise.
 */

const STEPS = Number(process.env.BENCH_MEMORY_STEPS ?? '2000');
const MB = 1024 * 1024;

function heapAfterGc(gc: () => void): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** `npm run bench -- memory` */
export async function runMemory(): Promise<void> {
  const gc = collectGarbage;
  const { step, how } = gradguardStep(STEP_A, { optimizer: 'sgd' });
  const startRss = process.memoryUsage().rss;
  let peakRss = startRss;
  const heaps: Record<number, number> = {};
  const checkpoints = new Set([100, Math.floor(STEPS / 2), STEPS]);
  const start = performance.now();
  for (let i = 1; i <= STEPS; i++) {
    step();
    if (i % 20 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
    if (checkpoints.has(i)) heaps[i] = heapAfterGc(gc);
  }
  const seconds = (performance.now() - start) / 1000;
  const first = heaps[100] ?? NaN;
  const last = heaps[STEPS] ?? NaN;
  const rows: Row[] = [
    { name: 'peak RSS', unit: 'MB', figures: { gradguard: peakRss / MB } },
    { name: `heap after GC, step 100`, unit: 'MB', figures: { gradguard: first / MB } },
    { name: `heap after GC, step ${Math.floor(STEPS / 2)}`, unit: 'MB', figures: { gradguard: (heaps[Math.floor(STEPS / 2)] ?? NaN) / MB } },
    { name: `heap after GC, step ${STEPS}`, unit: 'MB', figures: { gradguard: last / MB } },
  ];
  console.log(`\nMemory over ${STEPS} SGD steps of A (${how}; ${(seconds * 1000 / STEPS).toFixed(2)} ms/step)`);
  console.log(`  RSS at start ${(startRss / MB).toFixed(1)} MB, peak ${(peakRss / MB).toFixed(1)} MB`);
  console.log(`  heap after GC: step 100 ${(first / MB).toFixed(2)} MB, step ${STEPS} ${(last / MB).toFixed(2)} MB, growth ${((last - first) / MB).toFixed(2)} MB`);
  writeResults('memory', rows, {
    steps: STEPS,
    msPerStep: (seconds * 1000) / STEPS,
    heapGrowthMB: (last - first) / MB,
  });
}
