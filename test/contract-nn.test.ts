/**
 * Contract audit (shared/API.md, "nn" and "optim"): module methods and names, Linear, the
 * activations, the losses and the optimizers' constructors, defaults and update rules.
 */
import { describe, expect, it } from 'vitest';
import { Tensor, manualSeed, nn, optim, tensor } from '../src/index.js';

class TwoLayer extends nn.Module {
  fc1 = new nn.Linear(2, 3);
  act = new nn.ReLU();
  fc2 = new nn.Linear(3, 1, { bias: false });
  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.act.forward(this.fc1.forward(x)));
  }
}

describe('contract: nn.Module', () => {
  it('names parameters by PyTorch state_dict keys in a Sequential', () => {
    const model = new nn.Sequential(new nn.Linear(2, 4), new nn.ReLU(), new nn.Linear(4, 1));
    expect(model.namedParameters().map(([name]) => name)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    expect(Object.keys(model.stateDict())).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    expect(model.parameters()).toHaveLength(4);
    expect(model.parameters()[0]).toBe(model.namedParameters()[0]![1]);
  });

  it('names parameters of fields by their attribute names', () => {
    expect(new TwoLayer().namedParameters().map(([name]) => name)).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight']);
  });

  it('stateDict copies and loadStateDict restores', () => {
    manualSeed(0);
    const model = new TwoLayer();
    const saved = model.stateDict();
    const before = Array.from(model.fc1.weight.data);
    saved['fc1.weight']!.data[0] = 123; // a copy: the model is untouched
    expect(model.fc1.weight.data[0]).toBe(before[0]);
    const other = new TwoLayer();
    other.loadStateDict(model.stateDict());
    expect(Array.from(other.fc1.weight.data)).toEqual(before);
    expect(Array.from(other.fc2.weight.data)).toEqual(Array.from(model.fc2.weight.data));
  });

  it('zeroGrad sets every grad to null, as PyTorch 2', () => {
    const model = new TwoLayer();
    model.forward(tensor([[1, 2]])).sum().backward();
    expect(model.fc1.weight.grad).not.toBeNull();
    model.zeroGrad();
    for (const p of model.parameters()) expect(p.grad).toBeNull();
  });

  it('train() and eval() switch training mode on the whole tree', () => {
    const model = new TwoLayer();
    expect(model.training).toBe(true);
    model.eval();
    expect(model.training).toBe(false);
    expect(model.fc1.training).toBe(false);
    model.train();
    expect(model.fc2.training).toBe(true);
  });
});

describe('contract: nn.Linear', () => {
  it('has weight [out, in] and bias [out] and computes x·Wᵀ + b', () => {
    const layer = new nn.Linear(3, 2);
    expect(layer.weight.shape).toEqual([2, 3]);
    expect(layer.bias!.shape).toEqual([2]);
    const x = tensor([[1, 2, 3], [-1, 0, 2]]);
    const y = layer.forward(x);
    const w = layer.weight.data;
    const b = layer.bias!.data;
    for (let n = 0; n < 2; n++) {
      for (let o = 0; o < 2; o++) {
        let expected = b[o]!;
        for (let i = 0; i < 3; i++) expected += x.data[n * 3 + i]! * w[o * 3 + i]!;
        expect(y.data[n * 2 + o]).toBeCloseTo(expected, 5);
      }
    }
  });

  it('initialises weight and bias uniformly within ±1/√inFeatures, as PyTorch', () => {
    manualSeed(3);
    const layer = new nn.Linear(16, 400);
    const bound = 1 / Math.sqrt(16);
    for (const t of [layer.weight, layer.bias!]) {
      const values = Array.from(t.data);
      expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(bound);
      expect(Math.max(...values.map(Math.abs))).toBeGreaterThan(0.95 * bound); // fills the range
    }
    const w = Array.from(layer.weight.data);
    const variance = w.reduce((a, v) => a + v * v, 0) / w.length;
    expect(variance).toBeCloseTo(bound ** 2 / 3, 3); // U(−b, b) has variance b²/3
  });

  it('bias: false gives no bias', () => {
    const layer = new nn.Linear(3, 2, { bias: false });
    expect(layer.bias).toBeNull();
    expect(layer.namedParameters().map(([n]) => n)).toEqual(['weight']);
  });
});

describe('contract: activations and losses', () => {
  const x = tensor([[-2, -0.5, 0.5, 3]], { dtype: 'float64' });
  it('ReLU, LeakyReLU (slope 0.01 by default), Tanh and Sigmoid', () => {
    expect(new nn.ReLU().forward(x).toArray()).toEqual([[0, 0, 0.5, 3]]);
    expect(new nn.LeakyReLU().forward(x).toArray()).toEqual([[-0.02, -0.005, 0.5, 3]]);
    expect(new nn.LeakyReLU(0.1).forward(x).toArray()).toEqual([[-0.2, -0.05, 0.5, 3]]);
    new nn.Tanh().forward(x).data.forEach((v, i) => expect(v).toBeCloseTo(Math.tanh(x.data[i]!), 14));
    new nn.Sigmoid().forward(x).data.forEach((v, i) => expect(v).toBeCloseTo(1 / (1 + Math.exp(-x.data[i]!)), 14));
  });

  const logits = [[2, 1, 0.1], [0.5, 2.5, -1], [1000, 0, -1000]];
  const targets = [0, 1, 2];
  // −log softmax(z)[t] = logsumexp(z) − z[t], computed stably.
  const perRow = logits.map((row, n) => {
    const m = Math.max(...row);
    return m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0)) - row[targets[n]!]!;
  });

  it('crossEntropy accepts Int32Array, number[] and a tensor of class indices', () => {
    const z = tensor(logits, { dtype: 'float64' });
    const expected = perRow.reduce((a, b) => a + b, 0) / 3;
    for (const t of [Int32Array.from(targets), targets, tensor(targets)]) {
      expect(nn.crossEntropy(z, t).item()).toBeCloseTo(expected, 10);
    }
    expect(nn.crossEntropy(z, targets, { reduction: 'sum' }).item()).toBeCloseTo(expected * 3, 9);
    expect(Number.isFinite(nn.crossEntropy(z, targets).item())).toBe(true);
  });

  it('crossEntropy gradient is (softmax − onehot)/N', () => {
    const z = tensor(logits.slice(0, 2), { dtype: 'float64', requiresGrad: true });
    nn.crossEntropy(z, [0, 1]).backward();
    logits.slice(0, 2).forEach((row, n) => {
      const s = row.reduce((a, v) => a + Math.exp(v), 0);
      row.forEach((v, c) => expect(z.grad!.data[n * 3 + c]).toBeCloseTo((Math.exp(v) / s - (c === targets[n] ? 1 : 0)) / 2, 12));
    });
  });

  it('mseLoss is the mean (or sum) of squared differences', () => {
    const a = tensor([1, 2, 3]);
    const b = tensor([0, 4, 3]);
    expect(nn.mseLoss(a, b).item()).toBeCloseTo(5 / 3, 6);
    expect(nn.mseLoss(a, b, { reduction: 'sum' }).item()).toBe(5);
  });
});

describe('contract: optimizers', () => {
  function param(values: number[], grad: number[]): Tensor {
    const p = tensor(values, { dtype: 'float64', requiresGrad: true });
    p.grad = tensor(grad, { dtype: 'float64' });
    return p;
  }

  it('SGD: momentum, dampening, weight decay and Nesterov follow torch.optim.SGD', () => {
    const lr = 0.1, mu = 0.9, tau = 0.1, wd = 0.01;
    const p = param([1], [0.5]);
    const sgd = new optim.SGD([p], { lr, momentum: mu, dampening: tau, weightDecay: wd });
    let theta = 1, buf = 0;
    for (let t = 0; t < 3; t++) {
      p.grad = tensor([0.5], { dtype: 'float64' });
      const g = 0.5 + wd * theta;
      buf = t === 0 ? g : mu * buf + (1 - tau) * g;
      theta -= lr * buf;
      sgd.step();
      expect(p.data[0]).toBeCloseTo(theta, 14);
    }
    const q = param([1], [0.5]);
    const nesterov = new optim.SGD([q], { lr, momentum: mu, nesterov: true });
    nesterov.step();
    expect(q.data[0]).toBeCloseTo(1 - lr * (0.5 + mu * 0.5), 14);
    const r = param([1], [0.5]);
    new optim.SGD([r], { lr }).step();
    expect(r.data[0]).toBeCloseTo(0.95, 14);
  });

  it('Adam defaults lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0', () => {
    const p = param([1, -2], [0.3, -0.7]);
    const adam = new optim.Adam([p]);
    const ref = [1, -2], m = [0, 0], v = [0, 0];
    for (let t = 1; t <= 3; t++) {
      p.grad = tensor([0.3, -0.7], { dtype: 'float64' });
      adam.step();
      for (let i = 0; i < 2; i++) {
        const g = [0.3, -0.7][i]!;
        m[i] = 0.9 * m[i]! + 0.1 * g;
        v[i] = 0.999 * v[i]! + 0.001 * g * g;
        ref[i] = ref[i]! - (1e-3 / (1 - 0.9 ** t)) * m[i]! / (Math.sqrt(v[i]!) / Math.sqrt(1 - 0.999 ** t) + 1e-8);
        expect(p.data[i]).toBeCloseTo(ref[i]!, 12);
      }
    }
  });

  it('AdamW decays weights decoupled, 1e-2 by default', () => {
    const p = param([2], [0]);
    new optim.AdamW([p], { lr: 0.1 }).step();
    // grad 0: m = v = 0, so only the decay θ ← θ·(1 − lr·λ) acts.
    expect(p.data[0]).toBeCloseTo(2 * (1 - 0.1 * 1e-2), 14);
    const q = param([2], [0]);
    new optim.Adam([q], { lr: 0.1 }).step();
    expect(q.data[0]).toBe(2);
  });

  it('zeroGrad sets grad to null', () => {
    const p = param([1], [1]);
    const opt = new optim.Adam([p], { lr: 0.1 });
    opt.zeroGrad();
    expect(p.grad).toBeNull();
    const q = param([1], [1]);
    new optim.SGD([q], { lr: 0.1 }).zeroGrad();
    expect(q.grad).toBeNull();
  });
});
