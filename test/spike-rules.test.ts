import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../src/errors.js';
import { RingBuffer } from '../src/guards/ring.js';
import { spikeDetection, zScoreSpike } from '../src/guards/spike.js';
import { Generator } from '../src/tensor/rng.js';

describe('RingBuffer', () => {
  it('keeps the newest items in order and drops the oldest once full', () => {
    const ring = new RingBuffer<number>(3);
    for (const x of [1, 2, 3, 4, 5]) ring.push(x);
    expect(ring.toArray()).toEqual([3, 4, 5]);
    expect(ring.length).toBe(3);
    expect(ring.pushed).toBe(5);
    expect(ring.at(0)).toBe(3);
    expect(ring.at(-1)).toBe(5);
    expect(ring.last()).toBe(5);
    expect(ring.at(3)).toBeUndefined();
  });

  it('is empty at first and after clear', () => {
    const ring = new RingBuffer<string>(2);
    expect(ring.toArray()).toEqual([]);
    expect(ring.last()).toBeUndefined();
    ring.push('a');
    ring.clear();
    expect(ring.length).toBe(0);
    ring.push('b');
    expect(ring.toArray()).toEqual(['b']);
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new RingBuffer(0)).toThrow(ArgumentError);
    expect(() => new RingBuffer(1.5)).toThrow(/capacity must be a positive integer/);
  });
});

describe("Lightning's spike rule", () => {
  it('flags a value at or above (1 + rtol) × the window mean, and not one just below', () => {
    // window mean of [1, 1, 1] is 1; rtol 2 → a spike needs |x − 1| ≥ 2, so x ≥ 3.
    const below = spikeDetection({ window: 3 });
    for (const x of [1, 1, 1]) expect(below.observe(x)).toBeNull();
    expect(below.observe(2.99)).toBeNull();
    const at = spikeDetection({ window: 3 });
    for (const x of [1, 1, 1]) at.observe(x);
    const event = at.observe(3);
    expect(event).not.toBeNull();
    expect(event!.score).toBeCloseTo(2, 12); // |3 − 1| / 1
    expect(event!.rule).toBe('lightning');
  });

  it('never flags an improvement over the previous accepted value', () => {
    const detector = spikeDetection({ window: 2, rtol: 0.01 });
    for (const x of [10, 9, 8, 1, 0.5]) expect(detector.observe(x)).toBeNull();
  });

  it('requires both atol and rtol when both are given', () => {
    const make = () => {
      const detector = spikeDetection({ window: 2, atol: 5, rtol: 0.5 });
      detector.observe(2);
      detector.observe(2);
      // |4 − 2| = 2 reaches rtol·2 = 1 but not atol 5: accepted, the window becomes [2, 4] (mean 3)
      expect(detector.observe(4)).toBeNull();
      return detector;
    };
    expect(make().observe(7.9)).toBeNull(); // |7.9 − 3| = 4.9 < 5
    expect(make().observe(8.1)).not.toBeNull(); // |8.1 − 3| = 5.1 ≥ 5 and ≥ 0.5·3
  });

  it('treats every non-finite value as a spike, even during warm-up, and keeps it out of the window', () => {
    const detector = spikeDetection({ window: 3, warmup: 5 });
    expect(detector.observe(NaN)!.score).toBe(Infinity);
    expect(detector.observe(Infinity)).not.toBeNull();
    expect(detector.observe(1)).toBeNull();
    expect(detector.runningMean).toBe(1);
  });

  it('does not add spikes to the running mean', () => {
    const detector = spikeDetection({ window: 4 });
    for (const x of [1, 1]) detector.observe(x);
    detector.observe(100);
    expect(detector.runningMean).toBe(1);
  });

  it('records the batch and the one before it, as Lightning does, and lists bad batches once each', () => {
    const detector = spikeDetection({ window: 3 });
    detector.observe(1, { batch: 0 });
    detector.observe(1, { batch: 1 });
    expect(detector.observe(50, { batch: 2 })!.batches).toEqual([1, 2]);
    expect(detector.observe(60, { batch: 3 })!.batches).toEqual([2, 3]);
    expect(detector.badBatches()).toEqual([1, 2, 3]);
    const explicit = spikeDetection({ window: 3, excludePrevious: false });
    explicit.observe(1);
    expect(explicit.observe(9, { batch: [40, 41] })!.batches).toEqual([40, 41]);
  });

  it("in mode 'max' flags drops instead of rises", () => {
    const detector = spikeDetection({ mode: 'max', window: 3, rtol: 0.5 });
    for (const x of [0.9, 0.9, 0.9]) detector.observe(x);
    expect(detector.observe(2)).toBeNull();
    expect(detector.observe(0.3)).not.toBeNull(); // |0.3 − 0.9| = 0.6 ≥ 0.45
  });
});

describe('z-score spike rule', () => {
  it('computes z from the warm-up mean and population standard deviation', () => {
    const detector = zScoreSpike({ warmup: 4, threshold: 3 });
    for (const x of [1, 2, 3, 4]) expect(detector.observe(x)).toBeNull();
    // mean 2.5, population variance 1.25 → σ = 1.1180…; z(6) = 3.5/1.118 = 3.13 > 3
    const sigma = Math.sqrt(1.25);
    const event = detector.observe(6);
    expect(event).not.toBeNull();
    expect(event!.score).toBeCloseTo(3.5 / sigma, 12);
  });

  it('does not flag a value just below the threshold', () => {
    const detector = zScoreSpike({ warmup: 4, threshold: 3 });
    for (const x of [1, 2, 3, 4]) detector.observe(x);
    expect(detector.observe(2.5 + 2.99 * Math.sqrt(1.25))).toBeNull();
  });

  it('updates mean and variance by exponential averaging after warm-up', () => {
    const alpha = 0.9;
    const detector = zScoreSpike({ warmup: 2, alpha, threshold: 100 });
    detector.observe(1);
    detector.observe(3); // mean 2, variance 1
    detector.observe(4);
    const mean = alpha * 2 + (1 - alpha) * 4;
    const variance = alpha * 1 + (1 - alpha) * (4 - 2) ** 2;
    expect(detector.statistics.mean).toBeCloseTo(mean, 12);
    expect(detector.statistics.std).toBeCloseTo(Math.sqrt(variance), 12);
  });

  it('folds a spike in clipped to mean + threshold·σ', () => {
    const alpha = 0.5;
    const detector = zScoreSpike({ warmup: 2, alpha, threshold: 2 });
    detector.observe(1);
    detector.observe(3); // mean 2, σ 1
    expect(detector.observe(1000)).not.toBeNull();
    const clipped = 2 + 2 * 1;
    expect(detector.statistics.mean).toBeCloseTo(alpha * 2 + (1 - alpha) * clipped, 12);
  });

  it('raises no event on a smooth, noisy, decreasing 1,000-step curve but flags a 100× jump at once', () => {
    const gen = new Generator(7);
    const z = zScoreSpike();
    const lightning = spikeDetection();
    let spikes = 0;
    for (let step = 0; step < 1000; step++) {
      const loss = 2 * Math.exp(-step / 300) + 0.1 + 0.01 * (gen.uniform() - 0.5);
      if (z.observe(loss) !== null) spikes++;
      if (lightning.observe(loss) !== null) spikes++;
    }
    expect(spikes).toBe(0);
    const last = 2 * Math.exp(-1000 / 300) + 0.1;
    expect(z.observe(100 * last, { step: 1000 })?.step).toBe(1000);
    expect(lightning.observe(100 * last, { step: 1000 })?.step).toBe(1000);
  });

  it('does not call a flat series spiky because of rounding', () => {
    const detector = zScoreSpike({ warmup: 3 });
    for (let i = 0; i < 10; i++) detector.observe(1);
    expect(detector.observe(1 + 1e-9)).toBeNull();
  });

  it('rejects bad options with ArgumentError', () => {
    expect(() => zScoreSpike({ alpha: 1 })).toThrow(ArgumentError);
    expect(() => zScoreSpike({ threshold: 0 })).toThrow(ArgumentError);
    expect(() => spikeDetection({ window: 0 })).toThrow(ArgumentError);
    expect(() => spikeDetection({ warmup: -1 })).toThrow(ArgumentError);
  });
});
