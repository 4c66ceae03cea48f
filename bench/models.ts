import { Tensor, linear, setDetectAnomaly, softmaxCrossEntropy, type Guard } from '../src/index.js';
import { randomArray, randomLabels } from './harness.js';
import { guards, nn, optim, type OptimizerLike } from './optional.js';
import { tf, type PeerName } from './peers.js';

/*
 * The two training steps of the performance issue, built the same way in gradguard and tfjs:
 *   A: 784-128-128-10 MLP, batch 64 (an MNIST-sized model);
 *   B: 16 hidden ReLU layers of width 64, input 32, output 10, batch 32 (deep and narrow:
 *      many small ops, so per-op overhead dominates).
 * One step = forward, softmax cross-entropy, backward, optimizer update, loss read back.
 */

export interface StepShape {
  name: string;
  /** Layer widths, input first. */
  sizes: readonly number[];
  batch: number;
}

export const STEP_A: StepShape = { name: 'A 784-128-128-10 b64', sizes: [784, 128, 128, 10], batch: 64 };
export const STEP_B: StepShape = { name: 'B 16×64 ReLU b32', sizes: [32, ...new Array<number>(16).fill(64), 10], batch: 32 };

export type OptimizerName = 'sgd' | 'adam';
const LEARNING_RATE: Record<OptimizerName, number> = { sgd: 0.01, adam: 1e-3 };

export interface StepOptions {
  optimizer: OptimizerName;
  guards?: readonly Guard[];
  /** Run the step under anomaly detection. */
  anomaly?: boolean;
}

/** A gradguard training step; `how` says whether nn/optim or the plain fallbacks were used. */
export interface GradguardStep {
  step: () => number;
  how: string;
}

/** PyTorch's default Linear init, uniform ±1/√in, from a fixed seed. */
function uniformInit(rows: number, cols: number, fanIn: number, seed: number): Tensor {
  const data = randomArray(rows * cols, seed);
  const bound = 1 / Math.sqrt(fanIn);
  for (let i = 0; i < data.length; i++) data[i] = data[i]! * bound;
  return new Tensor(data, cols === 1 ? [rows] : [rows, cols], { requiresGrad: true });
}

/** The model as a forward function and its parameters: nn.Sequential when it exists. */
function buildModel(shape: StepShape): { forward: (x: Tensor) => Tensor; parameters: Tensor[]; how: string } {
  const { sizes } = shape;
  if (nn !== undefined) {
    const layers = [];
    for (let i = 0; i + 1 < sizes.length; i++) {
      layers.push(new nn.Linear(sizes[i]!, sizes[i + 1]!));
      if (i + 2 < sizes.length) layers.push(new nn.ReLU());
    }
    const model = new nn.Sequential(...layers);
    return { forward: (x) => model.forward(x), parameters: model.parameters(), how: 'nn.Sequential' };
  }
  const weights: Tensor[] = [];
  const biases: Tensor[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    weights.push(uniformInit(sizes[i + 1]!, sizes[i]!, sizes[i]!, 11 + i));
    biases.push(uniformInit(sizes[i + 1]!, 1, sizes[i]!, 101 + i));
  }
  const forward = (x: Tensor): Tensor => {
    let h = x;
    for (let i = 0; i < weights.length; i++) {
      h = linear(h, weights[i]!, biases[i]!);
      if (i + 1 < weights.length) h = h.relu();
    }
    return h;
  };
  return { forward, parameters: [...weights, ...biases], how: 'functional linear/relu' };
}

/** Plain SGD / Adam over raw buffers, used until optim lands (same update rules as torch.optim). */
function plainOptimizer(name: OptimizerName, parameters: Tensor[], lr: number): OptimizerLike {
  const m = parameters.map((p) => new Float32Array(p.size));
  const v = parameters.map((p) => new Float32Array(p.size));
  let t = 0;
  const zeroGrad = (): void => parameters.forEach((p) => { p.grad = null; });
  const step = (): void => {
    t++;
    const c1 = 1 - 0.9 ** t;
    const c2 = 1 - 0.999 ** t;
    parameters.forEach((p, index) => {
      const g = p.grad?.data;
      if (g === undefined) return;
      const w = p.data;
      if (name === 'sgd') {
        for (let i = 0; i < w.length; i++) w[i] = w[i]! - lr * g[i]!;
        return;
      }
      const mi = m[index]!;
      const vi = v[index]!;
      for (let i = 0; i < w.length; i++) {
        mi[i] = 0.9 * mi[i]! + 0.1 * g[i]!;
        vi[i] = 0.999 * vi[i]! + 0.001 * g[i]! * g[i]!;
        w[i] = w[i]! - (lr * (mi[i]! / c1)) / (Math.sqrt(vi[i]! / c2) + 1e-8);
      }
    });
  };
  return { step, zeroGrad };
}

/** Runs `fn` in anomaly mode: guards.detectAnomaly when it exists, else the engine flag. */
function inAnomalyMode<T>(fn: () => T): T {
  if (guards.detectAnomaly !== undefined) return guards.detectAnomaly(fn);
  setDetectAnomaly(true);
  try {
    return fn();
  } finally {
    setDetectAnomaly(false);
  }
}

/** Builds one gradguard training step of `shape`. */
export function gradguardStep(shape: StepShape, options: StepOptions): GradguardStep {
  const model = buildModel(shape);
  const lr = LEARNING_RATE[options.optimizer];
  const optimizer = optim !== undefined
    ? options.optimizer === 'sgd' ? new optim.SGD(model.parameters, { lr }) : new optim.Adam(model.parameters, { lr })
    : plainOptimizer(options.optimizer, model.parameters, lr);
  const x = new Tensor(randomArray(shape.batch * shape.sizes[0]!, 3), [shape.batch, shape.sizes[0]!]);
  const targets = randomLabels(shape.batch, shape.sizes[shape.sizes.length - 1]!);
  const backwardOptions = { guards: options.guards ?? [] };
  const once = (): number => {
    optimizer.zeroGrad();
    const loss = softmaxCrossEntropy(model.forward(x), targets);
    loss.backward(backwardOptions);
    optimizer.step();
    return loss.item();
  };
  const how = `${model.how} + ${optim !== undefined ? 'optim' : 'plain'} ${options.optimizer}`;
  return { step: options.anomaly === true ? () => inAnomalyMode(once) : once, how };
}

/** The same step in tfjs on the active backend: `optimizer.minimize`, cost read back and freed. */
export function tfjsStep(shape: StepShape, optimizerName: OptimizerName, _peer: PeerName): { run: () => void; dispose: () => void } {
  const { sizes, batch } = shape;
  const variables: tf.Variable[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    const bound = 1 / Math.sqrt(sizes[i]!);
    variables.push(tf.variable(tf.randomUniform([sizes[i]!, sizes[i + 1]!], -bound, bound, 'float32', 11 + i)));
    variables.push(tf.variable(tf.randomUniform([sizes[i + 1]!], -bound, bound, 'float32', 101 + i)));
  }
  const x = tf.tensor2d(randomArray(batch * sizes[0]!, 3), [batch, sizes[0]!]);
  const classes = sizes[sizes.length - 1]!;
  const onehot = tf.oneHot(tf.tensor1d(randomLabels(batch, classes), 'int32'), classes);
  const lr = LEARNING_RATE[optimizerName];
  const optimizer = optimizerName === 'sgd' ? tf.train.sgd(lr) : tf.train.adam(lr);
  const loss = (): tf.Scalar => {
    let h: tf.Tensor = x;
    for (let i = 0; i < variables.length; i += 2) {
      h = tf.add(tf.matMul(h, variables[i]!), variables[i + 1]!);
      if (i + 2 < variables.length) h = tf.relu(h);
    }
    return tf.losses.softmaxCrossEntropy(onehot, h);
  };
  const run = (): void => {
    const cost = optimizer.minimize(loss, true);
    cost?.dataSync();
    cost?.dispose();
  };
  const dispose = (): void => {
    optimizer.dispose();
    tf.dispose([...variables, x, onehot]);
  };
  return { run, dispose };
}
