/**
 * Data: a seeded mini-batch loader, synthetic 2-D sets, and real sets (Iris, MNIST digits)
 * from optional packages. Exported from the package root as `data`.
 */
export { DataLoader, type Dataset, type Batch, type DataLoaderOptions } from './loader.js';
export { xor, twoMoons, spirals, blobs, type ClassificationSet } from './synthetic.js';
export { loadIris, loadMnist, MNIST_TRAIN_FRACTION, type SplitSet } from './real.js';
