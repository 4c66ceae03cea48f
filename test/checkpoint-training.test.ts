import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointError, Tensor, manualSeed, randn, loadCheckpointBytes, saveCheckpointBytes, OPTIMIZER_TENSOR_PREFIX } from '../src/index.js';
import * as nn from '../src/nn/index.js';
import { Adam, AdamW } from '../src/nn/optim/adam.js';
import { SGD } from '../src/nn/optim/sgd.js';
import type { Optimizer } from '../src/nn/optim/optimizer.js';
import { flattenState, unflattenState } from '../src/checkpoint/optimizer-state.js';
import { loadCheckpoint, saveCheckpoint } from '../src/node.js';
import { bitsOf, readRaw, stateBits, temporaryDirectory, writeRaw } from './checkpoint-helpers.js';

type AnyOptimizer = Optimizer<{ lr: number }>;
type MakeOptimizer = (params: Tensor[]) => AnyOptimizer;

const OPTIMIZERS: Array<[string, MakeOptimizer]> = [
  ['SGD with Nesterov momentum and weight decay', (p) => new SGD(p, { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-3 })],
  ['Adam', (p) => new Adam(p, { lr: 0.01 })],
  ['AdamW', (p) => new AdamW(p, { lr: 0.01, weightDecay: 0.1 })],
];

function makeModel(seed: number): nn.Sequential {
  manualSeed(seed);
  return new nn.Sequential(new nn.Linear(3, 8), new nn.Tanh(), new nn.Linear(8, 2));
}

/** Fixed regression batches, one per step, drawn from their own seed. */
function makeBatches(count: number): Array<{ x: Tensor; y: Tensor }> {
  manualSeed(99);
  return Array.from({ length: count }, () => ({ x: randn([4, 3]), y: randn([4, 2]) }));
}

/** The explicit loop: zeroGrad → forward → loss → backward → step. Returns the losses. */
function train(model: nn.Module, optimizer: AnyOptimizer, batches: Array<{ x: Tensor; y: Tensor }>): number[] {
  return batches.map(({ x, y }) => {
    optimizer.zeroGrad();
    const loss = nn.mseLoss(model.forward(x), y);
    loss.backward();
    optimizer.step();
    return loss.item();
  });
}

/** An optimizer's state dict with every tensor replaced by its bits: comparable with toEqual. */
function optimizerBits(optimizer: AnyOptimizer): unknown {
  return JSON.parse(JSON.stringify(optimizer.stateDict(), (_key, value: unknown) => (value instanceof Tensor ? { shape: value.shape, bits: bitsOf(value) } : value)));
}

let dir = '';
let cleanup = (): void => undefined;
beforeEach(() => ({ dir, cleanup } = temporaryDirectory()));
afterEach(() => cleanup());

describe.each(OPTIMIZERS)('checkpointing %s', (_name, makeOptimizer) => {
  it('restores bit-identical parameters and optimizer state into a fresh model and optimizer', async () => {
    const batches = makeBatches(4);
    const model = makeModel(1);
    const optimizer = makeOptimizer(model.parameters());
    train(model, optimizer, batches);
    const path = join(dir, 'run.safetensors');
    await saveCheckpoint(path, { model, optimizer, step: 4 });

    const freshModel = makeModel(2);
    const freshOptimizer = makeOptimizer(freshModel.parameters());
    const { step } = await loadCheckpoint(path, { model: freshModel, optimizer: freshOptimizer });
    expect(step).toBe(4);
    expect(stateBits(freshModel.stateDict())).toEqual(stateBits(model.stateDict()));
    expect(optimizerBits(freshOptimizer)).toEqual(optimizerBits(optimizer));
  });

  it('continues training after a resume exactly as an uninterrupted run does', async () => {
    const batches = makeBatches(10);
    const straightModel = makeModel(1);
    const straightLosses = train(straightModel, makeOptimizer(straightModel.parameters()), batches);

    const firstModel = makeModel(1);
    const firstOptimizer = makeOptimizer(firstModel.parameters());
    const firstLosses = train(firstModel, firstOptimizer, batches.slice(0, 5));
    const path = join(dir, 'half.safetensors');
    await saveCheckpoint(path, { model: firstModel, optimizer: firstOptimizer, step: 5 });

    const resumedModel = makeModel(7);
    const resumedOptimizer = makeOptimizer(resumedModel.parameters());
    const { step } = await loadCheckpoint(path, { model: resumedModel, optimizer: resumedOptimizer });
    const resumedLosses = train(resumedModel, resumedOptimizer, batches.slice(step));

    expect([...firstLosses, ...resumedLosses]).toEqual(straightLosses);
    expect(stateBits(resumedModel.stateDict())).toEqual(stateBits(straightModel.stateDict()));
  });
});

describe('optimizer state in the file', () => {
  function trainedPair(): { model: nn.Sequential; optimizer: AnyOptimizer } {
    const model = makeModel(1);
    const optimizer = new Adam(model.parameters(), { lr: 0.01 });
    train(model, optimizer, makeBatches(2));
    return { model, optimizer };
  }

  it('stores optimizer tensors under the documented prefix and leaves model names as the state dict keys', () => {
    const { model, optimizer } = trainedPair();
    const { header } = readRaw(saveCheckpointBytes({ model, optimizer }));
    const names = Object.keys(header).filter((key) => key !== '__metadata__');
    const modelNames = names.filter((name) => !name.startsWith(OPTIMIZER_TENSOR_PREFIX));
    expect(modelNames.sort()).toEqual(Object.keys(model.stateDict()).sort());
    expect(names).toContain('__optimizer__.state.0.buffers.expAvg');
    expect(names).toContain('__optimizer__.state.3.buffers.expAvgSq');
    const skeleton = JSON.parse((header.__metadata__ as Record<string, string>)['gradguard.optimizer']!) as { state: Record<string, { step: number; buffers: unknown }> };
    expect(skeleton.state['0']).toEqual({ step: 2, buffers: { expAvg: { $tensor: '__optimizer__.state.0.buffers.expAvg' }, expAvgSq: { $tensor: '__optimizer__.state.0.buffers.expAvgSq' } } });
  });

  it('saves and restores an optimizer that has not stepped yet', () => {
    const model = makeModel(1);
    const optimizer = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    const target = makeModel(2);
    const targetOptimizer = new SGD(target.parameters(), { lr: 0.3 });
    loadCheckpointBytes(saveCheckpointBytes({ model, optimizer }), { model: target, optimizer: targetOptimizer });
    expect(optimizerBits(targetOptimizer)).toEqual(optimizerBits(optimizer));
    expect(targetOptimizer.paramGroups[0]!.lr).toBe(0.1);
  });

  it('loads the model alone from a file that also holds optimizer state', () => {
    const { model, optimizer } = trainedPair();
    const fresh = makeModel(5);
    loadCheckpointBytes(saveCheckpointBytes({ model, optimizer }), { model: fresh });
    expect(stateBits(fresh.stateDict())).toEqual(stateBits(model.stateDict()));
  });

  it('throws and changes nothing when an optimizer is given but the file has no optimizer state', () => {
    const { model } = trainedPair();
    const bytes = saveCheckpointBytes({ model });
    const target = makeModel(5);
    const optimizer = new Adam(target.parameters());
    const before = stateBits(target.stateDict());
    expect(() => loadCheckpointBytes(bytes, { model: target, optimizer })).toThrow(/must hold optimizer state, got a file saved without one/);
    expect(stateBits(target.stateDict())).toEqual(before);
  });

  it('rolls the model back when the optimizer rejects the saved state', () => {
    const { model, optimizer } = trainedPair();
    const bytes = saveCheckpointBytes({ model, optimizer });
    const target = makeModel(5);
    const smaller = new Adam(target.parameters().slice(0, 2), { lr: 0.5 });
    train(target, smaller, makeBatches(1));
    const modelBefore = stateBits(target.stateDict());
    const optimizerBefore = optimizerBits(smaller);
    let caught: unknown;
    try {
      loadCheckpointBytes(bytes, { model: target, optimizer: smaller });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CheckpointError);
    expect((caught as Error).message).toMatch(/parameter groups have sizes \[2\] but the state has \[4\].*left unchanged/);
    expect(stateBits(target.stateDict())).toEqual(modelBefore);
    expect(optimizerBits(smaller)).toEqual(optimizerBefore);
  });

  it('throws for an optimizer tensor the skeleton never mentions, and for a reference to a missing one', async () => {
    const { model, optimizer } = trainedPair();
    const path = join(dir, 'run.safetensors');
    await saveCheckpoint(path, { model, optimizer });
    const { header, data } = readRaw(readFileSync(path));
    const metadata = header.__metadata__ as Record<string, string>;
    const target = makeModel(5);
    const before = stateBits(target.stateDict());

    header['__optimizer__.state.9.buffers.expAvg'] = header['__optimizer__.state.0.buffers.expAvg'];
    delete header['__optimizer__.state.0.buffers.expAvg'];
    writeFileSync(path, writeRaw(header, data));
    await expect(loadCheckpoint(path, { model: target, optimizer: new Adam(target.parameters()) }))
      .rejects.toThrow(/refers to tensor "__optimizer__.state.0.buffers.expAvg", which the file must hold/);

    metadata['gradguard.optimizer'] = metadata['gradguard.optimizer']!.replace('"$tensor":"__optimizer__.state.0.buffers.expAvg"', '"$tensor":"__optimizer__.state.9.buffers.expAvg"')
      .replace('"$tensor":"__optimizer__.state.1.buffers.expAvg"', '"$number":"NaN"');
    writeFileSync(path, writeRaw(header, data));
    await expect(loadCheckpoint(path, { model: target, optimizer: new Adam(target.parameters()) }))
      .rejects.toThrow(/unreferenced '__optimizer__.state.1.buffers.expAvg'/);
    expect(stateBits(target.stateDict())).toEqual(before);
  });
});

describe('flattenState / unflattenState', () => {
  it('round-trips nested data, tensors and the numbers JSON cannot hold', () => {
    const t = new Tensor(new Float64Array([1, 2]), [2]);
    const state = { a: [NaN, Infinity, -Infinity, -0, 1.5], b: { c: t, d: 'text', e: true, f: null } };
    const tensors: Record<string, Tensor> = {};
    const skeleton = JSON.parse(JSON.stringify(flattenState(state, tensors))) as unknown;
    expect(Object.keys(tensors)).toEqual(['__optimizer__.b.c']);
    const rebuilt = unflattenState(skeleton, tensors, 'test') as typeof state;
    expect(rebuilt.a).toEqual([NaN, Infinity, -Infinity, -0, 1.5]);
    expect(Object.is(rebuilt.a[3], -0)).toBe(true);
    expect(rebuilt.b).toEqual({ c: t, d: 'text', e: true, f: null });
  });

  it('rejects values a checkpoint cannot hold', () => {
    expect(() => flattenState({ m: new Map() }, {})).toThrow(/optimizer state at 'm' must be JSON-like data and Tensors, got an instance of Map/);
  });
});
