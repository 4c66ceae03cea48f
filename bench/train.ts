import { STEP_A, STEP_B, gradguardStep, tfjsStep, type OptimizerName, type StepShape } from './models.js';
import { pytorchFigures, torchNotes, torchTiming, type TorchFigures } from './pytorch.js';
import { runWorkloads, type Workload } from './suite.js';

/*
 * Training-step suite: steps A and B with SGD and Adam, gradguard against tfjs-cpu
 * (`optimizer.minimize` with tf.train.sgd / tf.train.adam) and tfjs-wasm, in ms per step; and,
 * where python3 can import torch, against PyTorch eager CPU on one thread (bench/pytorch.ts),
 * whose mean wall-clock ms per step is measured in its own process just before the others.
 */

function stepWorkload(shape: StepShape, optimizer: OptimizerName, torch: TorchFigures | undefined): Workload {
  const workload: Workload = {
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
  const timing = torchTiming(torch, shape, optimizer);
  if (torch !== undefined) {
    // why the wall-clock mean: the other columns are benchmark.js means; the CPU time is kept
    // beside it because it is what the guards suite and issue 7's PyTorch figures compare.
    workload.external = { pytorch: timing?.wallMs ?? NaN };
    workload.notes = { 'pytorch CPU ms': timing?.cpuMs ?? NaN };
  }
  return workload;
}

export function trainWorkloads(torch?: TorchFigures): Workload[] {
  return [STEP_A, STEP_B].flatMap((shape) => [stepWorkload(shape, 'sgd', torch), stepWorkload(shape, 'adam', torch)]);
}

/** `npm run bench -- train` */
export async function runTrain(): Promise<void> {
  const torch = pytorchFigures();
  const notes = torch === undefined ? {} : { pytorch: torchNotes(torch) };
  await runWorkloads('train', 'Training steps (ms per step, lower is better; × = how many times faster gradguard is)', trainWorkloads(torch), notes);
}
