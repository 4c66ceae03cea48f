/**
 * README truth: every ```ts block of README.md runs as written (with `gradguard` mapped to
 * src/index.ts and `gradguard/node` to src/node.ts), and the outputs it claims are printed.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
const work = mkdtempSync(join(tmpdir(), 'gradguard-readme-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Run { status: number; stdout: string; stderr: string }

function runBlock(index: number, edit: (code: string) => string = (code) => code): Run {
  const code = edit(blocks[index]!)
    .replace(/from 'gradguard\/node'/g, `from '${join(root, 'src/node.ts')}'`)
    .replace(/from 'gradguard'/g, `from '${join(root, 'src/index.ts')}'`);
  const file = join(work, `block-${index}.mts`);
  writeFileSync(file, code);
  const tsx = join(root, 'node_modules/.bin/tsx');
  const result = spawnSync(tsx, [file], { cwd: work, encoding: 'utf8', timeout: 55_000 });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** The numbers and messages the README's prose claims for a block, checked on its output. */
const claims: Array<{ marker: string; check: (run: Run, index: number) => void }> = [
  {
    // "At step 0 the loss is 1.9·10⁸ and the report reads { ok: true, totalNorm: 885418139.4, clipScale: 1.13e-9 … }
    //  and after 500 steps the loss is about 1. Without the guards the loss is NaN at step 1."
    marker: 'explodes on purpose',
    check: ({ status, stdout }, index) => {
      const unguarded = runBlock(index, (code) => code.replace(/const safety = \[.*\];/, 'const safety = [];')
        .replace('if (step === 0)', 'if (step <= 1)'));
      // float32 sums differ in the last bits between the TypeScript and WebAssembly kernels: compare to 1e-6.
      const losses = unguarded.stdout.trim().split('\n').filter((line) => /^(\d|NaN)/.test(line)).map((line) => Number(line.split(' ')[0]));
      expect(losses).toHaveLength(3);
      expect(Math.abs(losses[0]! / 188927776 - 1)).toBeLessThan(1e-6);
      expect(losses.slice(1)).toEqual([NaN, NaN]);
      expect(status).toBe(0);
      const first = stdout;
      const last = stdout.trim().split('\n').at(-1)!;
      expect(Number(first.split(' ')[0])).toBeCloseTo(1.9e8, -7);
      expect(first).toMatch(/ok: true/);
      const totalNorm = Number(/totalNorm: ([\d.e+]+)/.exec(first)?.[1]);
      expect(Math.abs(totalNorm / 885418139.4 - 1)).toBeLessThan(1e-6);
      expect(first).toMatch(/clipScale: 1\.129\d*e-9/);
      expect(first).toContain("message: 'globalNormClip: total norm 8.854e+8 scaled by 1.129e-9'");
      expect(Number(last)).toBeGreaterThan(0.7); // the README's 0.8–1.25, with a margin: the run is chaotic
      expect(Number(last)).toBeLessThan(1.3);
    },
  },
  {
    // The documented error message, module path and op.
    marker: 'guards.detectAnomaly(() =>',
    check: ({ status, stderr }) => {
      expect(status).not.toBe(0);
      expect(stderr).toContain("NonFiniteError: linear: produced a non-finite value (NaN or ±Inf) from finite inputs in module '10';");
      expect(stderr).toContain('input shapes [90,16], [16,16], [16], output shape [90,16]');
      expect(stderr).toMatch(/the op was created at <anonymous> \(.*block-\d+\.mts:11:40\)/);
      expect(stderr).toMatch(/op: 'linear',[\s\S]*phase: 'forward',[\s\S]*module: '10'/);
    },
  },
];

describe('README.md', () => {
  it('has ts code blocks, none of them fragments', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(6);
    for (const block of blocks) {
      expect(block).not.toMatch(/^\s*\.\.\.\s*$/m);
      expect(block).toMatch(/^import /m);
    }
  });

  it('has code blocks that type-check under the project\'s strict settings, as a user compiles them', () => {
    const dir = join(work, 'typecheck');
    mkdirSync(dir, { recursive: true });
    blocks.forEach((block, index) => writeFileSync(join(dir, `block-${index}.mts`), block));
    const compilerOptions = {
      target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2022', 'DOM'], types: ['node'],
      typeRoots: [join(root, 'node_modules/@types')], strict: true, noUncheckedIndexedAccess: true,
      exactOptionalPropertyTypes: true, skipLibCheck: true, noEmit: true,
      paths: { gradguard: [join(root, 'src/index.ts')], 'gradguard/node': [join(root, 'src/node.ts')] },
    };
    const include = ['*.mts', join(root, 'src/data/packages.d.ts')];
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, include }));
    const result = spawnSync(join(root, 'node_modules/.bin/tsc'), ['-p', dir], { encoding: 'utf8', timeout: 55_000 });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  blocks.forEach((block, index) => {
    const firstLine = block.split('\n').find((line) => !line.startsWith('import') && line.trim() !== '') ?? '';
    it(`block ${index + 1} runs and prints what it claims: ${firstLine.slice(0, 50)}`, () => {
      const run = runBlock(index);
      const claim = claims.find(({ marker }) => block.includes(marker));
      if (claim !== undefined) {
        claim.check(run, index);
        return;
      }
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      // Every `console.log(...); // expected` comment in the block is checked against the output.
      for (const [, expected] of block.matchAll(/console\.log\([^\n]*\);\s*\/\/\s*(.+)$/gm)) {
        expect(run.stdout).toContain(expected!.trim());
      }
    });
  });
});

/*
 * The names and facts the README's prose states, checked one by one against the public entry.
 */
describe('README.md prose', () => {
  it('names only exports that exist', async () => {
    const gg = await import('../src/index.js');
    const node = await import('../src/node.js');
    const names: Record<string, readonly string[]> = {
      nn: ['Linear', 'ReLU', 'LeakyReLU', 'Tanh', 'Sigmoid', 'GELU', 'LayerNorm', 'Dropout', 'Sequential', 'Residual', 'mlp',
        'crossEntropy', 'mseLoss', 'binaryCrossEntropyWithLogits', 'accuracy'],
      'nn.init': ['kaimingUniform', 'kaimingNormal', 'xavierUniform', 'xavierNormal'],
      optim: ['SGD', 'Adam', 'AdamW', 'RMSprop', 'StepLR', 'CosineAnnealingLR', 'LinearLR', 'LinearWarmup', 'SequentialLR'],
      data: ['DataLoader', 'xor', 'twoMoons', 'spirals', 'blobs', 'loadIris', 'loadMnist'],
      guards: ['clipGradNorm', 'clipGradValue', 'nanTrap', 'detectAnomaly', 'setDetectAnomaly', 'checkBatch', 'findNonFinite',
        'globalNormClip', 'parameterNormClip', 'valueClip', 'agc', 'autoClip', 'zclip', 'flowClip', 'monitor', 'guardedStep',
        'diagnose', 'zScoreSpike', 'spikeDetection', 'rollback'],
      root: ['tensor', 'randn', 'gradcheck', 'noGrad', 'manualSeed', 'topologicalOrder', 'saveCheckpointBytes', 'loadCheckpointBytes',
        'toSafetensors', 'fromSafetensors'],
      node: ['saveCheckpoint', 'loadCheckpoint'],
    };
    const namespaces: Record<string, object> = { nn: gg.nn, 'nn.init': gg.nn.init, optim: gg.optim, data: gg.data, guards: gg.guards, root: gg, node };
    for (const [space, list] of Object.entries(names)) {
      for (const name of list) expect(typeof Reflect.get(namespaces[space]!, name), `${space}.${name}`).toBe('function');
    }
  });

  it('states true facts about errors, hooks, names and checkpoints', async () => {
    const { tensor, zeros, nn, optim, guards, topologicalOrder, fromSafetensors, saveCheckpointBytes, NonFiniteError } = await import('../src/index.js');
    // checkBatch's message, as quoted.
    const x = zeros([64, 784]);
    x.data[17 * 784 + 5] = NaN;
    x.data[40 * 784] = Infinity;
    x.data[40 * 784 + 3] = -Infinity;
    expect(() => guards.checkBatch(x, { name: 'inputs' })).toThrow(NonFiniteError);
    expect(() => guards.checkBatch(x, { name: 'inputs' })).toThrow(
      'checkBatch: inputs of shape [64,784] holds 3 non-finite values in 2 rows: row 17 (column 5 is NaN), row 40 (column 0 is Infinity)');
    expect(guards.findNonFinite(x)).toHaveLength(3);
    // Hooks and retainGrad.
    const a = tensor([1, 2], { requiresGrad: true });
    const b = a.mul(2);
    b.retainGrad();
    b.registerHook((g) => g.mul(10));
    b.sum().backward();
    expect(Array.from(a.grad!.data)).toEqual([20, 20]);
    expect(b.grad).not.toBeNull();
    // Nodes are data; topologicalOrder lists outputs before inputs.
    const model = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU(), new nn.Linear(3, 1));
    const loss = model.forward(tensor([[1, 2]])).sum();
    expect(loss.node).toMatchObject({ op: 'sum', outputShape: [] });
    const order = topologicalOrder(loss);
    expect(order[0]).toBe(loss);
    expect(order.filter((t) => t.node !== null).map((t) => `${t.node!.op}@${t.node!.module}`)).toEqual(['sum@undefined', 'linear@2', 'relu@1', 'linear@0']);
    // A second backward through a freed graph throws, even for ops that save nothing.
    const c = tensor([1], { requiresGrad: true });
    const y = c.add(1).sum();
    y.backward();
    expect(() => y.backward()).toThrow(/second time/);
    // A frozen parameter (requiresGrad = false) stays in parameters() and stateDict(), as in PyTorch.
    const layer = new nn.Linear(2, 2);
    layer.bias!.requiresGrad = false;
    expect(layer.parameters()).toHaveLength(2);
    expect(Object.keys(layer.stateDict())).toEqual(['weight', 'bias']);
    // mseLoss and binaryCrossEntropyWithLogits require equal shapes.
    expect(() => nn.mseLoss(zeros([2, 1]), zeros([2]))).toThrow(/\[2,1\]/);
    expect(() => nn.binaryCrossEntropyWithLogits(zeros([2, 1]), zeros([2]))).toThrow(/\[2,1\]/);
    // camelCase optimizer state and the checkpoint's optimizer tensor names.
    const sgd = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    loss.backward();
    sgd.step();
    expect(Object.keys(sgd.stateDict().state[0]!.buffers)).toEqual(['momentumBuffer']);
    const adam = new optim.Adam(model.parameters());
    adam.step();
    const file = fromSafetensors(saveCheckpointBytes({ model, optimizer: adam, step: 500 }));
    expect(Object.keys(file.tensors)).toContain('__optimizer__.state.0.buffers.expAvg');
    expect(file.metadata).toMatchObject({ format: 'pt', 'gradguard.step': '500' });
    expect(typeof file.metadata['gradguard.optimizer']).toBe('string');
  });

  it('clipGradNorm and the clipping guards leave non-finite gradients as they were and say so', async () => {
    const { tensor, guards } = await import('../src/index.js');
    const p = tensor([1, 1], { requiresGrad: true, dtype: 'float64' });
    p.grad = tensor([NaN, 3], { dtype: 'float64' });
    expect(Number.isNaN(guards.clipGradNorm([p], 1))).toBe(true);
    expect(p.grad.data[1]).toBe(3);
    const q = tensor([1, 1], { requiresGrad: true, dtype: 'float64' });
    const report = q.mul(tensor([NaN, 3], { dtype: 'float64' })).sum().backward({ guards: [guards.globalNormClip({ maxNorm: 1 })] });
    expect(report.ok).toBe(false);
    expect(q.grad!.data[1]).toBe(3);
    expect(report.actions.map((action) => action.kind)).toContain('nonFinite');
    // autoClip and zclip keep non-finite norms out of their history.
    const auto = guards.autoClip();
    const z = guards.zclip({ warmupSteps: 3 });
    for (const factor of [1, NaN, 2, Infinity]) {
      const r = tensor([1], { requiresGrad: true, dtype: 'float64' });
      r.mul(factor).sum().backward({ guards: [z, auto] }); // zclip first: it does not clip in warm-up
    }
    expect(auto.norms()).toEqual([1, 2]);
    expect(z.state().warmup).toEqual([1, 2]);
  });
});
