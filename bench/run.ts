import { machine } from './harness.js';
import { runGuards } from './guards.js';
import { runKernels } from './kernels.js';
import { runMemory } from './memory.js';
import { runTrain } from './train.js';

/*
 * `npm run bench` runs every suite; `npm run bench -- kernels train` runs the ones named.
 * BENCH_MAX_TIME=<seconds per case> trades precision for time (default 0.25); BENCH_ROUNDS=<n> interleaved rounds (default 3).
 */

const SUITES: Record<string, () => Promise<void>> = {
  kernels: runKernels,
  train: runTrain,
  guards: runGuards,
  memory: runMemory,
};

async function main(): Promise<void> {
  const requested = process.argv.slice(2);
  const unknown = requested.filter((name) => !(name in SUITES));
  if (unknown.length > 0) {
    console.error(`unknown suite ${unknown.join(', ')}; choose from ${Object.keys(SUITES).join(', ')}`);
    process.exitCode = 2;
    return;
  }
  const names = requested.length > 0 ? requested : Object.keys(SUITES);
  const m = machine();
  console.log(`gradguard bench — ${m.cpu}, ${m.cores} cores, Node ${m.node}, ${m.platform}`);
  const start = performance.now();
  for (const name of names) await SUITES[name]!();
  console.log(`\ndone in ${((performance.now() - start) / 1000).toFixed(0)} s; figures in bench/results/*.json`);
}

await main();
