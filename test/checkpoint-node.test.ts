import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointError, manualSeed } from '../src/index.js';
import * as nn from '../src/nn/index.js';
import { loadCheckpoint, saveCheckpoint, writeFileAtomic, type AtomicWriteIo } from '../src/node.js';
import { nodeIo } from '../src/node/atomic-write.js';
import { readRaw, stateBits, temporaryDirectory, writeRaw } from './checkpoint-helpers.js';

function makeModel(seed: number, hidden = 5): nn.Sequential {
  manualSeed(seed);
  return new nn.Sequential(new nn.Linear(3, hidden), new nn.ReLU(), new nn.Linear(hidden, 2));
}

async function expectLoadFails(path: string, model: nn.Module, message: RegExp): Promise<void> {
  const before = stateBits(model.stateDict());
  const error = await loadCheckpoint(path, { model }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(CheckpointError);
  expect((error as Error).message).toMatch(/^loadCheckpoint: /);
  expect((error as Error).message).toMatch(message);
  expect((error as Error).message).toContain(path);
  expect(stateBits(model.stateDict())).toEqual(before);
}

let dir = '';
let cleanup = (): void => undefined;
beforeEach(() => ({ dir, cleanup } = temporaryDirectory()));
afterEach(() => cleanup());

describe('saveCheckpoint / loadCheckpoint with a model', () => {
  it('restores bit-identical parameters into a freshly initialised model', async () => {
    const path = join(dir, 'model.safetensors');
    const trained = makeModel(1);
    await saveCheckpoint(path, { model: trained });
    const fresh = makeModel(2);
    expect(stateBits(fresh.stateDict())).not.toEqual(stateBits(trained.stateDict()));
    const loaded = await loadCheckpoint(path, { model: fresh });
    expect(stateBits(fresh.stateDict())).toEqual(stateBits(trained.stateDict()));
    expect(loaded.step).toBeUndefined();
  });

  it('copies into the existing parameter tensors, so references held elsewhere see the values', async () => {
    const path = join(dir, 'model.safetensors');
    await saveCheckpoint(path, { model: makeModel(1) });
    const fresh = makeModel(2);
    const parametersBefore = fresh.parameters();
    await loadCheckpoint(path, { model: fresh });
    expect(fresh.parameters()).toEqual(parametersBefore);
    parametersBefore.forEach((p, i) => expect(p).toBe(fresh.parameters()[i]));
  });

  it('names the tensors by their state dict keys with PyTorch dtypes and spec-valid offsets', async () => {
    const path = join(dir, 'model.safetensors');
    const model = makeModel(3);
    await saveCheckpoint(path, { model });
    const { header, data } = readRaw(readFileSync(path));
    const names = Object.keys(header).filter((key) => key !== '__metadata__').sort();
    expect(names).toEqual(['0.bias', '0.weight', '2.bias', '2.weight']);
    expect(header['0.weight']).toMatchObject({ dtype: 'F32', shape: [5, 3] });
    // The tensors tile the data buffer: sorted spans are contiguous from 0 to its end.
    const spans = names.map((name) => (header[name] as { data_offsets: [number, number] }).data_offsets).sort((a, b) => a[0] - b[0]);
    let covered = 0;
    for (const [begin, end] of spans) {
      expect(begin).toBe(covered);
      covered = end;
    }
    expect(covered).toBe(data.length);
    // Values read straight from the bytes, little-endian, equal the model's.
    const [begin] = (header['2.weight'] as { data_offsets: [number, number] }).data_offsets;
    const view = new DataView(data.buffer, data.byteOffset + begin);
    const weight = model.stateDict()['2.weight']!;
    for (let i = 0; i < weight.size; i++) expect(view.getFloat32(i * 4, true)).toBe(weight.data[i]);
  });

  it('returns the step and the caller\'s metadata, with format "pt" as PyTorch tools expect', async () => {
    const path = join(dir, 'model.safetensors');
    await saveCheckpoint(path, { model: makeModel(1), step: 1234, metadata: { run: 'spiral', note: 'ünïcode ✓' } });
    const loaded = await loadCheckpoint(path, { model: makeModel(2) });
    expect(loaded).toEqual({ step: 1234, metadata: { format: 'pt', run: 'spiral', note: 'ünïcode ✓' } });
  });

  it('loads a model-only file written by another safetensors writer (header in any order, no metadata)', async () => {
    const source = makeModel(4);
    const state = source.stateDict();
    const order = ['2.bias', '0.weight', '2.weight', '0.bias'];
    const header: Record<string, unknown> = {};
    const chunks: Uint8Array[] = [];
    let offset = 0;
    for (const name of order) {
      const t = state[name]!;
      header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
      chunks.push(new Uint8Array(t.data.buffer.slice(0)));
      offset += t.data.byteLength;
    }
    const data = new Uint8Array(offset);
    let position = 0;
    for (const chunk of chunks) {
      data.set(chunk, position);
      position += chunk.length;
    }
    const path = join(dir, 'pytorch.safetensors');
    writeFileSync(path, writeRaw(header, data));
    const target = makeModel(5);
    await loadCheckpoint(path, { model: target });
    expect(stateBits(target.stateDict())).toEqual(stateBits(state));
  });

  it('rejects invalid options with an ArgumentError before writing anything', async () => {
    const path = join(dir, 'model.safetensors');
    await expect(saveCheckpoint(path, { model: makeModel(1), step: -1 })).rejects.toThrow(/step must be a non-negative integer, got -1/);
    await expect(saveCheckpoint(path, { model: makeModel(1), metadata: { 'gradguard.step': '3' } })).rejects.toThrow(/reserved/);
    expect(existsSync(path)).toBe(false);
  });
});

describe('loadCheckpoint on corrupt or mismatched files', () => {
  let path = '';
  let good: Uint8Array = new Uint8Array(0);
  let model: nn.Sequential = makeModel(0);
  beforeEach(async () => {
    path = join(dir, 'model.safetensors');
    await saveCheckpoint(path, { model: makeModel(1) });
    good = readFileSync(path);
    model = makeModel(2);
  });

  function rewrite(change: (header: Record<string, { dtype: string; shape: number[]; data_offsets: number[] }>) => void): void {
    const { header, data } = readRaw(good);
    change(header as Record<string, { dtype: string; shape: number[]; data_offsets: number[] }>);
    writeFileSync(path, writeRaw(header, data));
  }

  it('throws for a missing file', async () => {
    await expectLoadFails(join(dir, 'nope.safetensors'), model, /must be readable, got ENOENT/);
  });

  it('throws for a truncated file', async () => {
    writeFileSync(path, good.subarray(0, good.length - 10));
    await expectLoadFails(path, model, /must lie inside the \d+-byte data buffer.*truncated file/);
    writeFileSync(path, good.subarray(0, 6));
    await expectLoadFails(path, model, /8-byte header length, got a file of 6 bytes/);
  });

  it('throws for a header length beyond the file', async () => {
    const bytes = good.slice();
    bytes[0] = 0xff;
    bytes[1] = 0xff;
    writeFileSync(path, bytes);
    await expectLoadFails(path, model, /header length must fit in the \d+ bytes after the length field, got 65535/);
  });

  it('throws for a header that is not JSON', async () => {
    const { data } = readRaw(good);
    writeFileSync(path, writeRaw('{"0.weight": {"dtype": "F32", "shape": [5, 3],', data));
    await expectLoadFails(path, model, /header must be valid JSON/);
  });

  it('throws for overlapping and out-of-range offsets', async () => {
    // Layout by name: '0.bias' [0,20], '0.weight' [20,80], '2.bias' [80,88], '2.weight' [88,128].
    rewrite((header) => {
      header['0.weight']!.data_offsets = [16, 76];
    });
    await expectLoadFails(path, model, /must not overlap, got '0.weight' at \[16,76\] overlapping '0.bias' at \[0,20\]/);
    rewrite((header) => {
      const [begin, end] = header['2.bias']!.data_offsets as [number, number];
      header['2.bias']!.data_offsets = [begin + 1000, end + 1000];
    });
    await expectLoadFails(path, model, /tensor '2.bias': data_offsets must lie inside the \d+-byte data buffer/);
  });

  it('throws for an unsupported dtype and for a dtype other than the model\'s', async () => {
    rewrite((header) => {
      header['0.bias']!.dtype = 'I32';
    });
    await expectLoadFails(path, model, /tensor '0.bias': dtype must be 'F32' or 'F64', got "I32"/);
    const wide = new nn.Sequential(new nn.Linear(3, 5, { dtype: 'float64' }), new nn.ReLU(), new nn.Linear(5, 2, { dtype: 'float64' }));
    await saveCheckpoint(path, { model: wide });
    await expectLoadFails(path, model, /'0.weight' is F64 in the file but float32 in the model/);
  });

  it('throws for a missing and an unexpected tensor, naming both', async () => {
    rewrite((header) => {
      header['extra.weight'] = header['0.bias']!;
      delete header['0.bias'];
    });
    await expectLoadFails(path, model, /missing '0.bias'; unexpected 'extra.weight'/);
  });

  it('throws for a shape mismatch, naming the key and both shapes', async () => {
    await saveCheckpoint(path, { model: makeModel(1, 4) });
    await expectLoadFails(path, model, /'0.weight' has shape \[4,3\] in the file but \[5,3\] in the model/);
  });

  it('throws for a non-numeric step in the metadata', async () => {
    rewrite((header) => {
      (header as Record<string, unknown>).__metadata__ = { 'gradguard.step': 'soon' };
    });
    await expectLoadFails(path, model, /gradguard.step must be a non-negative integer, got 'soon'/);
  });
});

describe('atomic writes', () => {
  it('leaves only the target file behind after a save', async () => {
    await saveCheckpoint(join(dir, 'a.safetensors'), { model: makeModel(1) });
    await saveCheckpoint(join(dir, 'a.safetensors'), { model: makeModel(2) });
    expect(readdirSync(dir)).toEqual(['a.safetensors']);
  });

  it('keeps the previous file intact and removes the temporary file when a write fails midway', async () => {
    const path = join(dir, 'model.safetensors');
    await saveCheckpoint(path, { model: makeModel(1) });
    const before = readFileSync(path);
    const failing: AtomicWriteIo = {
      ...nodeIo,
      open: async (file, flags) => {
        const handle = await nodeIo.open(file, flags);
        return {
          writeFile: async (data) => {
            await handle.writeFile(data.subarray(0, data.length >> 1));
            throw new Error('ENOSPC: no space left on device');
          },
          sync: () => handle.sync(),
          close: () => handle.close(),
        };
      },
    };
    await expect(writeFileAtomic(path, new Uint8Array(1000).fill(7), failing)).rejects.toThrow(/ENOSPC/);
    expect(readFileSync(path)).toEqual(before);
    expect(readdirSync(dir)).toEqual(['model.safetensors']);
  });

  it('reports an unwritable location as a CheckpointError', async () => {
    const path = join(dir, 'no-such-dir', 'model.safetensors');
    await expect(saveCheckpoint(path, { model: makeModel(1) })).rejects.toThrow(CheckpointError);
    await expect(saveCheckpoint(path, { model: makeModel(1) })).rejects.toThrow(/must be writable, got ENOENT/);
  });
});

describe('package entry', () => {
  it('exports gradguard/node with types, mirroring the main entry', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { exports: Record<string, unknown> };
    expect(pkg.exports['./node']).toEqual({ types: './dist/node.d.ts', import: './dist/node.js' });
  });
});
