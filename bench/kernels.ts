import { Tensor, softmaxCrossEntropy } from '../src/index.js';
import { linear } from '../src/autograd/functional.js';
import { matmul as matmulKernel } from '../src/tensor/kernels/matmul.js';
import { randomArray, randomLabels } from './harness.js';
import { runOp, runOps, tf } from './peers.js';
import { runWorkloads, type Workload } from './suite.js';

/*
 * Kernel suite: each op as a user calls it (a Tensor method, output allocated per call), so
 * per-op overhead counts on both sides. The Linear layer's three products are timed at the
 * kernel (the backward ones are not Tensor methods); their output is allocated per call too.
 */

const F32 = 4;

function leaf(shape: readonly number[], seed: number, requiresGrad = false): Tensor {
  return new Tensor(randomArray(shape.reduce((a, b) => a * b, 1), seed), shape, { requiresGrad });
}

function peerTensor(shape: readonly number[], seed: number): tf.Tensor {
  return tf.tensor(randomArray(shape.reduce((a, b) => a * b, 1), seed), [...shape]);
}

/** A tfjs workload over freshly made inputs, disposed after timing. */
function withInputs(inputs: tf.Tensor[], run: () => void): { run: () => void; dispose: () => void } {
  return { run, dispose: () => tf.dispose(inputs) };
}

function squareMatmul(n: number): Workload {
  return {
    name: `matmul ${n}×${n}×${n}`,
    unit: 'GFLOP/s',
    work: 2 * n * n * n,
    gradguard() {
      const a = leaf([n, n], 1);
      const b = leaf([n, n], 2);
      return () => void a.matmul(b);
    },
    peer() {
      const a = peerTensor([n, n], 1);
      const b = peerTensor([n, n], 2);
      return withInputs([a, b], () => runOp(() => tf.matMul(a, b)));
    },
  };
}

/** One of the Linear layer's products at batch 64, 784 → 128: out[M,N] = op(A)·op(B). */
function linearProduct(name: string, M: number, K: number, N: number, transA: boolean, transB: boolean): Workload {
  const aShape = transA ? [K, M] : [M, K];
  const bShape = transB ? [N, K] : [K, N];
  return {
    name,
    unit: 'GFLOP/s',
    work: 2 * M * K * N,
    gradguard() {
      const a = randomArray(M * K, 3);
      const b = randomArray(K * N, 4);
      return () => matmulKernel(a, b, new Float32Array(M * N), M, K, N, transA, transB);
    },
    peer() {
      const a = peerTensor(aShape, 3);
      const b = peerTensor(bShape, 4);
      return withInputs([a, b], () => runOp(() => tf.matMul(a, b, transA, transB)));
    },
  };
}

function elementwise(name: string, shape: readonly number[], bytes: number, ours: (x: Tensor, y: Tensor) => unknown, theirs: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor, yShape = shape): Workload {
  return {
    name,
    unit: 'GB/s',
    work: bytes,
    gradguard() {
      const x = leaf(shape, 5);
      const y = leaf(yShape, 6);
      return () => void ours(x, y);
    },
    peer() {
      const x = peerTensor(shape, 5);
      const y = peerTensor(yShape, 6);
      return withInputs([x, y], () => runOp(() => theirs(x, y)));
    },
  };
}

function reluForwardBackward(n: number): Workload {
  return {
    name: `relu fwd+bwd ${Math.round(n / 1e6)}M`,
    unit: 'GB/s',
    work: 5 * n * F32, // forward reads x, writes y; backward reads x and dy, writes dx
    gradguard() {
      const x = leaf([n], 5, true);
      const dy = leaf([n], 6);
      return () => {
        x.relu().backward({ grad: dy });
        x.grad = null;
      };
    },
    peer() {
      const x = peerTensor([n], 5);
      const dy = peerTensor([n], 6);
      const grad = tf.grad((v: tf.Tensor) => tf.relu(v));
      return withInputs([x, dy], () => runOp(() => grad(x, dy)));
    },
  };
}

function crossEntropy(rows: number, classes: number): Workload {
  return {
    name: `softmax CE fwd+bwd ${rows}×${classes}`,
    unit: 'µs',
    work: 0,
    gradguard() {
      const logits = leaf([rows, classes], 8, true);
      const targets = randomLabels(rows, classes);
      return () => {
        softmaxCrossEntropy(logits, targets).backward();
        logits.grad = null;
      };
    },
    peer() {
      const logits = peerTensor([rows, classes], 8);
      const onehot = tf.oneHot(tf.tensor1d(randomLabels(rows, classes), 'int32'), classes);
      const lossAndGrad = tf.valueAndGrad((z: tf.Tensor) => tf.losses.softmaxCrossEntropy(onehot, z));
      return withInputs([logits, onehot], () =>
        runOps(() => {
          const { value, grad } = lossAndGrad(logits);
          return [value, grad];
        }),
      );
    },
  };
}

function biasAdd(): Workload {
  const bytes = (2 * 64 * 128 + 128) * F32;
  return elementwise('bias add [64,128]+[128]', [64, 128], bytes, (x, b) => x.add(b), (x, b) => tf.add(x, b), [128]);
}

/** A fused Linear forward (x·Wᵀ + b) as one op, against tfjs's matMul + add. */
function linearForward(): Workload {
  return {
    name: 'linear x·Wᵀ+b 64×784→128',
    unit: 'GFLOP/s',
    work: 2 * 64 * 784 * 128,
    gradguard() {
      const x = leaf([64, 784], 3);
      const w = leaf([128, 784], 4);
      const b = leaf([128], 5);
      return () => void linear(x, w, b);
    },
    peer() {
      const x = peerTensor([64, 784], 3);
      const w = peerTensor([128, 784], 4);
      const b = peerTensor([128], 5);
      return withInputs([x, w, b], () =>
        runOps(() => {
          const y = tf.matMul(x, w, false, true);
          const z = tf.add(y, b);
          y.dispose();
          return [z];
        }),
      );
    },
  };
}

const M1 = 1 << 20;
const MAT = [1024, 1024];

/** Every kernel workload, in table order. */
export function kernelWorkloads(): Workload[] {
  return [
    ...[64, 128, 256, 512, 1024].map(squareMatmul),
    linearProduct('linear fwd x·Wᵀ 64×784×128', 64, 784, 128, false, true),
    linearProduct('linear bwd dy·W 64×128×784', 64, 128, 784, false, false),
    linearProduct('linear bwd dyᵀ·x 128×64×784', 128, 64, 784, true, false),
    linearForward(),
    biasAdd(),
    elementwise('add 1M', [M1], 3 * M1 * F32, (x, y) => x.add(y), (x, y) => tf.add(x, y)),
    elementwise('relu 1M', [M1], 2 * M1 * F32, (x) => x.relu(), (x) => tf.relu(x)),
    reluForwardBackward(M1),
    elementwise('sum all 1M', [M1], M1 * F32, (x) => x.sum(), (x) => tf.sum(x)),
    elementwise('sum axis 0 [1024,1024]', MAT, M1 * F32, (x) => x.sum(0), (x) => tf.sum(x, 0)),
    elementwise('sum axis 1 [1024,1024]', MAT, M1 * F32, (x) => x.sum(1), (x) => tf.sum(x, 1)),
    elementwise('max axis 0 [1024,1024]', MAT, M1 * F32, (x) => x.max(0), (x) => tf.max(x, 0)),
    elementwise('max axis 1 [1024,1024]', MAT, M1 * F32, (x) => x.max(1), (x) => tf.max(x, 1)),
    crossEntropy(64, 10),
    crossEntropy(512, 1000),
  ];
}

/** `npm run bench -- kernels` */
export async function runKernels(): Promise<void> {
  await runWorkloads('kernels', 'Kernels (float32, one thread; × = how many times faster gradguard is)', kernelWorkloads());
}
