import { STEP_A, STEP_B, gradguardStep, tfjsStep, type OptimizerName, type StepShape } from './models.js';
import { runWorkloads, type Workload } from './suite.js';

/*
 * Training-step suite: steps A and B with SGD and Adam, gradguard against tfjs-cpu
 * (`optimizer.minimize` with tf.train.sgd / tf.train.adam) and tfjs-wasm, in ms per step.
 */

function stepWorkload(shape: StepShape, optimizer: OptimizerName): Workload {
  return {
    name: `step ${shape.name} ${optimizer}`,
    unit: 'ms',
    work: 0,
    gradguard() {
      const { step, how } = gradguardStep(shape, { optimizer });
      process.stderr.write(`  train: gradguard step uses ${how}\n`);
      return () => void step();
    },
    peer(backend) {
      return tfjsStep(shape, optimizer, backend);
    },
  };
}

export function trainWorkloads(): Workload[] {
  return [STEP_A, STEP_B].flatMap((shape) => [stepWorkload(shape, 'sgd'), stepWorkload(shape, 'adam')]);
}

/** `npm run bench -- train` */
export async function runTrain(): Promise<void> {
  await runWorkloads('train', 'Training steps (ms per step, lower is better; × = how many times faster gradguard is)', trainWorkloads());
}
