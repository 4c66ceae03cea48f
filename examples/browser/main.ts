/**
 * XOR in the browser: the same training loop as examples/xor.ts, run in slices between frames
 * so the page shows the loss going down, then the four predictions.
 * Build and open: `npm run example:browser` (see README.md in this folder).
 */
import { data, kernelBackend, manualSeed, noGrad, nn, optim } from '../../src/index.js';

const STEPS = 300;
const STEPS_PER_FRAME = 20;

function element(id: string): HTMLElement {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found;
}

function setStatus(state: 'training' | 'done' | 'error', text: string): void {
  const status = element('status');
  status.dataset['state'] = state;
  status.textContent = text;
}

/** One row per corner: inputs, label, p(1) and the predicted class, marked right or wrong. */
function showPredictions(inputs: ArrayLike<number>, labels: ArrayLike<number>, probabilities: ArrayLike<number>): number {
  const body = element('predictions').querySelector('tbody')!;
  body.replaceChildren();
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = probabilities[i]!;
    const predicted = p > 0.5 ? 1 : 0;
    if (predicted === labels[i]) correct++;
    const row = body.insertRow();
    row.className = predicted === labels[i] ? 'right' : 'wrong';
    row.dataset['label'] = String(labels[i]);
    row.dataset['predicted'] = String(predicted);
    for (const cell of [inputs[2 * i]!, inputs[2 * i + 1]!, labels[i]!, p.toFixed(4), predicted]) row.insertCell().textContent = String(cell);
  }
  return correct;
}

function train(): void {
  manualSeed(0);
  const { x, y } = data.xor(); // (0,0) (0,1) (1,0) (1,1) → 0 1 1 0
  const targets = y.reshape([4, 1]);
  const model = nn.mlp([2, 8, 1], { activation: 'tanh' });
  const optimizer = new optim.Adam(model.parameters(), { lr: 0.05 });
  element('steps').textContent = String(STEPS);
  element('kernels').textContent = kernelBackend();
  setStatus('training', 'Training…');
  let step = 0;
  const slice = (): void => {
    try {
      let loss = Number.NaN;
      for (let i = 0; i < STEPS_PER_FRAME && step < STEPS; i++, step++) {
        optimizer.zeroGrad();
        const batchLoss = nn.binaryCrossEntropyWithLogits(model.forward(x), targets);
        batchLoss.backward();
        optimizer.step();
        loss = batchLoss.item();
      }
      element('step').textContent = String(step);
      element('loss').textContent = loss.toFixed(5);
      if (step < STEPS) {
        setTimeout(slice, 0);
        return;
      }
      const probabilities = noGrad(() => model.forward(x).sigmoid());
      const correct = showPredictions(x.data, y.data, probabilities.data);
      element('accuracy').textContent = `Accuracy: ${correct}/4`;
      setStatus('done', `Done: ${STEPS} steps.`);
    } catch (error) {
      setStatus('error', `Training failed: ${String(error)}`);
      throw error;
    }
  };
  slice();
}

train();
