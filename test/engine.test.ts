import { describe, expect, it } from 'vitest';
import { GradientError, Tensor, gradcheck, linear, noGrad, softmaxCrossEntropy, tensor, type Guard } from '../src/index.js';
import { expectAllClose, seeded } from './helpers.js';

describe('backward', () => {
  it('runs a chain of 100,000 ops without overflowing the stack', () => {
    const x = tensor([1], { requiresGrad: true, dtype: 'float64' });
    let y: Tensor = x;
    for (let i = 0; i < 100_000; i++) y = y.add(1e-6);
    y.sum().backward();
    expectAllClose(x.grad!, [1]);
  });

  it('sums the gradients of a tensor used on several paths (diamond)', () => {
    const x = tensor([2, 3], { requiresGrad: true, dtype: 'float64' });
    const a = x.mul(3);
    const b = x.pow(2);
    a.add(b).add(x).sum().backward();
    // d(3x + x² + x)/dx = 4 + 2x
    expectAllClose(x.grad!, [8, 10]);
  });

  it('accumulates into .grad across two backward calls, as PyTorch', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    x.mul(2).sum().backward();
    x.mul(3).sum().backward();
    expectAllClose(x.grad!, [5, 5]);
  });

  it('runs twice through one graph with retainGraph, accumulating', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const loss = x.mul(x).sum();
    loss.backward({ retainGraph: true });
    loss.backward();
    expectAllClose(x.grad!, [4, 8]);
  });

  it('takes an explicit output gradient for a non-scalar output', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    x.mul(2).backward({ grad: tensor([1, 10, 100]) });
    expectAllClose(x.grad!, [2, 20, 200]);
  });

  it('gives no gradient to inputs that do not require one', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const c = tensor([3, 4]);
    x.mul(c).sum().backward();
    expect(c.grad).toBeNull();
    expectAllClose(x.grad!, [3, 4]);
  });

  it('leaves non-leaf gradients alone unless retainGrad() was called', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const hidden = x.mul(2);
    const kept = x.mul(3).retainGrad();
    hidden.add(kept).mul(kept).sum().backward();
    expect(hidden.grad).toBeNull();
    // d/dk Σ (h + k)·k = h + 2k = 2x + 6x
    expectAllClose(kept.grad!, [8, 16]);
  });

  it('gives a retained root the seed gradient 1, accumulating across retained passes', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const loss = x.mul(x).sum().retainGrad();
    loss.backward({ retainGraph: true });
    expect(loss.grad!.item()).toBe(1);
    loss.backward();
    expect(loss.grad!.item()).toBe(2);
  });

  it('casts the gradient of a float32 leaf used in a float64 op back to float32', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = tensor([3, 4], { dtype: 'float64' });
    const out = x.mul(y).sum();
    expect(out.dtype).toBe('float64');
    out.backward();
    expect(x.grad!.dtype).toBe('float32');
    expectAllClose(x.grad!, [3, 4]);
  });

  it('returns a report with the 2-norm of the leaf gradients and nothing clipped', () => {
    const x = tensor([3, 4], { requiresGrad: true, dtype: 'float64' });
    const report = x.mul(x).sum().mul(0.5).backward();
    expect(report.ok).toBe(true);
    expect(report.clipScale).toBe(1);
    expect(report.nonFinite).toBeNull();
    expect(report.totalNorm).toBeCloseTo(5, 12);
  });

  it('frees saved buffers after a pass without retainGraph', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.mul(x);
    y.sum().backward();
    expect(y.node!.saved).toBeNull();
    expect(y.node!.freed).toBe(true);
  });
});

describe('registerHook', () => {
  it('sees the gradient flowing into a tensor', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.mul(3);
    const seen: number[][] = [];
    y.registerHook((g) => {
      seen.push(Array.from(g.data));
    });
    y.mul(tensor([1, 10])).sum().backward();
    expect(seen).toEqual([[1, 10]]);
    expectAllClose(x.grad!, [3, 30]);
  });

  it('replaces the gradient when the hook returns a tensor, on a leaf and on a non-leaf', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    x.registerHook((g) => g.mul(100));
    const y = x.mul(2);
    y.registerHook(() => tensor([1, 1]));
    y.mul(5).sum().backward();
    expectAllClose(x.grad!, [200, 200]);
  });

  it('stops running after remove()', () => {
    const x = tensor([1], { requiresGrad: true });
    const handle = x.registerHook((g) => g.mul(0));
    handle.remove();
    x.mul(2).sum().backward();
    expectAllClose(x.grad!, [2]);
  });

  it('rejects a replacement of the wrong shape', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    x.registerHook(() => tensor([1, 2, 3]));
    expect(() => x.sum().backward()).toThrow(GradientError);
    expect(() => x.sum().backward()).toThrow(/registerHook.*\[3\].*\[2\]/);
  });
});

describe('detach, noGrad, item, toArray', () => {
  it('detach() cuts the graph but shares the values', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const d = x.detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.node).toBeNull();
    expect(d.data).toBe(x.data);
    x.mul(d).sum().backward();
    expectAllClose(x.grad!, [1, 2]); // d is a constant: d(x·c)/dx = c
  });

  it('noGrad() records nothing, returns the result and restores recording, even after a throw', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    const y = noGrad(() => w.mul(2));
    expect(y.requiresGrad).toBe(false);
    expect(y.node).toBeNull();
    expectAllClose(y, [2, 4]);
    expect(() => noGrad(() => {
      throw new Error('boom');
    })).toThrow('boom');
    expect(w.mul(2).requiresGrad).toBe(true);
  });

  it('noGrad() nests', () => {
    const w = tensor([1], { requiresGrad: true });
    const inner = noGrad(() => noGrad(() => w.mul(2)).add(w));
    expect(inner.requiresGrad).toBe(false);
  });

  it('item() reads one-element tensors of any rank', () => {
    expect(tensor(3.5).item()).toBe(3.5);
    expect(tensor([[2]]).item()).toBe(2);
  });

  it('toArray() gives nested arrays, and a number for 0-d', () => {
    expect(tensor([[1, 2], [3, 4]]).toArray()).toEqual([[1, 2], [3, 4]]);
    expect(tensor([[[1], [2]]]).toArray()).toEqual([[[1], [2]]]);
    expect(tensor(7).toArray()).toBe(7);
    expect(tensor([]).toArray()).toEqual([]);
  });
});

describe('gradcheck', () => {
  it('returns true for a correct gradient', () => {
    const x = seeded([3, 2], undefined, { requiresGrad: true });
    expect(gradcheck((t) => t.tanh().mul(t).sum(), [x])).toBe(true);
  });

  it('passes for a whole two-layer network with a fused loss, every parameter at once', () => {
    const x = seeded([5, 3], undefined, { seed: 11 });
    const targets = Int32Array.from([0, 2, 1, 1, 0]);
    const w1 = seeded([3, 4], undefined, { seed: 12, requiresGrad: true });
    const b1 = seeded([4], undefined, { seed: 13, requiresGrad: true });
    const w2 = seeded([3, 4], undefined, { seed: 14, requiresGrad: true });
    const b2 = seeded([3], undefined, { seed: 15, requiresGrad: true });
    const network = (a: Tensor, b: Tensor, c: Tensor, d: Tensor): Tensor =>
      softmaxCrossEntropy(linear(x.matmul(a).add(b).tanh(), c, d), targets).add(a.pow(2).mean().mul(0.1));
    expect(gradcheck(network, [w1, b1, w2, b2])).toBe(true);
  });

  it('throws naming the input, the element and both values for a wrong gradient', () => {
    // x·detach(x) has analytic gradient x but numeric gradient 2x.
    const x = tensor([0.5, 2], { dtype: 'float64', requiresGrad: true });
    const c = tensor([1, 1], { dtype: 'float64', requiresGrad: true });
    const wrong = (a: Tensor, b: Tensor): Tensor => a.add(b.mul(b.detach()));
    expect(() => gradcheck(wrong, [c, x])).toThrow(GradientError);
    expect(() => gradcheck(wrong, [c, x])).toThrow(/input 1 \[2\] at element 0: analytic 0\.5\d*, numeric 1\.0*\d*/);
  });

  it("leaves the inputs' .grad and values as they were", () => {
    const x = tensor([0.5, -1], { dtype: 'float64', requiresGrad: true });
    x.mul(3).sum().backward();
    gradcheck((t) => t.exp().sum(), [x]);
    expectAllClose(x.grad!, [3, 3]);
    expectAllClose(x, [0.5, -1], { rtol: 0 });
  });

  it('refuses float32 inputs', () => {
    const x = tensor([1], { requiresGrad: true });
    expect(() => gradcheck((t) => t.sum(), [x])).toThrow(/gradcheck: input 0 is float32/);
  });
});

describe('guards see the pass through the hook interface', () => {
  it('calls onNodeGradient for every node, onParameterGradient for every leaf, then endPass', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const w = tensor([3, 4], { requiresGrad: true });
    const ops: string[] = [];
    const leaves: Tensor[] = [];
    let ended = 0;
    const guard: Guard = {
      name: 'spy',
      onNodeGradient: (event) => void ops.push(event.op),
      onParameterGradient: (event) => void leaves.push(event.parameter),
      endPass: () => void ended++,
    };
    x.mul(w).relu().sum().backward({ guards: [guard] });
    expect(ops).toEqual(['sum', 'relu', 'mul']);
    expect(new Set(leaves)).toEqual(new Set([x, w]));
    expect(ended).toBe(1);
  });

  it('calls onNonFiniteGradient only for the node where a NaN is born, in guard order with onNodeGradient', () => {
    // d/dx sqrt(x) at 0 is Inf: sqrt produces it from a finite incoming gradient; mul and sum only pass it on
    const x = tensor([0, 4], { requiresGrad: true, dtype: 'float64' });
    const seen: string[] = [];
    const first: Guard = { name: 'first', onNodeGradient: (event) => void seen.push(`node ${event.op}`) };
    const births: Guard = {
      name: 'births',
      onNonFiniteGradient: (event) => {
        const bad = event.inputGrads[0]!;
        seen.push(`birth ${event.op} ${bad.stats.nonFiniteCount} finite-in ${event.gradOut.finite}`);
      },
    };
    const last: Guard = { name: 'last', onNodeGradient: (event) => void seen.push(`after ${event.op}`) };
    x.sqrt().mul(3).sum().backward({ guards: [first, births, last] });
    expect(seen).toEqual([
      'node sum', 'after sum', 'node mul', 'after mul', 'node sqrt', 'birth sqrt 1 finite-in true', 'after sqrt',
    ]);
  });

  it('does not call onNonFiniteGradient for a node that passes on a NaN it received, nor after a stop', () => {
    const x = tensor([0, 4], { requiresGrad: true, dtype: 'float64' });
    const births: string[] = [];
    const watcher: Guard = { name: 'births', onNonFiniteGradient: (event) => void births.push(event.op) };
    x.sqrt().mul(3).sum().backward({ guards: [watcher] });
    expect(births).toEqual(['sqrt']); // mul's incoming gradient is finite and so is its output: not a birth either
    births.length = 0;
    const y = tensor([1, 2], { requiresGrad: true, dtype: 'float64' });
    y.mul(Infinity).mul(2).sum().backward({ guards: [watcher] }); // the first mul gives 2·Inf to y: born there
    expect(births).toEqual(['mul']);
    births.length = 0;
    const stopper: Guard = { name: 'stop', onNodeGradient: (_event, control) => control.stop() };
    x.sqrt().sum().backward({ guards: [stopper, watcher] });
    expect(births).toEqual([]);
  });

  it('leaves every .grad as it was when a guard stops the pass', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    x.mul(2).sum().backward();
    const stopper: Guard = { name: 'stop', onNodeGradient: (_event, control) => control.stop() };
    const report = x.mul(5).sum().backward({ guards: [stopper] });
    expect(report.ok).toBe(false);
    expectAllClose(x.grad!, [2, 2]);
  });
});
