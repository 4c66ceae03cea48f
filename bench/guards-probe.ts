import { guards, type Guard } from '../src/index.js';
import { STEP_A, STEP_B, gradguardStep } from './models.js';
import { cpuBatch } from './guards.js';
import { median } from './guards-processes.js';

/*
 * Where the guards' time goes: any set of guards on step A or B, timed in one process the way the
 * guard suite times them (steady state after an interleaved warm-up, rotated rounds of short
 * CPU-time batches, the median of each batch ÷ the same round's batch of the first variant).
 *
 *   node scripts/run-typescript.mjs bench/guards-probe.ts none trap trap+clip monitor spy
 *   SHAPE=A node scripts/run-typescript.mjs bench/guards-probe.ts none none trap+clip+monitor+updates
 *
 * A variant is guard names joined by '+': `none`, `trap` (nanTrap), `clip` (globalNormClip,
 * maxNorm 1, the guard suite's: above the gradients' norm of both steps, so it never scales them),
 * `clipping` (maxNorm 1e-3: it scales every step, as PyTorch's clip_grad_norm_ always multiplies),
 * `monitor` (no update ratios), `updates` (a monitor with its afterStep), `spy` (a guard with an
 * empty onTensorGradient: what the engine's tensor events cost by themselves).
 * The first variant is the baseline. Name `none` twice to see the noise floor of the host: two
 * identical variants should read ~1.00 against each other.
 */

const WARM_UP_STEPS = Number(process.env.WARM ?? 1100);
const ROUNDS = Number(process.env.ROUNDS ?? 80);
const BATCH_MS = Number(process.env.BATCH_MS ?? 20);

interface Probe {
  name: string;
  step: () => number;
}

function build(name: string, shape: typeof STEP_A): Probe {
  const list: Guard[] = [];
  let afterStep: (() => void) | undefined;
  for (const part of name.split('+')) {
    if (part === 'none') continue;
    else if (part === 'trap') list.push(guards.nanTrap());
    else if (part === 'clip') list.push(guards.globalNormClip({ maxNorm: 1 }));
    else if (part === 'clipping') list.push(guards.globalNormClip({ maxNorm: 1e-3 }));
    else if (part === 'monitor') list.push(guards.monitor({ trackUpdates: false }));
    else if (part === 'updates') {
      const watcher = guards.monitor();
      list.push(watcher);
      afterStep = () => watcher.afterStep();
    } else if (part === 'spy') list.push({ name: 'spy', onTensorGradient: () => undefined });
    else throw new Error(`unknown guard '${part}' in '${name}': use none, trap, clip, clipping, monitor, updates or spy`);
  }
  const options = afterStep === undefined ? { optimizer: 'sgd' as const, guards: list } : { optimizer: 'sgd' as const, guards: list, afterStep };
  return { name, step: gradguardStep(shape, options).step };
}

const names = process.argv.slice(2);
if (names.length < 2) {
  console.error('usage: node scripts/run-typescript.mjs bench/guards-probe.ts <baseline> <variant>… (e.g. none trap+clip monitor)');
  process.exit(2);
}
const shape = process.env.SHAPE === 'A' ? STEP_A : STEP_B;
const probes = names.map((name) => build(name, shape));
for (let done = 0; done < WARM_UP_STEPS; done += 10) for (const { step } of probes) for (let i = 0; i < 10; i++) step();
const calls = probes.map(({ step }) => Math.max(3, Math.round(BATCH_MS / cpuBatch(step, 10))));
const ratios = probes.map((): number[] => []);
const fastest = probes.map(() => Infinity);
for (let round = 0; round < ROUNDS; round++) {
  const batch = new Map<number, number>();
  for (let k = 0; k < probes.length; k++) {
    const i = (k + round) % probes.length;
    batch.set(i, cpuBatch(probes[i]!.step, calls[i]!));
  }
  for (const [i, ms] of batch) {
    ratios[i]!.push(ms / batch.get(0)!);
    fastest[i] = Math.min(fastest[i]!, ms);
  }
}
console.log(`step ${shape.name}, ${WARM_UP_STEPS} warm-up steps each, ${ROUNDS} rounds of ~${BATCH_MS} ms (CPU time)`);
probes.forEach(({ name }, i) => {
  const ms = fastest[i]!.toFixed(3);
  console.log(`  ${name.padEnd(36)} fastest ${ms} ms  × ${names[0]}: ${median(ratios[i]!).toFixed(3)}`);
});
