/**
 * Property test of the loader on damaged files: flip random bytes of a valid checkpoint and
 * load it. Either the load succeeds and the model holds exactly the values stored at the
 * header's offsets of the damaged file, or it throws a CheckpointError and the model and the
 * optimizer are unchanged. Never a crash with another error type, a hang, or a half-load.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CheckpointError, loadCheckpointBytes, manualSeed, nn, optim, saveCheckpointBytes, type Tensor } from '../src/index.js';
import { bitsOf, readRaw, stateBits } from './checkpoint-helpers.js';

const RUNS = 600;

function trainedPair(seed: number): { model: nn.Sequential; optimizer: optim.Adam } {
  manualSeed(seed);
  const model = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Linear(4, 2));
  const optimizer = new optim.Adam(model.parameters(), { lr: 0.01 });
  for (const p of model.parameters()) p.grad = p.detach().mul(0.5);
  optimizer.step();
  return { model, optimizer };
}

/** The bytes each model tensor occupies in `file`, read by the spec's layout (independent of src/checkpoint). */
function storedBits(file: Uint8Array, original: Uint8Array, names: readonly string[]): Record<string, number[]> {
  const { header } = readRaw(original); // offsets of the undamaged file: a successful load cannot have moved them
  const dataStart = file.length - readRaw(original).data.length;
  const out: Record<string, number[]> = {};
  for (const name of names) {
    const [begin, end] = (header[name] as { data_offsets: [number, number] }).data_offsets;
    out[name] = [...file.subarray(dataStart + begin, dataStart + end)];
  }
  return out;
}

function optimizerBits(optimizer: optim.Adam): string {
  return JSON.stringify(optimizer.stateDict(), (_key, value: unknown) =>
    value !== null && typeof value === 'object' && 'data' in value ? bitsOf(value as Tensor) : value);
}

describe('loadCheckpointBytes on randomly damaged files', () => {
  const source = trainedPair(1);
  const original = saveCheckpointBytes({ model: source.model, optimizer: source.optimizer, step: 7 });
  const names = Object.keys(source.model.stateDict());

  it(`either loads exactly the stored values or throws a CheckpointError and changes nothing (${RUNS} files)`, () => {
    let loaded = 0;
    let rejected = 0;
    fc.assert(
      fc.property(
        fc.array(fc.record({ index: fc.nat({ max: original.length - 1 }), mask: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 4 }),
        (flips) => {
          const file = original.slice();
          for (const { index, mask } of flips) file[index] = file[index]! ^ mask;
          const target = trainedPair(2);
          const modelBefore = stateBits(target.model.stateDict());
          const optimizerBefore = optimizerBits(target.optimizer);
          try {
            loadCheckpointBytes(file, { model: target.model, optimizer: target.optimizer });
          } catch (error) {
            expect(error).toBeInstanceOf(CheckpointError);
            expect(stateBits(target.model.stateDict())).toEqual(modelBefore);
            expect(optimizerBits(target.optimizer)).toEqual(optimizerBefore);
            rejected++;
            return;
          }
          expect(stateBits(target.model.stateDict())).toEqual(storedBits(file, original, names));
          loaded++;
        },
      ),
      { numRuns: RUNS, seed: 20261129 },
    );
    console.log(`checkpoint fuzz: ${RUNS} damaged files, ${loaded} loaded consistently, ${rejected} rejected with a CheckpointError`);
    expect(loaded + rejected).toBe(RUNS);
    expect(rejected).toBeGreaterThan(0);
  });

  it('rejects every truncation of a valid file', () => {
    for (let length = 0; length < original.length; length += 7) {
      const target = trainedPair(3);
      const before = stateBits(target.model.stateDict());
      expect(() => loadCheckpointBytes(original.subarray(0, length), { model: target.model })).toThrow(CheckpointError);
      expect(stateBits(target.model.stateDict())).toEqual(before);
    }
  });
});
