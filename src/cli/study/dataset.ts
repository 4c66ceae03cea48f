import type { Dataset } from '../../data/loader.js';
import { GradguardError } from '../../errors.js';
import { loadMnist as loadMnistSplit, type SplitSet } from '../../data/real.js';
import { spirals } from '../../data/synthetic.js';
import { Generator } from '../../tensor/rng.js';

/** The study's data as flat arrays: rows of `features` values and class indices. */
export interface StudyData {
  readonly name: string;
  /** Said to the user when the data is not what was asked for. */
  readonly note?: string;
  readonly features: number;
  readonly classes: number;
  readonly trainX: Float32Array;
  readonly trainY: Int32Array;
  readonly testX: Float32Array;
  readonly testY: Int32Array;
}

export type DatasetName = 'mnist' | 'spirals';
export const DATASET_NAMES: readonly DatasetName[] = ['mnist', 'spirals'];

/** Sizes of the subsets the study trains and tests on. */
export interface DataSizes {
  readonly train: number;
  readonly test: number;
}

function flat(set: Dataset): { x: Float32Array; y: Int32Array } {
  return { x: Float32Array.from(set.x.data), y: Int32Array.from(set.y.data) };
}

/**
 * Three-class spirals in 2-D (train and test drawn with different seeds).
 * @example
 * spiralData({ train: 300, test: 150 }, 7).classes; // 3
 */
export function spiralData(sizes: DataSizes, seed: number, note?: string): StudyData {
  const classes = 3;
  const train = flat(spirals({ samplesPerClass: Math.ceil(sizes.train / classes), classes, generator: new Generator(seed) }));
  const test = flat(spirals({ samplesPerClass: Math.ceil(sizes.test / classes), classes, generator: new Generator(seed + 1000) }));
  const base = { name: 'spirals', features: 2, classes, trainX: train.x, trainY: train.y, testX: test.x, testY: test.y };
  return note === undefined ? base : { ...base, note };
}

/**
 * The data for `name`: MNIST digits (a fixed subset, from the `mnist` package) or spirals.
 * When MNIST is asked for but its package is missing, spirals are used and `note` says so.
 * @example
 * const data = await loadStudyData('mnist', { train: 3000, test: 1000 }, 7); // data.features === 784
 */
export async function loadStudyData(name: DatasetName, sizes: DataSizes, seed: number): Promise<StudyData> {
  if (name === 'spirals') return spiralData(sizes, seed);
  const mnist = await loadMnist(sizes, seed);
  if (mnist instanceof Error) return spiralData(sizes, seed, `spirals instead of MNIST: ${mnist.message}`);
  return mnist;
}

/** A fixed subset of MNIST: the first `sizes` rows of a seeded shuffle of `data.loadMnist`'s fixed train/test split. */
async function loadMnist(sizes: DataSizes, seed: number): Promise<StudyData | Error> {
  let split: SplitSet;
  try {
    split = await loadMnistSplit();
  } catch (error) {
    // why: only a missing package means "use spirals"; any other failure is a real error.
    if (error instanceof GradguardError && error.op === 'loadMnist') return error;
    throw error;
  }
  const generator = new Generator(seed);
  const train = subset(flat(split.train), 784, sizes.train, generator);
  const test = subset(flat(split.test), 784, sizes.test, generator);
  return { name: 'MNIST digits', features: 784, classes: 10, trainX: train.x, trainY: train.y, testX: test.x, testY: test.y };
}

function subset(set: { x: Float32Array; y: Int32Array }, features: number, size: number, generator: Generator): { x: Float32Array; y: Int32Array } {
  const rows = generator.permutation(set.y.length).subarray(0, Math.min(size, set.y.length));
  const x = new Float32Array(rows.length * features);
  rows.forEach((row, i) => x.set(set.x.subarray(row * features, (row + 1) * features), i * features));
  return { x, y: Int32Array.from(rows, (row) => set.y[row]!) };
}

/**
 * The row indices of each step's mini-batch: epochs of a seeded shuffle of the training set,
 * the same for every run, so runs differ only by their guard.
 * @example
 * batchPlan(100, 32, 5, 7).map((rows) => rows.length); // [32, 32, 32, 32, 32] (a new shuffle every 3 steps)
 */
export function batchPlan(trainSize: number, batchSize: number, steps: number, seed: number): Int32Array[] {
  const generator = new Generator(seed + 1);
  const plan: Int32Array[] = [];
  let order = generator.permutation(trainSize);
  let position = 0;
  for (let step = 0; step < steps; step++) {
    if (position + batchSize > trainSize) {
      order = generator.permutation(trainSize);
      position = 0;
    }
    plan.push(order.slice(position, position + Math.min(batchSize, trainSize)));
    position += batchSize;
  }
  return plan;
}
