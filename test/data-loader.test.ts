import { describe, expect, it } from 'vitest';
import { ArgumentError, Generator, ShapeError, arange, data, manualSeed, tensor } from '../src/index.js';
import { importOptional } from '../src/data/real.js';

describe('data.DataLoader', () => {
  const dataset = { x: arange(20).reshape([10, 2]), y: arange(10) };

  it('yields batches in order, the last one smaller', () => {
    const batches = [...new data.DataLoader(dataset, { batchSize: 4 })];
    expect(batches.map((b) => b.x.shape)).toEqual([[4, 2], [4, 2], [2, 2]]);
    expect(batches.map((b) => Array.from(b.y.data))).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    expect(batches[2]!.x.toArray()).toEqual([[16, 17], [18, 19]]);
  });

  it('drops the incomplete last batch with dropLast', () => {
    const loader = new data.DataLoader(dataset, { batchSize: 4, dropLast: true });
    expect(loader.length).toBe(2);
    expect([...loader].length).toBe(2);
  });

  it('shuffles every epoch anew, visiting each sample once and keeping x and y together', () => {
    manualSeed(1);
    const loader = new data.DataLoader(dataset, { batchSize: 3, shuffle: true });
    const epoch = (): number[] => [...loader].flatMap((b) => Array.from(b.y.data));
    const first = epoch();
    const second = epoch();
    expect([...first].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(first).not.toEqual(second);
    for (const { x, y } of loader) {
      for (let r = 0; r < y.size; r++) expect(x.data[2 * r]).toBe(2 * y.data[r]!);
    }
  });

  it('gives the same order for the same seed', () => {
    const order = (seed: number): number[] =>
      [...new data.DataLoader(dataset, { batchSize: 5, shuffle: true, generator: new Generator(seed) })].flatMap((b) => Array.from(b.y.data));
    expect(order(7)).toEqual(order(7));
    expect(order(7)).not.toEqual(order(8));
  });

  it('copies batches, never the data set', () => {
    const [batch] = new data.DataLoader(dataset, { batchSize: 2 });
    batch!.x.data[0] = 99;
    expect(dataset.x.data[0]).toBe(0);
  });

  it('rejects mismatched rows and a bad batch size', () => {
    expect(() => new data.DataLoader({ x: arange(4), y: arange(3) })).toThrow(ShapeError);
    expect(() => new data.DataLoader(dataset, { batchSize: 0 })).toThrow(ArgumentError);
  });
});

describe('synthetic data sets', () => {
  it('xor gives the four corners with XOR labels', () => {
    const { x, y, classes } = data.xor();
    expect(x.toArray()).toEqual([[0, 0], [0, 1], [1, 0], [1, 1]]);
    expect(y.toArray()).toEqual([0, 1, 1, 0]);
    expect(classes).toBe(2);
  });

  it('spirals lays each class on its own arm of radius 0 to 1', () => {
    manualSeed(2);
    const { x, y, classes } = data.spirals({ samplesPerClass: 50, classes: 4 });
    expect(x.shape).toEqual([200, 2]);
    expect(classes).toBe(4);
    expect(Array.from(y.data.subarray(50, 100)).every((v) => v === 1)).toBe(true);
    const radius = (i: number): number => Math.hypot(x.data[2 * i]!, x.data[2 * i + 1]!);
    expect(radius(0)).toBe(0);
    expect(radius(49)).toBeCloseTo(1, 6);
  });

  it('twoMoons without noise lies on the two half circles', () => {
    const { x, y } = data.twoMoons({ samples: 10, noise: 0 });
    for (let i = 0; i < 10; i++) {
      const [px, py] = [x.data[2 * i]!, x.data[2 * i + 1]!];
      const d = y.data[i] === 0 ? Math.hypot(px, py) : Math.hypot(px - 1, py - 0.5);
      expect(d).toBeCloseTo(1, 6);
    }
  });

  it('blobs scatter around their centres and are seeded', () => {
    manualSeed(3);
    const a = data.blobs({ samples: 90, centers: 3, std: 0.01 });
    manualSeed(3);
    const b = data.blobs({ samples: 90, centers: 3, std: 0.01 });
    expect(Array.from(a.x.data)).toEqual(Array.from(b.x.data));
    expect(Math.abs(a.x.data[0]! - a.x.data[6]!)).toBeLessThan(0.1); // samples 0 and 3 share centre 0
  });
});

describe('real data sets', () => {
  it('loadIris gives the fixed 120 / 30 split, standardised by the training statistics', async () => {
    const { train, test, classNames } = await data.loadIris();
    expect(train.x.shape).toEqual([120, 4]);
    expect(test.x.shape).toEqual([30, 4]);
    expect(classNames).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(Array.from(test.y.data)).toEqual([...Array(10).fill(0), ...Array(10).fill(1), ...Array(10).fill(2)]);
    const column = Array.from({ length: 120 }, (_, i) => train.x.data[i * 4]!);
    expect(column.reduce((a, b) => a + b) / 120).toBeCloseTo(0, 5);
    const raw = await data.loadIris({ standardize: false });
    expect(Array.from(raw.train.x.data.subarray(0, 4))).toEqual(Array.from(tensor([5.1, 3.5, 1.4, 0.2]).data));
  });

  it('a missing optional package says what to install', async () => {
    const missing = 'gradguard-no-such-package';
    await expect(importOptional(missing, 'loadSomething', () => import(missing))).rejects.toThrow(
      /optional package 'gradguard-no-such-package'.*npm install gradguard-no-such-package/,
    );
  });
});
