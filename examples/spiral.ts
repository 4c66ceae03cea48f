/**
 * Three interleaved spirals, classified by an MLP 2-64-64-3 trained with Adam.
 * Run: npm run example examples/spiral.ts
 *
 * The training loop is written out in full: zeroGrad → forward → loss → backward → step.
 */
import { manualSeed, noGrad, nn, optim, data } from '../src/index.js';

manualSeed(0);
const dataset = data.spirals({ samplesPerClass: 100, classes: 3, noise: 0.2 });
const model = nn.mlp([2, 64, 64, 3], { activation: 'relu' });
const optimizer = new optim.Adam(model.parameters(), { lr: 1e-2 });
const loader = new data.DataLoader(dataset, { batchSize: 32, shuffle: true });

const epochs = 100;
for (let epoch = 1; epoch <= epochs; epoch++) {
  let total = 0;
  for (const { x, y } of loader) {
    optimizer.zeroGrad();               // forget the previous batch's gradients
    const logits = model.forward(x);    // forward: build the graph
    const loss = nn.crossEntropy(logits, y);
    loss.backward();                    // backward: fill every parameter's .grad
    optimizer.step();                   // update the parameters
    total += loss.item() * x.shape[0]!;
  }
  if (epoch % 20 === 0 || epoch === 1) {
    const trainAccuracy = noGrad(() => nn.accuracy(model.forward(dataset.x), dataset.y));
    console.log(`epoch ${String(epoch).padStart(3)}  loss ${(total / loader.size).toFixed(4)}  train accuracy ${(trainAccuracy * 100).toFixed(1)}%`);
  }
}
const finalAccuracy = noGrad(() => nn.accuracy(model.forward(dataset.x), dataset.y));
console.log(`final training accuracy: ${(finalAccuracy * 100).toFixed(1)}% (target ≥ 95%)`);
