import { afterEach, describe, expect, it } from 'vitest';
import { guards, manualSeed, nn, tensor, type Tensor } from '../src/index.js';
import { clearBufferPool, releaseBuffer, takeBuffer } from '../src/tensor/pool.js';
import { expectAllClose } from './helpers.js';

/*
 * The engine recycles the gradient buffers a backward pass has finished with. Recycling is only
 * correct if no buffer still in use is ever handed out again: these tests hold on to every kind
 * of buffer a user can see and check that later forward and backward passes leave it alone.
 */

afterEach(() => clearBufferPool());

function snapshot(data: ArrayLike<number>): number[] {
  return Array.from(data);
}

function chain(): { x: Tensor; model: nn.Sequential } {
  manualSeed(3);
  const model = new nn.Sequential(new nn.Linear(16, 32), new nn.ReLU(), new nn.Linear(32, 32), new nn.ReLU(), new nn.Linear(32, 24)); // [8,24]: a size no other buffer has
  return { x: tensor(Array.from({ length: 8 }, (_, i) => Array.from({ length: 16 }, (_, j) => Math.sin(i * 16 + j))), { requiresGrad: true }), model };
}

describe('the buffer pool', () => {
  it('hands back a released buffer zero-filled, only for the same dtype and length', () => {
    const buffer = new Float32Array(128).fill(7);
    releaseBuffer(buffer);
    expect(takeBuffer('float64', 128)).toBeUndefined();
    expect(takeBuffer('float32', 127)).toBeUndefined();
    const taken = takeBuffer('float32', 128);
    expect(taken).toBe(buffer);
    expect(snapshot(taken!)).toEqual(new Array<number>(128).fill(0));
    expect(takeBuffer('float32', 128)).toBeUndefined();
  });

  it('never pools views into a larger buffer, nor small buffers', () => {
    const whole = new Float32Array(256);
    releaseBuffer(whole.subarray(0, 128));
    releaseBuffer(new Float32Array(8));
    expect(takeBuffer('float32', 128)).toBeUndefined();
    expect(takeBuffer('float32', 8)).toBeUndefined();
  });

  it('pools from 65 bytes: smaller typed arrays live in V8\'s heap and are cheap to make', () => {
    releaseBuffer(new Float32Array(16)); // 64 bytes
    releaseBuffer(new Float64Array(8));
    expect(takeBuffer('float32', 16)).toBeUndefined();
    expect(takeBuffer('float64', 8)).toBeUndefined();
    const float32 = new Float32Array(17); // 68 bytes
    const float64 = new Float64Array(9); // 72 bytes
    releaseBuffer(float32);
    releaseBuffer(float64);
    expect(takeBuffer('float32', 17)).toBe(float32);
    expect(takeBuffer('float64', 9)).toBe(float64);
  });

  it('holds at most 32 MB', () => {
    const size = 1024 * 1024; // 4 MB each
    for (let i = 0; i < 12; i++) releaseBuffer(new Float32Array(size));
    let taken = 0;
    while (takeBuffer('float32', size) !== undefined) taken++;
    expect(taken).toBe(8);
  });

  it('is fed by backward with the [8,32] activation gradients it finished with, never with leaf gradients', () => {
    const { x, model } = chain();
    model.forward(x).sum().backward();
    expect(takeBuffer('float32', 8 * 32)).toBeDefined();
    const leafGradients = new Set<unknown>([x.grad!.data, ...model.parameters().map((p) => p.grad!.data)]);
    for (const size of [8 * 16, 32 * 16, 32 * 32, 32, 24 * 32, 24]) {
      for (let buffer = takeBuffer('float32', size); buffer !== undefined; buffer = takeBuffer('float32', size)) {
        expect(leafGradients.has(buffer)).toBe(false);
      }
    }
  });
});

describe('backward never recycles a buffer someone can still see', () => {
  it('keeps leaf gradients, retained gradients and hook arguments intact through later passes', () => {
    const { x, model } = chain();
    const hidden = model.forward(x);
    hidden.retainGrad();
    const seen: Float32Array[] = [];
    hidden.registerHook((grad) => void seen.push(grad.data as Float32Array));
    hidden.pow(2).sum().backward();
    const kept = [x.grad!, hidden.grad!, ...model.parameters().map((p) => p.grad!)];
    const before = kept.map((t) => snapshot(t.data));
    const hookBefore = seen.map(snapshot);
    for (let i = 0; i < 5; i++) {
      const other = chain();
      other.model.forward(other.x).exp().sum().backward(); // allocates and frees buffers of the same sizes
    }
    expect(kept.map((t) => snapshot(t.data))).toEqual(before);
    expect(seen.map(snapshot)).toEqual(hookBefore);
  });

  it('does not recycle a gradient that add passed through to its inputs', () => {
    const aValues = Array.from({ length: 128 }, (_, i) => i / 128 - 0.5);
    const bValues = Array.from({ length: 128 }, (_, i) => Math.cos(i));
    const a = tensor(aValues, { requiresGrad: true, dtype: 'float64' });
    const b = tensor(bValues, { requiresGrad: true, dtype: 'float64' });
    a.mul(b).add(b.exp()).sum().backward(); // add hands its incoming gradient to both of its inputs
    expectAllClose(a.grad!.data, bValues, { rtol: 1e-12 }); // d/da = b
    expectAllClose(b.grad!.data, aValues.map((v, i) => v + Math.exp(bValues[i]!)), { rtol: 1e-12 }); // d/db = a + e^b
    const gradA = snapshot(a.grad!.data);
    const gradB = snapshot(b.grad!.data);
    for (let i = 0; i < 3; i++) {
      const c = tensor(bValues, { requiresGrad: true, dtype: 'float64' });
      c.mul(c).add(c.exp()).sum().backward(); // frees float64 buffers of 128 elements
    }
    expect(snapshot(a.grad!.data)).toEqual(gradA);
    expect(snapshot(b.grad!.data)).toEqual(gradB);
  });

  it('trains bit-identically with the pool as without it', () => {
    const run = (usePool: boolean): number[] => {
      manualSeed(11);
      const model = new nn.Sequential(new nn.Linear(4, 64), new nn.ReLU(), new nn.Linear(64, 64), new nn.ReLU(), new nn.Linear(64, 3));
      const x = tensor(Array.from({ length: 32 }, (_, i) => [Math.sin(i), Math.cos(i), Math.sin(2 * i), Math.cos(3 * i)]));
      const targets = Array.from({ length: 32 }, (_, i) => i % 3);
      const losses: number[] = [];
      for (let step = 0; step < 30; step++) {
        for (const p of model.parameters()) p.grad = null;
        const loss = nn.crossEntropy(model.forward(x), targets);
        loss.backward({ guards: [guards.nanTrap(), guards.globalNormClip({ maxNorm: 1 })] });
        for (const p of model.parameters()) p.data.forEach((v, i) => (p.data[i] = v - 0.1 * p.grad!.data[i]!));
        losses.push(loss.item());
        if (!usePool) clearBufferPool();
      }
      return losses;
    };
    expect(run(true)).toEqual(run(false));
  });
});
