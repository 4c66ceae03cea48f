import { buildReport } from '../../report/html.js';
import { studyToJSONLines } from '../../report/jsonl.js';
import { UsageError, parseCommandLine, type OptionSpecs } from '../args.js';
import type { Command } from '../main.js';
import { version } from '../main.js';
import { checkOutputPath, writeFileAtomic } from '../files.js';
import { progressView } from '../progress.js';
import { DATASET_NAMES } from '../study/dataset.js';
import { SETTING_IDS, selectSettings } from '../study/settings.js';
import { DEFAULT_PLAN, runStudy, type StudyPlan } from '../study/study.js';
import { studySummary } from '../study/summary-text.js';

const d = DEFAULT_PLAN;

/** The options of `gradguard study`. */
export const STUDY_OPTIONS = {
  out: { kind: 'string', valueName: 'PATH', description: 'where to write the HTML report', default: 'gradguard-report.html' },
  json: { kind: 'string', valueName: 'PATH', description: 'also write every step of every run as JSON lines' },
  guards: { kind: 'list', valueName: 'GUARD', description: 'guard settings to compare, comma-separated (default: all)', choices: SETTING_IDS },
  dataset: { kind: 'string', valueName: 'DATASET', description: 'training data', choices: DATASET_NAMES, default: d.dataset },
  steps: { kind: 'integer', valueName: 'N', description: 'training steps per run', min: 1, default: d.steps },
  depth: { kind: 'integer', valueName: 'N', description: 'Linear layers in the MLP', min: 2, default: d.depth },
  width: { kind: 'integer', valueName: 'N', description: 'width of the hidden layers', min: 1, default: d.width },
  'init-gain': { kind: 'number', valueName: 'X', description: 'weight std as a multiple of He\'s √(2/fan_in)', min: 0, exclusiveMin: true, default: d.initGain },
  lr: { kind: 'number', valueName: 'X', description: 'SGD learning rate', min: 0, exclusiveMin: true, default: d.lr },
  batch: { kind: 'integer', valueName: 'N', description: 'mini-batch size', min: 1, default: d.batchSize },
  'train-size': { kind: 'integer', valueName: 'N', description: 'training examples', min: 1, default: d.trainSize },
  'test-size': { kind: 'integer', valueName: 'N', description: 'test examples', min: 1, default: d.testSize },
  seed: { kind: 'integer', valueName: 'N', description: 'seed of the weights and the batch order', min: 0, default: d.seed },
  corrupt: {
    kind: 'list', valueName: 'STEP:SCALE', description: "corrupt the batch of STEP by multiplying its inputs by SCALE, comma-separated; 'none' for clean data",
    default: (d.corruptBatches ?? []).map((b) => `${b.step}:${b.scale}`),
  },
} as const satisfies OptionSpecs;

/**
 * `['100:30']` → `[{ step: 100, scale: 30 }]`; `['none']` → `[]`.
 * @example
 * parseCorruption(['60:10', '100:30']); // [{ step: 60, scale: 10 }, { step: 100, scale: 30 }]
 */
export function parseCorruption(items: readonly string[]): Array<{ step: number; scale: number }> {
  if (items.length === 1 && items[0] === 'none') return [];
  return items.map((item) => {
    const match = /^(\d+):([0-9.eE+-]+)$/.exec(item);
    const scale = match === null ? Number.NaN : Number(match[2]);
    if (match === null || !Number.isFinite(scale)) {
      throw new UsageError('gradguard study', `--corrupt takes STEP:SCALE pairs such as 100:30 (or 'none'), got '${item}'`);
    }
    return { step: Number(match[1]), scale };
  });
}

const USAGE = 'gradguard study [options]';
const DESCRIPTION = [
  'Trains the same deep ReLU MLP from the same seed on the same batches once without a guard and',
  'once under each guard (value clip, global-norm clip, AGC, ZClip, AutoClip, rollback), shows',
  'the runs live, then prints a summary table, sparklines and a diagnosis, and writes an HTML report.',
].join('\n');

/** `gradguard study`: the exploding-gradient study (what `npm start` runs). */
export const study: Command = async ({ argv, stdout, stderr, cwd }) => {
  const options = parseCommandLine('gradguard study', argv, STUDY_OPTIONS, { usage: USAGE, description: DESCRIPTION }, stdout);
  if (options === null) return 0;
  const outPath = await checkOutputPath('gradguard study', '--out', options.out, cwd);
  const jsonPath = options.json === undefined ? undefined : await checkOutputPath('gradguard study', '--json', options.json, cwd);
  const corruptBatches = parseCorruption(options.corrupt);
  const plan: StudyPlan = {
    dataset: options.dataset === 'spirals' ? 'spirals' : 'mnist', trainSize: options['train-size'], testSize: options['test-size'],
    depth: options.depth, width: options.width, activation: 'relu', initGain: options['init-gain'], optimizer: 'sgd',
    lr: options.lr, steps: options.steps, batchSize: options.batch, seed: options.seed, settings: selectSettings(options.guards ?? []),
    corruptBatches,
  };
  const view = progressView(stdout, { color: process.env.NO_COLOR === undefined });
  const corrupted = corruptBatches.length === 0 ? '' : `; corrupted batches at steps ${corruptBatches.map((b) => `${b.step} (×${b.scale})`).join(', ')}`;
  stdout.write(`gradguard study: ${plan.settings.length} runs of ${plan.steps} steps, ${plan.depth}-layer ReLU MLP, init ${plan.initGain} × He, SGD lr ${plan.lr}${corrupted}\n\n`);
  const result = await runStudy(plan, {
    runStarted: (setting, total) => view.start(setting.name, total),
    step: (tick) => view.update(tick),
    runFinished: (run) => view.finish(run.summary.firstNonFiniteStep === null ? 'finite' : `NaN/Inf at step ${run.summary.firstNonFiniteStep}`),
  }, version());
  if (result.config.datasetNote !== undefined) stderr.write(`note: ${result.config.datasetNote}\n`);
  const written = await writeFileAtomic(outPath, buildReport(result));
  const jsonWritten = jsonPath === undefined ? undefined : await writeFileAtomic(jsonPath, studyToJSONLines(result));
  stdout.write(`\n${studySummary(result, { color: stdout.isTTY === true && process.env.NO_COLOR === undefined })}\n`);
  stdout.write(`\nReport: ${written}\n`);
  if (jsonWritten !== undefined) stdout.write(`Per-step metrics (JSON lines): ${jsonWritten}\n`);
  return 0;
};
