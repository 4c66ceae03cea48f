/**
 * Contract audit (shared/API.md, "Errors" and the `gradguard/node` entry): error classes and
 * their fields, and saveCheckpoint / loadCheckpoint with the safetensors layout read by hand.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointError, NonFiniteError, ShapeError, Tensor, guards, manualSeed, nn, optim, tensor, zeros } from '../src/index.js';
import { loadCheckpoint, saveCheckpoint } from '../src/node.js';

describe('contract: errors', () => {
  it('ShapeError extends Error and names the op and every shape', () => {
    let caught: unknown;
    try {
      zeros([2, 3]).matmul(zeros([4, 5]));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ShapeError);
    expect(caught).toBeInstanceOf(Error);
    const message = (caught as Error).message;
    expect(message).toMatch(/^matmul/);
    expect(message).toContain('[2,3]');
    expect(message).toContain('[4,5]');
    expect(() => zeros([2, 3]).reshape([4])).toThrow(/reshape[\s\S]*\[2,3\][\s\S]*\[4\]/);
  });

  it('NonFiniteError extends Error with op, phase and module', () => {
    const model = new nn.Sequential(new nn.Linear(2, 2), new nn.ReLU());
    class Log extends nn.Module {
      forward(x: Tensor): Tensor {
        return x.sub(x).log();
      }
    }
    const outer = new nn.Sequential(model, new Log());
    let caught: unknown;
    try {
      guards.detectAnomaly(() => outer.forward(tensor([[1, 2]])));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(NonFiniteError);
    expect(caught).toBeInstanceOf(Error);
    expect(caught).toMatchObject({ op: 'log', phase: 'forward', module: '1' });
    let outside: unknown;
    try {
      guards.detectAnomaly(() => zeros([1]).log());
    } catch (error) {
      outside = error;
    }
    expect(outside).toMatchObject({ op: 'log', phase: 'forward', module: undefined });
  });
});

describe('contract: gradguard/node checkpoints', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradguard-contract-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const make = (): nn.Sequential => new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU(), new nn.Linear(3, 1, { dtype: 'float64' }));

  interface Entry { dtype: string; shape: number[]; data_offsets: [number, number] }
  function header(bytes: Uint8Array): { length: number; json: Record<string, Entry>; metadata: Record<string, string> } {
    const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    const json: Record<string, Entry> = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length)));
    const metadata: Record<string, string> = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))).__metadata__ ?? {};
    return { length, json, metadata };
  }

  it('writes safetensors: 8-byte LE header length, JSON header named by stateDict keys, raw LE data', async () => {
    manualSeed(0);
    const model = make();
    const path = join(dir, 'model.safetensors');
    await saveCheckpoint(path, { model, metadata: { run: 'a' } });
    const bytes = new Uint8Array(readFileSync(path));
    const { length, json, metadata } = header(bytes);
    const names = Object.keys(json).filter((k) => k !== '__metadata__');
    expect(names.sort()).toEqual(['0.bias', '0.weight', '2.bias', '2.weight']);
    expect(json['0.weight']).toMatchObject({ dtype: 'F32', shape: [3, 2] });
    expect(json['2.weight']).toMatchObject({ dtype: 'F64', shape: [1, 3] });
    expect(metadata.run).toBe('a');
    const state = model.stateDict();
    for (const name of names) {
      const entry = json[name]!;
      const [start, end] = entry.data_offsets;
      const raw = bytes.slice(8 + length + start, 8 + length + end);
      const view = new DataView(raw.buffer);
      const expected = Array.from(state[name]!.data);
      const read = expected.map((_, i) => (entry.dtype === 'F32' ? view.getFloat32(i * 4, true) : view.getFloat64(i * 8, true)));
      expect(read).toEqual(expected);
    }
  });

  it('round-trips model, optimizer and step', async () => {
    manualSeed(1);
    const model = make();
    const optimizer = new optim.Adam(model.parameters(), { lr: 0.1 });
    model.forward(tensor([[1, 2]])).sum().backward();
    optimizer.step();
    const path = join(dir, 'run.safetensors');
    await saveCheckpoint(path, { model, optimizer, step: 7, metadata: { note: 'x' } });
    const fresh = make();
    const freshOptimizer = new optim.Adam(fresh.parameters(), { lr: 0.1 });
    const loaded = await loadCheckpoint(path, { model: fresh, optimizer: freshOptimizer });
    expect(loaded.step).toBe(7);
    expect(loaded.metadata.note).toBe('x');
    for (const [name, t] of Object.entries(model.stateDict())) expect(Array.from(fresh.stateDict()[name]!.data)).toEqual(Array.from(t.data));
    // The next step is the same in both.
    for (const [m, o] of [[model, optimizer], [fresh, freshOptimizer]] as const) {
      o.zeroGrad();
      m.forward(tensor([[1, 2]])).sum().backward();
      o.step();
    }
    for (const [name, t] of Object.entries(model.stateDict())) expect(Array.from(fresh.stateDict()[name]!.data)).toEqual(Array.from(t.data));
  });

  it('loads a file laid out as safetensors.torch.save_file writes it (sorted names, header padded to 8 bytes)', async () => {
    const model = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU(), new nn.Linear(3, 1));
    const values: Record<string, { shape: number[]; data: number[] }> = {
      '0.bias': { shape: [3], data: [0.5, -0.5, 0.25] },
      '0.weight': { shape: [3, 2], data: [1, 2, 3, 4, 5, 6] },
      '2.bias': { shape: [1], data: [-1] },
      '2.weight': { shape: [1, 3], data: [0.1, 0.2, 0.3] },
    };
    const entries: Record<string, unknown> = { __metadata__: { format: 'pt' } };
    let offset = 0;
    for (const [name, { shape, data }] of Object.entries(values)) {
      entries[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + data.length * 4] };
      offset += data.length * 4;
    }
    let text = JSON.stringify(entries);
    text += ' '.repeat((8 - (text.length % 8)) % 8);
    const file = new Uint8Array(8 + text.length + offset);
    const view = new DataView(file.buffer);
    view.setBigUint64(0, BigInt(text.length), true);
    file.set(new TextEncoder().encode(text), 8);
    let at = 8 + text.length;
    for (const { data } of Object.values(values)) for (const v of data) { view.setFloat32(at, v, true); at += 4; }
    const path = join(dir, 'torch.safetensors');
    writeFileSync(path, file);
    await loadCheckpoint(path, { model });
    const state = model.stateDict();
    for (const [name, { data }] of Object.entries(values)) expect(Array.from(state[name]!.data)).toEqual(data.map(Math.fround));
  });

  it('validates length, names and shapes before touching the model', async () => {
    const model = make();
    const good = join(dir, 'good.safetensors');
    await saveCheckpoint(good, { model });
    const target = make();
    const before = JSON.stringify(Object.values(target.stateDict()).map((t) => Array.from(t.data)));
    const unchanged = (): void => expect(JSON.stringify(Object.values(target.stateDict()).map((t) => Array.from(t.data)))).toBe(before);

    const bytes = readFileSync(good);
    const truncated = join(dir, 'truncated.safetensors');
    writeFileSync(truncated, bytes.subarray(0, bytes.length - 5));
    await expect(loadCheckpoint(truncated, { model: target })).rejects.toThrow(/truncated\.safetensors/);
    unchanged();

    const wrongShape = join(dir, 'wide.safetensors');
    await saveCheckpoint(wrongShape, { model: new nn.Sequential(new nn.Linear(2, 4), new nn.ReLU(), new nn.Linear(4, 1, { dtype: 'float64' })) });
    await expect(loadCheckpoint(wrongShape, { model: target })).rejects.toThrow(/\[4,2\]|\[3,2\]/);
    unchanged();

    const otherNames = join(dir, 'names.safetensors');
    await saveCheckpoint(otherNames, { model: new nn.Sequential(new nn.Linear(2, 3)) });
    await expect(loadCheckpoint(otherNames, { model: target })).rejects.toThrow(/2\.weight|2\.bias/);
    unchanged();

    // Overlapping data_offsets: the same bytes claimed by two tensors.
    const { length, json } = header(new Uint8Array(bytes));
    const names = Object.keys(json).filter((k) => k !== '__metadata__');
    json[names[1]!]!.data_offsets = json[names[0]!]!.data_offsets;
    const text = new TextEncoder().encode(JSON.stringify(json));
    const prefix = new Uint8Array(8);
    new DataView(prefix.buffer).setBigUint64(0, BigInt(text.length), true);
    const overlapping = join(dir, 'overlap.safetensors');
    writeFileSync(overlapping, Buffer.concat([prefix, text, bytes.subarray(8 + length)]));
    await expect(loadCheckpoint(overlapping, { model: target })).rejects.toThrow(CheckpointError);
    unchanged();

    const garbage = join(dir, 'garbage.safetensors');
    writeFileSync(garbage, new Uint8Array([200, 0, 0, 0, 0, 0, 0, 0, 123, 34]));
    await expect(loadCheckpoint(garbage, { model: target })).rejects.toThrow();
    unchanged();
  });
});
