import { buildReport } from '../../report/html.js';
import { studyToJSONLines } from '../../report/jsonl.js';
import type { StudyConfig, StudyResult } from '../../report/model.js';
import { ACTIVATION_OPTION, activationName } from '../activation.js';
import { parseCommandLine, type OptionSpecs } from '../args.js';
import { checkOutputPath, writeFileAtomic } from '../files.js';
import type { Command } from '../main.js';
import { version } from '../main.js';
import { progressView } from '../progress.js';
import { DATASET_NAMES, batchPlan, loadStudyData } from '../study/dataset.js';
import { trainRun } from '../study/run.js';
import { TRAIN_GUARD_IDS, combineSettings } from '../study/settings.js';
import { studySummary } from '../study/summary-text.js';

/** The options of `gradguard train`. */
export const TRAIN_OPTIONS = {
  dataset: { kind: 'string', valueName: 'DATASET', description: 'training data', choices: DATASET_NAMES, default: 'mnist' },
  depth: { kind: 'integer', valueName: 'N', description: 'Linear layers in the MLP', min: 2, default: 8 },
  width: { kind: 'integer', valueName: 'N', description: 'width of the hidden layers', min: 1, default: 64 },
  activation: ACTIVATION_OPTION,
  'init-gain': { kind: 'number', valueName: 'X', description: 'weight std as a multiple of He\'s √(2/fan_in)', min: 0, exclusiveMin: true, default: 1 },
  optimizer: { kind: 'string', valueName: 'NAME', description: 'optimizer', choices: ['sgd', 'sgd-momentum', 'adam'], default: 'sgd' },
  lr: { kind: 'number', valueName: 'X', description: 'learning rate', min: 0, exclusiveMin: true, default: 0.05 },
  steps: { kind: 'integer', valueName: 'N', description: 'training steps', min: 1, default: 300 },
  batch: { kind: 'integer', valueName: 'N', description: 'mini-batch size', min: 1, default: 32 },
  guard: { kind: 'list', valueName: 'GUARD', description: 'guards, repeatable or comma-separated (default: none)', choices: TRAIN_GUARD_IDS },
  'train-size': { kind: 'integer', valueName: 'N', description: 'training examples', min: 1, default: 2000 },
  'test-size': { kind: 'integer', valueName: 'N', description: 'test examples', min: 1, default: 1000 },
  seed: { kind: 'integer', valueName: 'N', description: 'seed of the weights and the batch order', min: 0, default: 7 },
  out: { kind: 'string', valueName: 'PATH', description: 'also write an HTML report of the run' },
  json: { kind: 'string', valueName: 'PATH', description: 'also write every step as JSON lines' },
} as const satisfies OptionSpecs;

const USAGE = 'gradguard train [options]';
const DESCRIPTION = 'Trains one MLP configuration with the guards you name, shows it live, and prints its figures and diagnosis.';

/** `gradguard train`: one configuration. */
export const train: Command = async ({ argv, stdout, stderr, cwd }) => {
  const options = parseCommandLine('gradguard train', argv, TRAIN_OPTIONS, { usage: USAGE, description: DESCRIPTION }, stdout);
  if (options === null) return 0;
  const outPath = options.out === undefined ? undefined : await checkOutputPath('gradguard train', '--out', options.out, cwd);
  const jsonPath = options.json === undefined ? undefined : await checkOutputPath('gradguard train', '--json', options.json, cwd);
  const started = performance.now();
  const data = await loadStudyData(options.dataset === 'spirals' ? 'spirals' : 'mnist', { train: options['train-size'], test: options['test-size'] }, options.seed);
  if (data.note !== undefined) stderr.write(`note: ${data.note}\n`);
  const config: StudyConfig = {
    dataset: data.name, ...(data.note === undefined ? {} : { datasetNote: data.note }), trainSize: data.trainY.length, testSize: data.testY.length,
    depth: options.depth, width: options.width, activation: activationName(options.activation), initGain: options['init-gain'],
    optimizer: options.optimizer, lr: options.lr, steps: options.steps, batchSize: options.batch, seed: options.seed,
  };
  const setting = combineSettings(options.guard ?? []);
  const view = progressView(stdout, { color: process.env.NO_COLOR === undefined });
  view.start(setting.name, config.steps);
  const { result, diagnosis } = trainRun(
    { setting, config, data, batches: batchPlan(data.trainY.length, config.batchSize, config.steps, config.seed) },
    (tick) => view.update(tick),
  );
  view.finish(result.summary.firstNonFiniteStep === null ? 'finite' : `NaN/Inf at step ${result.summary.firstNonFiniteStep}`);
  const study: StudyResult = {
    title: `gradguard: ${setting.name} on ${data.name}`, version: version(), config, runs: [result],
    diagnosis: { run: setting.name, verdict: diagnosis.verdict, summary: diagnosis.summary }, wallTimeMs: performance.now() - started,
  };
  stdout.write(`\n${studySummary(study, { color: stdout.isTTY === true && process.env.NO_COLOR === undefined })}\n`);
  if (outPath !== undefined) stdout.write(`\nReport: ${await writeFileAtomic(outPath, buildReport(study))}\n`);
  if (jsonPath !== undefined) stdout.write(`Per-step metrics (JSON lines): ${await writeFileAtomic(jsonPath, studyToJSONLines(study))}\n`);
  return 0;
};
