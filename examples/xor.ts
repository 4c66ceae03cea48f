/**
 * XOR, the classic problem no single linear layer can solve: a 2-8-1 tanh MLP learns it
 * with binary cross-entropy on logits and Adam.
 * Run: npm run example examples/xor.ts
 */
import { manualSeed, noGrad, nn, optim, data } from '../src/index.js';

manualSeed(0);
const { x, y } = data.xor(); // the four corners (0,0) (0,1) (1,0) (1,1), labels 0 1 1 0
const targets = y.reshape([4, 1]);
const model = nn.mlp([2, 8, 1], { activation: 'tanh' });
const optimizer = new optim.Adam(model.parameters(), { lr: 0.05 });

for (let step = 1; step <= 300; step++) {
  optimizer.zeroGrad();                                           // 1. clear old gradients
  const logits = model.forward(x);                                // 2. forward
  const loss = nn.binaryCrossEntropyWithLogits(logits, targets);  // 3. loss
  loss.backward();                                                // 4. backward
  optimizer.step();                                               // 5. update
  if (step % 50 === 0 || step === 1) console.log(`step ${String(step).padStart(3)}  loss ${loss.item().toFixed(5)}`);
}

const probabilities = noGrad(() => model.forward(x).sigmoid());
let correct = 0;
for (let i = 0; i < 4; i++) {
  const p = probabilities.data[i]!;
  const predicted = p > 0.5 ? 1 : 0;
  if (predicted === y.data[i]) correct++;
  console.log(`  (${x.data[2 * i]}, ${x.data[2 * i + 1]}) → p(1) = ${p.toFixed(4)}  predicted ${predicted}, label ${y.data[i]}`);
}
console.log(`final accuracy: ${correct}/4`);
