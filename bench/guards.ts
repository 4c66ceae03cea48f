import { guards, type Guard } from '../src/index.js';
import { figure, measure, writeResults, type Row } from './harness.js';
import { STEP_A, STEP_B, gradguardStep, type StepOptions, type StepShape } from './models.js';

/*
 * Guard overhead: steps A and B (SGD, default kernels) with no guards, with
 * nanTrap + globalNormClip, with nanTrap + globalNormClip + monitor, and under detectAnomaly.
 * The ratio is the guarded step's time over the unguarded one (targets: ≤ 1.10 for the
 * guards, ≤ 3 for anomaly mode).
 */

interface Variant {
  label: string;
  options: () => StepOptions;
}

/** nanTrap + globalNormClip (issue 4's set), plus monitor when asked (issue 7's set). */
function guarded(withMonitor: boolean): StepOptions {
  const list: Guard[] = [guards.nanTrap(), guards.globalNormClip({ maxNorm: 1 })];
  if (withMonitor) list.push(guards.monitor());
  return { optimizer: 'sgd', guards: list };
}

const VARIANTS: Variant[] = [
  { label: 'no guards', options: () => ({ optimizer: 'sgd' }) },
  { label: 'nanTrap+globalNormClip', options: () => guarded(false) },
  { label: 'nanTrap+globalNormClip+monitor', options: () => guarded(true) },
  { label: 'detectAnomaly', options: () => ({ optimizer: 'sgd', anomaly: true }) },
];

/** Rounds of interleaved measurements; each variant keeps its fastest round (the machine is shared). */
const ROUNDS = 5;

function measureShape(shape: StepShape): Row[] {
  const built = VARIANTS.map(({ label, options }) => ({ label, step: gradguardStep(shape, options()).step }));
  const best = built.map(() => Infinity);
  for (let round = 0; round < ROUNDS; round++) {
    built.forEach(({ label, step }, i) => {
      process.stderr.write(`  guards: ${shape.name} ${label} (round ${round + 1}/${ROUNDS})\n`);
      best[i] = Math.min(best[i]!, figure('ms', measure(label, () => void step()).seconds, 0));
    });
  }
  const baseline = best[0]!;
  return built.map(({ label }, i) => ({
    name: `step ${shape.name}: ${label}`,
    unit: 'ms',
    figures: { gradguard: best[i]! },
    extra: { ratio: best[i]! / baseline },
  }));
}

function formatGuardTable(rows: readonly Row[]): string {
  const lines = rows.map((row) => {
    const ratio = Number(row.extra?.ratio);
    const value = row.figures.gradguard ?? NaN;
    const ms = Number.isFinite(value) ? value.toFixed(3).padStart(9) : '        —';
    return `${row.name.padEnd(56)} ${ms} ms  ${Number.isFinite(ratio) ? `${ratio.toFixed(2)}× unguarded` : '—'}`;
  });
  return ['\nGuard overhead (SGD step; targets: guards ≤ 1.10×, detectAnomaly ≤ 3×)', ...lines].join('\n');
}

/** `npm run bench -- guards` */
export async function runGuards(): Promise<void> {
  const rows = [...measureShape(STEP_A), ...measureShape(STEP_B)];
  console.log(formatGuardTable(rows));
  writeResults('guards', rows);
}
