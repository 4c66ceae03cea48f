import { describe, expect, it } from 'vitest';
import {
  GradientError, ShapeError, Tensor, loadCheckpointBytes, manualSeed, nn, noGrad, optim, randn, saveCheckpointBytes,
  softmaxCrossEntropy, linear, tensor, zeros,
} from '../src/index.js';
import { OPS } from '../src/autograd/ops/registry.js';
import type { OpName } from '../src/autograd/ops/spec.js';

/*
 * The version counter (PyTorch's `t._version`) and the saved-tensor check it powers: every
 * in-place write bumps the version; backward refuses to run a VJP whose saved tensors changed.
 * Expected values are written out from the definitions (x·2, x + α·y, clamp), not taken from output.
 */

const param = (values: number[] | number[][]): Tensor => tensor(values, { dtype: 'float64', requiresGrad: true });
const constant = (values: number[] | number[][]): Tensor => tensor(values, { dtype: 'float64' });

/** The GradientError that `fn` throws (the test fails if it throws nothing or something else). */
function gradientErrorOf(fn: () => unknown): GradientError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(GradientError);
    return error as GradientError;
  }
  throw new Error('expected a GradientError, nothing was thrown');
}

describe('Tensor.version', () => {
  it('starts at 0 and goes up by one per in-place op', () => {
    const t = constant([1, -2, 3]);
    expect(t.version).toBe(0);
    t.mul_(2);
    expect(Array.from(t.data)).toEqual([2, -4, 6]);
    t.add_(constant([1, 1, 1]), { alpha: -0.5 });
    expect(Array.from(t.data)).toEqual([1.5, -4.5, 5.5]);
    t.clamp_(-1);
    expect(Array.from(t.data)).toEqual([1.5, -1, 5.5]);
    t.clamp_(undefined, 2);
    expect(Array.from(t.data)).toEqual([1.5, -1, 2]);
    t.fill_(7);
    expect(Array.from(t.data)).toEqual([7, 7, 7]);
    t.zero_();
    expect(Array.from(t.data)).toEqual([0, 0, 0]);
    t.copy_(constant([4, 5, 6]));
    expect(Array.from(t.data)).toEqual([4, 5, 6]);
    t.add_(1);
    expect(Array.from(t.data)).toEqual([5, 6, 7]);
    t.bumpVersion();
    expect(t.version).toBe(9);
  });

  it('copy_ broadcasts the source to the target shape and casts it to the target dtype', () => {
    const target = zeros([2, 3]);
    const source = constant([0.1, -0, 3]);
    target.copy_(source);
    const row = [Math.fround(0.1), -0, 3];
    expect(Array.from(target.data)).toEqual([...row, ...row]);
    expect(Object.is(target.data[1], -0)).toBe(true);
    target.copy_(constant([[1], [2]]));
    expect(Array.from(target.data)).toEqual([1, 1, 1, 2, 2, 2]);
  });

  it('mul_ and add_ broadcast a tensor operand; a shape that does not broadcast is a ShapeError', () => {
    const t = constant([[1, 2], [3, 4]]);
    t.mul_(constant([10, 100]));
    expect(Array.from(t.data)).toEqual([10, 200, 30, 400]);
    t.add_(constant([[1], [2]]), { alpha: 2 });
    expect(Array.from(t.data)).toEqual([12, 202, 34, 404]);
    expect(() => t.mul_(constant([1, 2, 3]))).toThrow(ShapeError);
    expect(() => constant([1, 2]).copy_(constant([[1, 2], [3, 4]]))).toThrow(/must broadcast to the tensor's shape \[2\]/);
    expect(t.version).toBe(2);
  });

  it('is shared by detach() and reshape() aliases, in both directions, but not by clone()', () => {
    const x = constant([1, 2, 3, 4]);
    const alias = x.detach();
    const view = x.reshape([2, 2]);
    const copy = x.clone();
    alias.mul_(2);
    expect(x.version).toBe(1);
    expect(view.version).toBe(1);
    expect(Array.from(x.data)).toEqual([2, 4, 6, 8]);
    x.add_(1);
    expect(alias.version).toBe(2);
    view.zero_();
    expect(x.version).toBe(3);
    expect(copy.version).toBe(0);
    expect(Array.from(copy.data)).toEqual([1, 2, 3, 4]);
  });
});

describe('in-place ops and the graph', () => {
  it('refuse a leaf that requires grad while grad mode is on, and run inside noGrad', () => {
    const w = param([1, 2]);
    const error = gradientErrorOf(() => w.mul_(2));
    expect(error.message).toMatch(/^mul_: a leaf tensor that requires grad is being used in an in-place operation/);
    expect(w.version).toBe(0);
    noGrad(() => w.mul_(2));
    expect(Array.from(w.data)).toEqual([2, 4]);
    expect(w.version).toBe(1);
  });

  it('refuse the output of a recorded op, and an operand that requires grad', () => {
    const w = param([1, 2]);
    const h = w.mul(3);
    expect(gradientErrorOf(() => h.add_(1)).message).toMatch(/output of 'mul' in a recorded graph, and in-place ops are not recorded/);
    expect(gradientErrorOf(() => constant([0, 0]).add_(w)).message).toMatch(/requires grad, but in-place ops are not recorded/);
  });
});

describe('backward and saved tensors modified in place', () => {
  it('mul: a saved input changed after the forward pass makes backward throw, naming the op, input and versions', () => {
    const a = constant([[1, 2, 3], [4, 5, 6]]);
    const w = param([[1, 1, 1], [1, 1, 1]]);
    const loss = a.mul(w).sum();
    a.mul_(2);
    const error = gradientErrorOf(() => loss.backward());
    expect(error.message).toContain("one of the tensors saved by 'mul' (input 0, shape [2,3]) was modified in place after the forward pass");
    expect(error.message).toContain('its version is 1, expected 0');
    expect(w.grad).toBeNull();
  });

  it('matmul: an optimizer step between forward and backward is caught (input 1, the weight)', () => {
    const x = constant([[1, 2], [3, 4]]);
    const w = param([[0.5], [-0.5]]);
    const optimizer = new optim.SGD([w], { lr: 0.1 });
    x.matmul(w).sum().backward();
    const loss = x.matmul(w).sum();
    optimizer.step();
    const error = gradientErrorOf(() => loss.backward());
    expect(error.message).toMatch(/saved by 'matmul' \(input 1, shape \[2,1\]\).*its version is 1, expected 0/);
  });

  it('relu: a non-leaf input changed inside noGrad is caught', () => {
    const w = param([-1, 2]);
    const h = w.mul(1);
    const loss = h.relu().sum();
    noGrad(() => h.add_(5));
    expect(gradientErrorOf(() => loss.backward()).message).toMatch(/saved by 'relu' \(input 0, shape \[2\]\)/);
  });

  it('exp saves its output: changing the output is caught, changing its input is not', () => {
    const w = param([0, 1]);
    const y = w.exp();
    noGrad(() => y.mul_(2));
    expect(gradientErrorOf(() => y.sum().backward()).message).toMatch(/saved by 'exp' \(its output, shape \[2\]\).*version is 1, expected 0/);

    const x = constant([0, 1]);
    const v = param([1, 1]);
    const z = x.mul(1).add(v).exp(); // exp's input is the sum, not saved by exp
    x.fill_(3);
    z.sum().backward();
    expect(Array.from(v.grad!.data)).toEqual([Math.exp(1), Math.exp(2)]);
  });

  it('linear in a module: the message names the module path and the parameter', () => {
    manualSeed(0);
    const model = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Linear(4, 2));
    model.namedParameters();
    const optimizer = new optim.SGD(model.parameters(), { lr: 0.1 });
    const x = randn([5, 3]);
    model.forward(x).sum().backward();
    const loss = model.forward(x).sum();
    optimizer.step();
    const message = gradientErrorOf(() => loss.backward()).message;
    expect(message).toMatch(/^backward: one of the tensors saved by 'linear' in module '2' \(input 1 '2\.weight', shape \[2,4\]\)/);
    expect(message).toContain('its version is 2, expected 1');
  });

  it('a tensor no op saved may change: add needs no saved values', () => {
    const a = constant([1, 2]);
    const w = param([3, 4]);
    const loss = a.add(w).sum();
    a.mul_(10);
    loss.backward();
    expect(Array.from(w.grad!.data)).toEqual([1, 1]);
  });

  it('a second backward with retainGraph is checked too', () => {
    const a = constant([1, 2]);
    const w = param([3, 4]);
    const loss = a.mul(w).sum();
    loss.backward({ retainGraph: true });
    expect(Array.from(w.grad!.data)).toEqual([1, 2]);
    a.zero_();
    expect(gradientErrorOf(() => loss.backward()).message).toMatch(/saved by 'mul' \(input 0/);
  });

  it('a training loop (forward, backward, step, repeat) never trips the check', () => {
    manualSeed(1);
    const model = nn.mlp([4, 8, 8, 3]);
    const optimizer = new optim.Adam(model.parameters(), { lr: 1e-2 });
    const before = model.parameters().map((p) => p.version);
    const x = randn([16, 4]);
    const targets = Int32Array.from({ length: 16 }, (_, i) => i % 3);
    const losses: number[] = [];
    for (let step = 0; step < 20; step++) {
      optimizer.zeroGrad();
      const loss = softmaxCrossEntropy(model.forward(x), targets);
      loss.backward();
      optimizer.step();
      losses.push(loss.item());
    }
    expect(losses[19]!).toBeLessThan(losses[0]!);
    model.parameters().forEach((p, i) => expect(p.version).toBe(before[i]! + 20));
  });
});

describe('library writes bump the version', () => {
  it('optimizer.step bumps each parameter it updates, and only those', () => {
    const a = param([1, 2]);
    const b = param([3]);
    const optimizer = new optim.SGD([a, b], { lr: 0.5 });
    a.grad = constant([1, 1]);
    optimizer.step();
    expect(Array.from(a.data)).toEqual([0.5, 1.5]);
    expect(a.version).toBe(1);
    expect(b.version).toBe(0);
  });

  it('loadStateDict and checkpoint loading bump every parameter they write', () => {
    manualSeed(2);
    const model = new nn.Linear(2, 2);
    const saved = model.stateDict();
    const bytes = saveCheckpointBytes({ model });
    const start = model.weight.version;
    model.loadStateDict(saved);
    expect(model.weight.version).toBe(start + 1);
    expect(model.bias!.version).toBe(start + 1);
    loadCheckpointBytes(bytes, { model });
    expect(model.weight.version).toBeGreaterThanOrEqual(start + 2);
    expect(Array.from(model.weight.data)).toEqual(Array.from(saved['weight']!.data));
  });

  it('nn.init functions that fill in place bump', () => {
    const w = param([[1, 2], [3, 4]]);
    nn.init.zeros(w);
    nn.init.constant(w, 0.5);
    nn.init.normal(w);
    nn.init.uniform(w);
    expect(w.version).toBe(4);
    expect(Array.from(w.data).every((v) => v >= 0 && v < 1)).toBe(true);
  });
});

/** Every op's inputs, so that the declared `saves` can be checked against what forward keeps. */
const runs: { [P in OpName]: () => Tensor } = {
  add: () => param([1, 2]).add(param([3, 4])),
  sub: () => param([1, 2]).sub(param([3, 4])),
  mul: () => param([1, 2]).mul(param([3, 4])),
  div: () => param([1, 2]).div(param([3, 4])),
  neg: () => param([1, 2]).neg(),
  pow: () => param([1, 2]).pow(3),
  exp: () => param([1, 2]).exp(),
  log: () => param([1, 2]).log(),
  sqrt: () => param([1, 2]).sqrt(),
  abs: () => param([1, -2]).abs(),
  clamp: () => param([1, 2]).clamp(0, 1.5),
  relu: () => param([1, -2]).relu(),
  leakyRelu: () => param([1, -2]).leakyRelu(),
  tanh: () => param([1, 2]).tanh(),
  sigmoid: () => param([1, 2]).sigmoid(),
  gelu: () => nn.gelu(param([1, 2])),
  softplus: () => nn.softplus(param([1, 2])),
  matmul: () => param([[1, 2]]).matmul(param([[3], [4]])),
  linear: () => linear(param([[1, 2]]), param([[3, 4]]), param([5])),
  transpose: () => param([[1, 2]]).transpose(),
  sum: () => param([1, 2]).sum(),
  max: () => param([[1, 2], [4, 3]]).max(1),
  reshape: () => param([1, 2]).reshape([2, 1]),
  softmax: () => param([[1, 2]]).softmax(),
  logSoftmax: () => param([[1, 2]]).logSoftmax(),
  crossEntropy: () => softmaxCrossEntropy(param([[1, 2]]), Int32Array.from([1])),
};

/** Every float buffer inside an op's `saved` (a buffer, a tuple, or a record). */
function buffersIn(saved: unknown): unknown[] {
  if (saved instanceof Float32Array || saved instanceof Float64Array) return [saved];
  if (Array.isArray(saved)) return saved.flatMap(buffersIn);
  if (typeof saved === 'object' && saved !== null) return Object.values(saved).flatMap(buffersIn);
  return [];
}

describe('declared saves', () => {
  it.each(Object.keys(runs) as OpName[])('%s declares exactly the input and output buffers its forward keeps', (op) => {
    const out = runs[op]();
    const node = out.node!;
    expect(node.op).toBe(op);
    const saved = buffersIn(node.saved);
    const refs: Array<number | 'output'> = [...node.inputs.keys(), 'output'];
    const kept = refs.filter((ref) => saved.includes(ref === 'output' ? out.data : node.inputs[ref]!.data));
    expect(kept).toEqual([...OPS[op].saves]);
    expect(node.savedVersions).toHaveLength(OPS[op].saves.length);
  });
});
