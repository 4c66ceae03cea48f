import { afterEach, describe, expect, it } from 'vitest';
import { Generator, setKernelBackend } from '../src/index.js';
import { weightAndUpdateLoop } from '../src/tensor/kernels/update-size.js';
import { UpdateMeter, recordUpdateSize, updateSizeWanted } from '../src/tensor/kernels/update-meter.js';
import { STATS_WASM_THRESHOLD } from '../src/tensor/wasm/backend.js';
import { ResidentCopies } from '../src/tensor/wasm/resident.js';
import { fullGc } from './gc.js';

/*
 * The monitor's ‖W‖ and ‖ΔW‖: `UpdateMeter` keeps a copy of each buffer and, at each measurement,
 * gives Σw² and Σ(w − copy)², then refreshes the copy. Large float32 buffers keep their copy in a
 * WebAssembly memory of their own (`ResidentCopies`), summed in float32 chunks there (float64 in
 * TypeScript). With versions, an optimizer's own measure of its step replaces the copy.
 */

const generator = new Generator(21);

function random(size: number, scale = 1): Float32Array {
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = (generator.uniform() * 2 - 1) * scale;
  return data;
}

/** Σw² and Σ(w − before)² in float64 by the definition. */
function reference(w: Float32Array | Float64Array, before: Float32Array | Float64Array): { weight: number; update: number } {
  let weight = 0;
  let update = 0;
  w.forEach((v, i) => {
    weight += v * v;
    update += (v - before[i]!) ** 2;
  });
  return { weight, update };
}

function expectRelative(actual: number, expected: number, tolerance: number, what: string): void {
  expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(tolerance * Math.abs(expected));
}

/** Relative error of the WebAssembly sums: squares summed in float32 chunks (~1e-7, as PyTorch's float32 norm). */
const FLOAT32_SUMS = 1e-6;

afterEach(() => setKernelBackend('auto'));

describe('weightAndUpdateLoop', () => {
  it('gives Σw² and Σ(w − previous)² in float64 and refreshes the copy', () => {
    const w = random(1001);
    const previous = w.map((v) => v - 0.01);
    const expected = reference(w, previous);
    const measured = weightAndUpdateLoop(w, previous);
    expectRelative(measured.weight, expected.weight, 1e-12, 'Σw²');
    expectRelative(measured.update, expected.update, 1e-12, 'Σ(Δw)²');
    expect(Array.from(previous)).toEqual(Array.from(w));
  });
});

describe('ResidentCopies', () => {
  it('measures against the kept copy and refreshes it, over several keys of every length around the block', () => {
    const store = ResidentCopies.create()!;
    const lengths = [1, 7, 8, 9, 512, 513, 1000, 4099];
    const keys = lengths.map(() => ({}));
    const weights = lengths.map((n) => random(n));
    keys.forEach((key, i) => store.keep(key, weights[i]!));
    for (let step = 0; step < 3; step++) {
      keys.forEach((key, i) => {
        const before = weights[i]!.slice();
        const after = before.map((v) => v + (generator.uniform() - 0.5) * 1e-3);
        const expected = reference(after, before);
        const measured = store.measure(key, after)!;
        expectRelative(measured.weight, expected.weight, FLOAT32_SUMS, `Σw², length ${lengths[i]}, step ${step}`);
        expectRelative(measured.update, expected.update, FLOAT32_SUMS, `Σ(Δw)², length ${lengths[i]}, step ${step}`);
        weights[i] = after;
      });
    }
    // each copy now equals the last weights: a measurement of the same values gives a zero update
    keys.forEach((key, i) => expect(store.measure(key, weights[i]!)!.update).toBe(0));
  });

  it('answers undefined for an unknown key or a changed length, and a re-kept key measures against its new copy', () => {
    const store = ResidentCopies.create()!;
    const key = {};
    expect(store.measure(key, random(600))).toBeUndefined();
    store.keep(key, random(600));
    expect(store.measure(key, random(700))).toBeUndefined();
    const fresh = random(700);
    store.keep(key, fresh);
    expect(store.measure(key, fresh)).toEqual({ weight: expect.any(Number), update: 0 });
  });

  it('keeps a weight whose square exceeds float32\'s range finite (the float64 kernel takes over), and refreshes the copy', () => {
    const store = ResidentCopies.create()!;
    const key = {};
    const before = random(1024);
    store.keep(key, before);
    const after = before.slice();
    after[100] = 1e20; // finite in float32, its square is not
    const expected = reference(after, before);
    const measured = store.measure(key, after)!;
    expect(Number.isFinite(measured.weight)).toBe(true);
    expectRelative(measured.weight, expected.weight, 1e-12, 'Σw²');
    expectRelative(measured.update, expected.update, 1e-12, 'Σ(Δw)²');
    expect(store.measure(key, after)!.update).toBe(0);
  });

  it('measures tiny weights and tiny moves exactly (float32 squares of them are subnormal: the float64 loop takes over)', () => {
    const store = ResidentCopies.create()!;
    for (const [scale, move] of [[1e-22, 1e-26], [1e-13, 1e-20]] as const) {
      const key = {};
      const before = random(1024, scale);
      store.keep(key, before);
      const after = before.map((v, i) => v + (i % 2 === 0 ? move : -move));
      const expected = reference(after, before);
      expect(expected.update, `scale ${scale}`).toBeGreaterThan(0);
      const measured = store.measure(key, after)!;
      expectRelative(measured.weight, expected.weight, 1e-12, `Σw², scale ${scale}`);
      expectRelative(measured.update, expected.update, 1e-12, `Σ(Δw)², scale ${scale}`);
    }
  });

  it('gives the copy back with take()', () => {
    const store = ResidentCopies.create()!;
    const key = {};
    const data = random(900);
    store.keep(key, data);
    expect(Array.from(store.take(key)!)).toEqual(Array.from(data));
    expect(store.measure(key, data)).toBeUndefined();
  });
});

describe('UpdateMeter', () => {
  it('agrees with the definition on both kernel paths, for large and small float32 and for float64 buffers', () => {
    for (const backend of ['ts', 'auto'] as const) {
      setKernelBackend(backend);
      const meter = new UpdateMeter();
      const buffers = [random(4096), random(STATS_WASM_THRESHOLD - 1), Float64Array.from(random(3000))];
      buffers.forEach((data) => meter.remember(data, data));
      for (const data of buffers) {
        const before = data.slice();
        for (let i = 0; i < data.length; i++) data[i] = data[i]! - 0.001 * data[i]!;
        const expected = reference(data, before);
        const measured = meter.measure(data, data);
        const onWasm = backend === 'auto' && data instanceof Float32Array && data.length >= STATS_WASM_THRESHOLD;
        const tolerance = onWasm ? FLOAT32_SUMS : 1e-12;
        expectRelative(measured.weight, expected.weight, tolerance, `${backend} Σw² of ${data.length}`);
        expectRelative(measured.update, expected.update, tolerance, `${backend} Σ(Δw)² of ${data.length}`);
      }
    }
  });

  it('gives a NaN update for a buffer it never kept, and keeps a first copy only once', () => {
    const meter = new UpdateMeter();
    const data = random(2048);
    expect(meter.measure(data, data).update).toBeNaN();
    meter.remember(data, data);
    const original = data.slice();
    data[0] = data[0]! + 1;
    meter.remember(data, data); // already kept: the copy stays the original
    expectRelative(meter.measure(data, data).update, reference(data, original).update, 1e-12, 'Σ(Δw)²');
  });

  it('moves a copy kept on WebAssembly to TypeScript when the TypeScript path is chosen later', () => {
    const meter = new UpdateMeter();
    const data = random(4096);
    meter.remember(data, data);
    const before = data.slice();
    data[5] = data[5]! + 0.5;
    setKernelBackend('ts');
    const measured = meter.measure(data, data);
    expectRelative(measured.update, reference(data, before).update, 1e-12, 'Σ(Δw)² after the switch'); // float64, exact
    expect(meter.measure(data, data).update).toBe(0);
  });
});

describe('UpdateMeter with versions: the optimizer\'s own measure', () => {
  it('stops asking once the meter is garbage', async () => {
    const key = random(600);
    ((): void => new UpdateMeter().remember(key, key, 0))(); // the meter is unreachable after this line
    await fullGc();
    expect(updateSizeWanted(key)).toBe(false);
  });

  it('asks optimizers to measure only the keys it watches with a version', () => {
    const meter = new UpdateMeter();
    const [watched, copiedOnly, other] = [random(600), random(600), random(600)];
    meter.remember(watched, watched, 0);
    meter.remember(copiedOnly, copiedOnly);
    expect([updateSizeWanted(watched), updateSizeWanted(copiedOnly), updateSizeWanted(other)]).toEqual([true, false, false]);
  });

  it('takes the recorded figures when that step is the one change since the last measurement', () => {
    const meter = new UpdateMeter();
    const data = random(2048);
    meter.remember(data, data, 3);
    data[0] = data[0]! + 1; // the step itself (its figures below are the optimizer's, not these values')
    recordUpdateSize(data, { weight: 123, update: 7 }, 3, 4);
    expect(meter.measure(data, data, 4)).toEqual({ weight: 123, update: 7 });
  });

  it('compares with its copy when the recorded step does not start at the last measurement', () => {
    const meter = new UpdateMeter();
    const data = random(2048);
    const before = data.slice();
    meter.remember(data, data, 0);
    for (let i = 0; i < data.length; i++) data[i] = data[i]! * 0.99;
    recordUpdateSize(data, { weight: 123, update: 7 }, 5, 6); // another buffer history: not this change
    const measured = meter.measure(data, data, 1);
    expectRelative(measured.update, reference(data, before).update, FLOAT32_SUMS, 'Σ(Δw)² from the copy');
  });

  it('reports an unknown update (NaN) once after a change no optimizer measured, then measures again', () => {
    const meter = new UpdateMeter();
    const data = random(2048);
    meter.remember(data, data, 0);
    recordUpdateSize(data, { weight: 10, update: 1 }, 0, 1);
    expect(meter.measure(data, data, 1)).toEqual({ weight: 10, update: 1 }); // the copy is stale from here on
    expect(meter.measure(data, data, 1)).toEqual({ weight: 10, update: 0 }); // no write since: no movement
    data[3] = data[3]! + 0.5; // e.g. a rollback restoring weights: version 2, no optimizer figures
    const unknown = meter.measure(data, data, 2);
    expect(unknown.update).toBeNaN();
    expectRelative(unknown.weight, reference(data, data).weight, FLOAT32_SUMS, 'Σw² still measured');
    const before = data.slice();
    data[7] = data[7]! - 0.25;
    expectRelative(meter.measure(data, data, 3).update, reference(data, before).update, FLOAT32_SUMS, 'measured against the refreshed copy');
  });
});

