import { describe, expect, it } from 'vitest';
import { manualSeed, noGrad, nn, optim, data } from '../src/index.js';

/** Trains the spiral classifier of examples/spiral.ts for `epochs`; returns every batch loss and the final accuracy. */
function trainSpirals(seed: number, epochs: number): { losses: number[]; accuracy: number } {
  manualSeed(seed);
  const dataset = data.spirals({ samplesPerClass: 100, classes: 3 });
  const model = nn.mlp([2, 64, 64, 3]);
  const optimizer = new optim.Adam(model.parameters(), { lr: 1e-2 });
  const loader = new data.DataLoader(dataset, { batchSize: 32, shuffle: true });
  const losses: number[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (const { x, y } of loader) {
      optimizer.zeroGrad();
      const loss = nn.crossEntropy(model.forward(x), y);
      loss.backward();
      optimizer.step();
      losses.push(loss.item());
    }
  }
  const accuracy = noGrad(() => nn.accuracy(model.forward(dataset.x), dataset.y));
  return { losses, accuracy };
}

describe('training toy models', () => {
  it('learns XOR exactly with a 2-8-1 tanh MLP and BCE', () => {
    manualSeed(0);
    const { x, y } = data.xor();
    const targets = y.reshape([4, 1]);
    const model = nn.mlp([2, 8, 1], { activation: 'tanh' });
    const optimizer = new optim.Adam(model.parameters(), { lr: 0.05 });
    let loss = Infinity;
    for (let step = 0; step < 300; step++) {
      optimizer.zeroGrad();
      const out = nn.binaryCrossEntropyWithLogits(model.forward(x), targets);
      out.backward();
      optimizer.step();
      loss = out.item();
    }
    expect(loss).toBeLessThan(0.05);
    const predictions = Array.from(model.forward(x).data, (logit) => (logit > 0 ? 1 : 0));
    expect(predictions).toEqual([0, 1, 1, 0]);
  });

  it('classifies 3-class spirals with ≥ 95 % training accuracy (MLP 2-64-64-3)', () => {
    const { accuracy } = trainSpirals(0, 25);
    expect(accuracy).toBeGreaterThanOrEqual(0.95);
  });

  it('gives bit-identical losses for two runs with the same seed', () => {
    const a = trainSpirals(42, 3);
    const b = trainSpirals(42, 3);
    expect(a.losses.length).toBe(30);
    expect(a.losses).toEqual(b.losses);
    expect(trainSpirals(43, 1).losses).not.toEqual(a.losses.slice(0, 10));
  });

  it('learns with SGD + momentum and a cosine schedule too', () => {
    manualSeed(1);
    const dataset = data.twoMoons({ samples: 200, noise: 0.1 });
    const model = nn.mlp([2, 32, 32, 2]);
    const optimizer = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    const loader = new data.DataLoader(dataset, { batchSize: 20, shuffle: true });
    const scheduler = new optim.CosineAnnealingLR(optimizer, { tMax: 40 });
    for (let epoch = 0; epoch < 40; epoch++) {
      for (const { x, y } of loader) {
        optimizer.zeroGrad();
        nn.crossEntropy(model.forward(x), y).backward();
        optimizer.step();
      }
      scheduler.step();
    }
    expect(noGrad(() => nn.accuracy(model.forward(dataset.x), dataset.y))).toBeGreaterThanOrEqual(0.97);
  });
});
