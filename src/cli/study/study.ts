import type { Diagnosis, RunResult, StudyConfig, StudyResult } from '../../report/model.js';
import type { ProgressTick } from '../progress.js';
import { batchPlan, loadStudyData, type DatasetName } from './dataset.js';
import { trainRun } from './run.js';
import type { GuardSetting } from './settings.js';

/** What a study trains: the shared network, data and optimiser (a report's `StudyConfig`), and the guard settings to compare. */
export interface StudyPlan extends Omit<StudyConfig, 'dataset' | 'datasetNote'> {
  readonly dataset: DatasetName;
  readonly settings: readonly GuardSetting[];
}

/**
 * The default study: a 12-layer ReLU MLP (width 64) whose weights are 1.2 × He's std, so each
 * block multiplies the gradient by ~1.2 (~7× over depth), trained with plain SGD (lr 0.05) on
 * MNIST digits. Three batches are corrupted on purpose (inputs × 10, × 30, × 300 at steps 60,
 * 100 and 180), as a data-pipeline bug would: unguarded, the first makes the loss spike, the
 * second starts a spike that the too-large weights amplify until it overflows to NaN. The
 * settings were checked on several seeds: the unguarded run explodes after step 100 and every
 * guarded run trains (the history-based clips, ZClip and AutoClip, need the clean start to
 * learn what a normal norm is).
 */
export const DEFAULT_PLAN: Omit<StudyPlan, 'settings'> = {
  dataset: 'mnist', trainSize: 3000, testSize: 1000, depth: 12, width: 64, activation: 'relu', initGain: 1.2,
  optimizer: 'sgd', lr: 0.05, steps: 400, batchSize: 32, seed: 7,
  corruptBatches: [{ step: 60, scale: 10 }, { step: 100, scale: 30 }, { step: 180, scale: 300 }],
};

/** Told as the study goes, for the live view. */
export interface StudyListener {
  runStarted(setting: GuardSetting, totalSteps: number): void;
  step(tick: ProgressTick): void;
  runFinished(result: RunResult): void;
}

/**
 * Trains every setting of `plan` on the same data, batches and initial weights, one after the
 * other, and gathers the results, with the diagnosis of the unguarded run.
 * @example
 * const result = await runStudy({ ...DEFAULT_PLAN, steps: 50, settings: selectSettings(['none', 'agc']) }, listener, '0.1.0');
 * result.runs[0].summary.firstNonFiniteStep; // the step the unguarded run blew up, or null
 */
export async function runStudy(plan: StudyPlan, listener: StudyListener, version: string): Promise<StudyResult> {
  const started = performance.now();
  const data = await loadStudyData(plan.dataset, { train: plan.trainSize, test: plan.testSize }, plan.seed);
  const config: StudyConfig = {
    dataset: data.name, ...(data.note === undefined ? {} : { datasetNote: data.note }),
    trainSize: data.trainY.length, testSize: data.testY.length, depth: plan.depth, width: plan.width,
    activation: plan.activation, initGain: plan.initGain, optimizer: plan.optimizer, lr: plan.lr,
    steps: plan.steps, batchSize: plan.batchSize, seed: plan.seed,
    ...(plan.warmupSteps === undefined ? {} : { warmupSteps: plan.warmupSteps }),
    ...(plan.corruptBatches === undefined ? {} : { corruptBatches: plan.corruptBatches }),
  };
  const batches = batchPlan(data.trainY.length, plan.batchSize, plan.steps, plan.seed);
  const runs: RunResult[] = [];
  let diagnosis: Diagnosis | null = null;
  for (const setting of plan.settings) {
    listener.runStarted(setting, plan.steps);
    const { result, diagnosis: found } = trainRun({ setting, config, data, batches }, (tick) => listener.step(tick));
    runs.push(result);
    listener.runFinished(result);
    if (setting.id === 'none' || (diagnosis === null && setting === plan.settings[0])) {
      diagnosis = { run: setting.id === 'none' ? 'unguarded' : setting.name, verdict: found.verdict, summary: found.summary };
    }
  }
  return { title: 'gradguard: the exploding-gradient study', version, config, runs, diagnosis, wallTimeMs: performance.now() - started };
}
