import { describe, expect, it } from 'vitest';
import { Tensor, guards, manualSeed, nn, optim, tensor } from '../src/index.js';
import { clearBufferPool, takeBuffer } from '../src/tensor/pool.js';

/*
 * zeroGrad recycles a parameter's gradient buffer only when nothing outside the engine can hold
 * it (Tensor.releaseGrad): code that read `.grad`, assigned it, or saw it in a hook keeps its
 * values, as with PyTorch's zero_grad(set_to_none=True).
 */

const SIZE = 96; // above the pool's minimum, and a size no other buffer of these tests has

function parameter(): Tensor {
  return tensor(Array.from({ length: SIZE }, (_, i) => Math.sin(i)), { requiresGrad: true });
}

/** loss = Σ scale·p², so ∂loss/∂p = 2·scale·p. */
function backwardOn(p: Tensor, scale: number): void {
  p.mul(p).mul(scale).sum().backward();
}

describe('zeroGrad and the gradient buffers', () => {
  it('hands a gradient no one read back to the pool, and the next pass computes it afresh', () => {
    const p = parameter();
    const optimizer = new optim.SGD([p], { lr: 0 });
    backwardOn(p, 1);
    const buffer = p.peekGrad()!.data;
    guards.clipGradNorm([p], 1e9); // the library's own readers do not count as handing it out
    optimizer.step();
    clearBufferPool(); // the pass's own intermediate gradients were recycled already
    optimizer.zeroGrad();
    expect(p.peekGrad()).toBeNull();
    const recycled = takeBuffer('float32', SIZE);
    expect(recycled).toBe(buffer);
    expect(Array.from(recycled!).every((v) => v === 0)).toBe(true); // handed out zero-filled
    backwardOn(p, 3);
    expect(Array.from(p.grad!.data)).toEqual(Array.from(p.data, (v) => Math.fround(6 * v)));
  });

  it('keeps a gradient that was read through .grad: its values survive the next pass', () => {
    const p = parameter();
    const optimizer = new optim.SGD([p], { lr: 0 });
    backwardOn(p, 1);
    const kept = p.grad!;
    const before = Array.from(kept.data);
    clearBufferPool();
    optimizer.zeroGrad();
    expect(p.grad).toBeNull();
    expect(takeBuffer('float32', SIZE)).toBeUndefined();
    backwardOn(p, 5);
    expect(Array.from(kept.data)).toEqual(before);
    expect(p.grad!.data).not.toBe(kept.data);
  });

  it('never recycles an assigned gradient, nor one a hook was shown', () => {
    const assigned = parameter();
    const mine = tensor(new Array(SIZE).fill(7));
    assigned.grad = mine;
    const hooked = parameter();
    const seen: Tensor[] = [];
    hooked.registerHook((grad) => void seen.push(grad));
    backwardOn(hooked, 1);
    const firstValues = Array.from(seen[0]!.data);
    expect(firstValues).toEqual(Array.from(hooked.data, (v) => Math.fround(2 * v)));
    clearBufferPool();
    new optim.SGD([assigned, hooked], { lr: 0 }).zeroGrad();
    expect(takeBuffer('float32', SIZE)).toBeUndefined();
    backwardOn(hooked, 2);
    expect(Array.from(mine.data)).toEqual(new Array(SIZE).fill(7));
    expect(Array.from(seen[0]!.data)).toEqual(firstValues);
  });

  it('Module.zeroGrad recycles the same way', () => {
    const layer = new nn.Linear(SIZE, 1);
    layer.forward(tensor([new Array(SIZE).fill(1)])).sum().backward();
    const weightBuffer = layer.weight.peekGrad()!.data;
    clearBufferPool();
    layer.zeroGrad();
    expect(layer.weight.peekGrad()).toBeNull();
    expect(takeBuffer('float32', SIZE)).toBe(weightBuffer);
  });

  it('trains bit-identically whether zeroGrad recycles the gradients or not', () => {
    const run = (recycle: boolean): number[] => {
      manualSeed(5);
      const model = nn.mlp([4, 32, 32, 3]);
      const optimizer = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
      const x = tensor(Array.from({ length: 16 }, (_, i) => [Math.sin(i), Math.cos(i), Math.sin(3 * i), Math.cos(2 * i)]));
      const targets = Array.from({ length: 16 }, (_, i) => i % 3);
      const losses: number[] = [];
      for (let step = 0; step < 25; step++) {
        optimizer.zeroGrad();
        if (!recycle) clearBufferPool();
        const loss = nn.crossEntropy(model.forward(x), targets);
        loss.backward();
        optimizer.step();
        losses.push(loss.item());
      }
      return losses;
    };
    expect(run(true)).toEqual(run(false));
  });
});
