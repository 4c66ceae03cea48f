import type { Guard } from '../src/index.js';
import { figure, measure, writeResults, type Row } from './harness.js';
import { STEP_A, STEP_B, gradguardStep, type StepOptions, type StepShape } from './models.js';
import { guards } from './optional.js';

/*
 * Guard overhead: steps A and B (SGD) with no guards, with nanTrap + globalNormClip
 * (+ monitor once it exists), and under detectAnomaly. The ratio is the guarded step's time
 * over the unguarded one (targets: ≤ 1.10 for the guards, ≤ 3 for anomaly mode).
 */

interface Variant {
  name: string;
  options: () => StepOptions | undefined;
}

/** The guard set of the issue, or undefined when the guards it needs do not exist yet. */
function standardGuards(): { list: Guard[]; label: string } | undefined {
  const { nanTrap, globalNormClip, monitor } = guards;
  if (nanTrap === undefined || globalNormClip === undefined) return undefined;
  const list = [nanTrap(), globalNormClip({ maxNorm: 1 })];
  if (monitor !== undefined) list.push(monitor());
  return { list, label: monitor !== undefined ? 'nanTrap+globalNormClip+monitor' : 'nanTrap+globalNormClip' };
}

const VARIANTS: Variant[] = [
  { name: 'no guards', options: () => ({ optimizer: 'sgd' }) },
  {
    name: 'guards',
    options: () => {
      const set = standardGuards();
      return set === undefined ? undefined : { optimizer: 'sgd', guards: set.list };
    },
  },
  { name: 'detectAnomaly', options: () => ({ optimizer: 'sgd', anomaly: true }) },
];

function measureShape(shape: StepShape): Row[] {
  const rows: Row[] = [];
  let baseline = NaN;
  for (const variant of VARIANTS) {
    const options = variant.options();
    const label = variant.name === 'guards' ? standardGuards()?.label ?? 'guards (not built yet)' : variant.name;
    if (options === undefined) {
      rows.push({ name: `step ${shape.name}: ${label}`, unit: 'ms', figures: { gradguard: NaN }, extra: { ratio: NaN } });
      continue;
    }
    process.stderr.write(`  guards: ${shape.name} ${label}\n`);
    const { step } = gradguardStep(shape, options);
    const ms = figure('ms', measure(label, () => void step()).seconds, 0);
    if (variant.name === 'no guards') baseline = ms;
    rows.push({ name: `step ${shape.name}: ${label}`, unit: 'ms', figures: { gradguard: ms }, extra: { ratio: ms / baseline } });
  }
  return rows;
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
