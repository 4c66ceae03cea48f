import { Tensor, checkTensor } from '../autograd/tensor.js';
import { ArgumentError, ShapeError, checkOptions, describeValue, formatShape, positiveInteger } from '../errors.js';
import { allocate } from '../tensor/dtype.js';
import { Generator, globalGenerator } from '../tensor/rng.js';

/** A labelled data set: inputs `x` [N, …] and targets `y` [N, …] (class indices for classification). */
export interface Dataset {
  x: Tensor;
  y: Tensor;
}

/** One mini-batch: the rows of `x` and `y` for the batch's samples. */
export interface Batch {
  x: Tensor;
  y: Tensor;
}

/** Options of `DataLoader`. */
export interface DataLoaderOptions {
  /** Samples per batch (default 1). */
  batchSize?: number;
  /** Visit the samples in a new random order every epoch (default false). */
  shuffle?: boolean;
  /** Drop the last batch when it is smaller than `batchSize` (default false). */
  dropLast?: boolean;
  /** Source of the shuffles (default: the global generator, seeded by `manualSeed`). */
  generator?: Generator;
}

/** The rows `indices[start..end)` of `t`, gathered into a new tensor (one batch is copied, never the set). */
function gatherRows(t: Tensor, indices: Int32Array, start: number, end: number): Tensor {
  const rowSize = t.shape.length === 0 ? 1 : t.size / t.shape[0]!;
  const out = allocate(t.dtype, (end - start) * rowSize);
  for (let b = start; b < end; b++) {
    const row = indices[b]!;
    out.set(t.data.subarray(row * rowSize, (row + 1) * rowSize), (b - start) * rowSize);
  }
  return new Tensor(out, [end - start, ...t.shape.slice(1)]);
}

/**
 * Iterates a data set in mini-batches, as PyTorch's `DataLoader` over a `TensorDataset`.
 * Each epoch (each `for … of`) draws a fresh order from the seeded generator when `shuffle` is on.
 * @example
 * const loader = new data.DataLoader(data.spirals(), { batchSize: 32, shuffle: true });
 * for (const { x, y } of loader) {
 *   optimizer.zeroGrad();
 *   nn.crossEntropy(model.forward(x), y).backward();
 *   optimizer.step();
 * }
 */
export class DataLoader implements Iterable<Batch> {
  readonly dataset: Dataset;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly #generator: Generator;

  constructor(dataset: Dataset, options: DataLoaderOptions = {}) {
    const { batchSize = 1, shuffle = false, dropLast = false, generator = globalGenerator } = checkOptions('DataLoader', options);
    positiveInteger('DataLoader', 'batchSize', batchSize);
    if (!(generator instanceof Generator)) throw new ArgumentError('DataLoader', `generator must be a Generator, got ${describeValue(generator)}`);
    if (typeof dataset !== 'object' || dataset === null) throw new ArgumentError('DataLoader', `dataset must be an object { x, y } of tensors, got ${describeValue(dataset)}`);
    const x = checkTensor('DataLoader', 'dataset.x', dataset.x);
    const y = checkTensor('DataLoader', 'dataset.y', dataset.y);
    if (x.ndim === 0 || y.ndim === 0 || x.shape[0] !== y.shape[0]) {
      throw new ShapeError('DataLoader', `x and y must have the same number of rows, got x ${formatShape(x.shape)} and y ${formatShape(y.shape)}`, [x.shape, y.shape]);
    }
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.#generator = generator;
  }

  /** Number of samples. */
  get size(): number {
    return this.dataset.x.shape[0]!;
  }

  /** Number of batches per epoch. */
  get length(): number {
    return this.dropLast ? Math.floor(this.size / this.batchSize) : Math.ceil(this.size / this.batchSize);
  }

  *[Symbol.iterator](): Iterator<Batch> {
    const n = this.size;
    const order = this.shuffle ? this.#generator.permutation(n) : Int32Array.from({ length: n }, (_, i) => i);
    const batches = this.length;
    for (let b = 0; b < batches; b++) {
      const start = b * this.batchSize;
      const end = Math.min(start + this.batchSize, n);
      yield { x: gatherRows(this.dataset.x, order, start, end), y: gatherRows(this.dataset.y, order, start, end) };
    }
  }
}
