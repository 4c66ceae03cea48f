import { Tensor, guards, nn, optim, softmaxCrossEntropy, type Guard } from '../src/index.js';
import { randomArray, randomLabels } from './harness.js';
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
  /** Called after `optimizer.step()` (a monitor's `afterStep`, which measures ‖ΔW‖/‖W‖). */
  afterStep?: () => void;
}

/** A gradguard training step and a description of how it is built (for the log). */
export interface GradguardStep {
  step: () => number;
  how: string;
}

/** Builds one gradguard training step of `shape`. */
export function gradguardStep(shape: StepShape, options: StepOptions): GradguardStep {
  const model = nn.mlp(shape.sizes); // Linear, ReLU, …, Linear in a Sequential, PyTorch's default init
  const parameters = model.parameters();
  const lr = LEARNING_RATE[options.optimizer];
  const optimizer = options.optimizer === 'sgd' ? new optim.SGD(parameters, { lr }) : new optim.Adam(parameters, { lr });
  const x = new Tensor(randomArray(shape.batch * shape.sizes[0]!, 3), [shape.batch, shape.sizes[0]!]);
  const targets = randomLabels(shape.batch, shape.sizes[shape.sizes.length - 1]!);
  const backwardOptions = { guards: options.guards ?? [] };
  const once = (): number => {
    optimizer.zeroGrad();
    const loss = softmaxCrossEntropy(model.forward(x), targets);
    loss.backward(backwardOptions);
    optimizer.step();
    options.afterStep?.();
    return loss.item();
  };
  const how = `nn.mlp + optim.${options.optimizer === 'sgd' ? 'SGD' : 'Adam'}`;
  return { step: options.anomaly === true ? () => guards.detectAnomaly(once) : once, how };
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
