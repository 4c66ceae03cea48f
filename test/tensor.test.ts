import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Generator, arange, full, manualSeed, ones, rand, randn, tensor, zeros } from '../src/index.js';
import { expectAllClose } from './helpers.js';

describe('creation', () => {
  it('tensor() reads nested arrays into row-major float32 with the inferred shape', () => {
    const t = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('float32');
    expect(t.data).toBeInstanceOf(Float32Array);
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(t.size).toBe(6);
    expect(t.ndim).toBe(2);
    expect(t.requiresGrad).toBe(false);
    expect(t.grad).toBeNull();
  });

  it('tensor() of a number is 0-d with size 1', () => {
    const t = tensor(3);
    expect(t.shape).toEqual([]);
    expect(t.size).toBe(1);
    expect(t.ndim).toBe(0);
    expect(t.item()).toBe(3);
  });

  it('tensor() copies a typed array, keeps its dtype, and takes a shape (1-D by default)', () => {
    const source = new Float64Array([1, 2, 3, 4, 5, 6]);
    const t = tensor(source, { shape: [3, 2] });
    expect(t.dtype).toBe('float64');
    expect(t.shape).toEqual([3, 2]);
    source[0] = 99;
    expect(t.data[0]).toBe(1);
    expect(tensor(new Float32Array(4)).shape).toEqual([4]);
    expect(tensor(new Float32Array([1.5]), { dtype: 'float64' }).dtype).toBe('float64');
  });

  it('tensor() honours dtype, requiresGrad and an explicit shape for nested arrays', () => {
    const t = tensor([1, 2, 3, 4], { dtype: 'float64', requiresGrad: true, shape: [2, 2] });
    expect(t.dtype).toBe('float64');
    expect(t.requiresGrad).toBe(true);
    expect(t.toArray()).toEqual([[1, 2], [3, 4]]);
  });

  it('tensor() rounds values to float32 by default', () => {
    expect(tensor([0.1]).data[0]).toBe(Math.fround(0.1));
    expect(tensor([0.1], { dtype: 'float64' }).data[0]).toBe(0.1);
  });

  it('zeros, ones and full fill the shape with one value', () => {
    expect(Array.from(zeros([2, 2]).data)).toEqual([0, 0, 0, 0]);
    expect(Array.from(ones([3]).data)).toEqual([1, 1, 1]);
    const f = full([2, 1], 2.5, { dtype: 'float64', requiresGrad: true });
    expect(f.toArray()).toEqual([[2.5], [2.5]]);
    expect(f.dtype).toBe('float64');
    expect(f.requiresGrad).toBe(true);
    expect(zeros([]).shape).toEqual([]);
    expect(zeros([0, 3]).size).toBe(0);
  });

  it('arange(end) and arange(start, end, step) count as Python range does', () => {
    expect(Array.from(arange(4).data)).toEqual([0, 1, 2, 3]);
    expect(Array.from(arange(2, 5).data)).toEqual([2, 3, 4]);
    expect(Array.from(arange(1, 2, 0.25).data)).toEqual([1, 1.25, 1.5, 1.75]);
    expect(Array.from(arange(5, 0, -2).data)).toEqual([5, 3, 1]);
    expect(arange(3, 3).size).toBe(0);
  });

  it('rand() draws from [0, 1) and randn() from a standard normal', () => {
    manualSeed(3);
    const u = rand([20000], { dtype: 'float64' });
    const min = Math.min(...u.data);
    const max = Math.max(...u.data);
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(u.mean().item()).toBeCloseTo(0.5, 2);
    const n = randn([20000], { dtype: 'float64' });
    const mean = n.mean().item();
    const variance = n.sub(mean).pow(2).mean().item();
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.04);
  });
});

describe('random generator', () => {
  it('gives the same numbers for the same seed and different numbers for another', () => {
    manualSeed(42);
    const a = randn([5]);
    const ua = rand([5]);
    manualSeed(42);
    const b = randn([5]);
    const ub = rand([5]);
    manualSeed(43);
    const c = randn([5]);
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
    expect(Array.from(ub.data)).toEqual(Array.from(ua.data));
    expect(Array.from(c.data)).not.toEqual(Array.from(a.data));
  });

  it('runs the published xoshiro128** step: state (1, 2, 3, 4) gives 11520, 0, 5927040', () => {
    // Worked by hand from Blackman & Vigna's reference: result = rotl(s1·5, 7)·9, then the state update.
    const gen = new Generator(0);
    gen.setState([1, 2, 3, 4, 0, 0]);
    expect([gen.nextUint32(), gen.nextUint32(), gen.nextUint32()]).toEqual([11520, 0, 5927040]);
  });

  it('restores a stream from getState()', () => {
    const gen = new Generator(9);
    gen.normal();
    const state = gen.getState();
    const next = [gen.normal(), gen.uniform(), gen.normal()];
    const copy = new Generator(0);
    copy.setState(state);
    expect([copy.normal(), copy.uniform(), copy.normal()]).toEqual(next);
  });

  it('permutation() returns every index once', () => {
    const p = new Generator(5).permutation(50);
    expect(Array.from(p).sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});

describe('dtype promotion (PyTorch rules)', () => {
  const f32 = tensor([1, 2]);
  const f64 = tensor([1, 2], { dtype: 'float64' });

  it('float32 with float64 gives float64, in either order', () => {
    expect(f32.add(f64).dtype).toBe('float64');
    expect(f64.mul(f32).dtype).toBe('float64');
    expect(tensor([[1, 2]]).matmul(tensor([[1], [2]], { dtype: 'float64' })).dtype).toBe('float64');
  });

  it('a 0-d tensor or a plain number takes the dimensioned operand dtype', () => {
    expect(f32.add(tensor(2, { dtype: 'float64' })).dtype).toBe('float32');
    expect(tensor(2, { dtype: 'float64' }).sub(f32).dtype).toBe('float32');
    expect(f32.mul(2).dtype).toBe('float32');
    expect(f64.div(3).dtype).toBe('float64');
  });

  it('two 0-d tensors promote as usual', () => {
    expect(tensor(1).add(tensor(2, { dtype: 'float64' })).dtype).toBe('float64');
  });

  it('computes a promoted op in float64 (no float32 rounding of the float64 operand)', () => {
    const y = tensor([1]).mul(tensor([0.1], { dtype: 'float64' }));
    expect(y.item()).toBe(0.1);
  });
});

describe('0-d tensors', () => {
  it('come out of every full reduction', () => {
    const x = tensor([[1, 2], [3, 4]]);
    expect(x.sum().shape).toEqual([]);
    expect(x.mean().shape).toEqual([]);
    expect(x.max().shape).toEqual([]);
    expect(x.sum().size).toBe(1);
  });

  it('broadcast against any shape and receive a summed gradient', () => {
    const s = tensor(2, { requiresGrad: true });
    const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    x.mul(s).sum().backward();
    expect(s.grad!.shape).toEqual([]);
    expect(s.grad!.item()).toBe(10);
    expectAllClose(x.grad!, [[2, 2], [2, 2]]);
  });

  it('reduce along axis 0 or -1 as if they had one axis of length 1 (PyTorch)', () => {
    const s = tensor(3, { requiresGrad: true });
    for (const y of [s.sum(0), s.sum(-1, true), s.mean(0), s.max(-1), s.max(0, true)]) {
      expect(y.shape).toEqual([]);
      expect(y.item()).toBe(3);
    }
    expect(s.softmax().item()).toBe(1);
    expect(s.logSoftmax(0).item()).toBe(0);
    s.max(0).add(s.sum(-1)).backward();
    expect(s.grad!.item()).toBe(2);
  });

  it('start a backward pass without an explicit gradient', () => {
    const s = tensor(3, { requiresGrad: true });
    s.mul(s).backward();
    expect(s.grad!.item()).toBe(6);
  });
});

describe('toString() in torch repr format', () => {
  it.each([
    [tensor([1, 2, 3]), 'tensor([1., 2., 3.])'],
    [tensor([1.5, -2]), 'tensor([ 1.5000, -2.0000])'],
    [tensor([[1, 2], [3, 4]]), 'tensor([[1., 2.],\n        [3., 4.]])'],
    [tensor(3), 'tensor(3.)'],
    [tensor(0.5), 'tensor(0.5000)'],
    [tensor([0, 0]), 'tensor([0., 0.])'],
    [tensor([1, 10000]), 'tensor([1.0000e+00, 1.0000e+04])'],
    [tensor([1e-5, 1]), 'tensor([1.0000e-05, 1.0000e+00])'],
    [tensor([1.5, NaN, Infinity]), 'tensor([1.5000,    nan,    inf])'],
    [tensor([NaN, 1]), 'tensor([nan, 1.])'],
    [tensor([0.03125]), 'tensor([0.0312])'],
    [tensor([]), 'tensor([])'],
    [zeros([2, 0]), 'tensor([], size=[2,0])'],
  ])('prints %s as torch would', (t, expected) => {
    expect(t.toString()).toBe(expected);
  });

  it('prints 3-D tensors with a blank line between matrices', () => {
    const t = tensor([[[1.5, 2], [3, 4]], [[5, 6], [7, 8]]]);
    expect(t.toString()).toBe(
      'tensor([[[1.5000, 2.0000],\n         [3.0000, 4.0000]],\n\n        [[5.0000, 6.0000],\n         [7.0000, 8.0000]]])',
    );
  });

  it('wraps long rows at 80 characters', () => {
    expect(arange(30).toString()).toBe(
      'tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,\n' +
        '        14., 15., 16., 17., 18., 19., 20., 21., 22., 23., 24., 25., 26., 27.,\n' +
        '        28., 29.])',
    );
  });

  it('summarizes tensors of more than 1000 elements with the first and last three', () => {
    expect(zeros([2000]).toString()).toBe('tensor([0., 0., 0.,  ..., 0., 0., 0.])');
    expect(arange(1000, 2200).reshape([40, 30]).toString()).toBe(
      'tensor([[1000., 1001., 1002.,  ..., 1027., 1028., 1029.],\n' +
        '        [1030., 1031., 1032.,  ..., 1057., 1058., 1059.],\n' +
        '        [1060., 1061., 1062.,  ..., 1087., 1088., 1089.],\n' +
        '        ...,\n' +
        '        [2110., 2111., 2112.,  ..., 2137., 2138., 2139.],\n' +
        '        [2140., 2141., 2142.,  ..., 2167., 2168., 2169.],\n' +
        '        [2170., 2171., 2172.,  ..., 2197., 2198., 2199.]])',
    );
  });

  it('adds dtype, requiresGrad and gradFn suffixes', () => {
    expect(tensor([1, 2], { dtype: 'float64' }).toString()).toBe('tensor([1., 2.], dtype=float64)');
    const x = tensor([1, 2], { requiresGrad: true });
    expect(x.toString()).toBe('tensor([1., 2.], requiresGrad=true)');
    expect(x.mul(2).toString()).toBe('tensor([2., 4.], gradFn=mul)');
  });
});

describe('entry point', () => {
  it('reaches no node: or Node built-in module from src/index.ts, so it runs in a browser', () => {
    const root = fileURLToPath(new URL('../src/index.ts', import.meta.url));
    const seen = new Set<string>([root]);
    const queue = [root];
    const external: string[] = [];
    while (queue.length > 0) {
      const file = queue.pop()!;
      const source = readFileSync(file, 'utf8');
      for (const match of source.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
        const specifier = match[1]!;
        if (!specifier.startsWith('.')) {
          if (specifier.startsWith('node:') || builtinModules.includes(specifier)) external.push(`${specifier} (from ${file})`);
          continue;
        }
        const target = resolve(dirname(file), specifier.replace(/\.js$/, '.ts'));
        if (!seen.has(target)) {
          seen.add(target);
          queue.push(target);
        }
      }
    }
    expect(external).toEqual([]);
    expect(seen.size).toBeGreaterThan(10);
  });
});
