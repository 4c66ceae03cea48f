import { describe, expect, it } from 'vitest';
import { randn } from '../src/autograd/creation.js';
import { noGrad } from '../src/autograd/graph.js';
import * as nn from '../src/nn/index.js';
import { recordGradientNorms, toDot } from '../src/report/dot.js';
import { manualSeed } from '../src/tensor/rng.js';

interface DotGraph {
  nodes: Map<string, { label: string; fill: string }>;
  edges: Array<[string, string]>;
}

function parseDot(dot: string): DotGraph {
  const nodes = new Map<string, { label: string; fill: string }>();
  for (const m of dot.matchAll(/^\s*((?:op|leaf)\d+) \[label="([^"]*)"[^\n]*fillcolor="([^"]*)"/gm)) {
    nodes.set(m[1]!, { label: m[2]!.replace(/\\n/g, '\n'), fill: m[3]! });
  }
  const edges = [...dot.matchAll(/^\s*(\w+) -> (\w+);/gm)].map((m) => [m[1]!, m[2]!] as [string, string]);
  return { nodes, edges };
}

function twoLayerStep(backward: boolean) {
  manualSeed(3);
  const model = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Linear(4, 2));
  const x = randn([5, 3]);
  const targets = [0, 1, 1, 0, 1];
  const loss = nn.crossEntropy(model.forward(x), targets);
  const recorder = recordGradientNorms();
  if (backward) loss.backward({ guards: [recorder.guard], retainGraph: true });
  return { model, x, targets, loss, dot: toDot(loss, { gradientNorms: recorder.norms, title: 'two layers' }) };
}

const firstLine = (label: string) => label.split('\n')[0];

describe('toDot', () => {
  it('draws one box per op of a two-layer MLP, labelled with op, output shape and module path', () => {
    const { dot } = twoLayerStep(false);
    const { nodes } = parseDot(dot);
    const ops = [...nodes].filter(([id]) => id.startsWith('op')).map(([, n]) => n.label);
    expect(ops.sort()).toEqual(['crossEntropy\n[]', 'linear\n[5,2]\nmodule 2', 'linear\n[5,4]\nmodule 0', 'relu\n[5,4]\nmodule 1']);
    const leaves = [...nodes].filter(([id]) => id.startsWith('leaf')).map(([, n]) => n.label);
    expect(leaves.sort()).toEqual(['0.bias\n[4]', '0.weight\n[4,3]', '2.bias\n[2]', '2.weight\n[2,4]', 'input\n[5,3]']);
    expect(dot).toMatch(/^digraph autograd \{/);
    expect(dot).toContain('label="two layers"');
  });

  it('connects every input to the op that used it, and nothing else', () => {
    const { nodes, edges } = parseDot(twoLayerStep(false).dot);
    const named = edges.map(([from, to]) => `${firstLine(nodes.get(from)!.label)} -> ${nodes.get(to)!.label.split('\n').filter((l) => l.startsWith('module') || !l.startsWith('[')).join(' ')}`);
    expect(named.sort()).toEqual([
      '0.bias -> linear module 0', '0.weight -> linear module 0', '2.bias -> linear module 2', '2.weight -> linear module 2',
      'input -> linear module 0', 'linear -> crossEntropy', 'linear -> relu module 1', 'relu -> linear module 2',
    ].sort());
  });

  it('groups each module\'s ops and parameters in one cluster', () => {
    const { dot } = twoLayerStep(false);
    const cluster = (name: string) => dot.slice(dot.indexOf(`label="module ${name}"`), dot.indexOf('}', dot.indexOf(`label="module ${name}"`)));
    expect(cluster('0')).toContain('0.weight');
    expect(cluster('0')).toContain('linear');
    expect(cluster('2')).toContain('2.bias');
    expect(cluster('1')).toContain('relu');
  });

  it('after backward, labels each op with the norm of its output gradient and each parameter with its .grad norm', () => {
    const { dot, model, x, targets } = twoLayerStep(true);
    const { nodes } = parseDot(dot);
    const label = (start: string) => [...nodes.values()].find((n) => n.label.startsWith(start))!.label;
    expect(label('crossEntropy')).toContain('‖grad‖ 1');
    // d(mean CE)/d(logits) = (softmax(logits) − onehot) / N, computed here directly.
    const logits = noGrad(() => model.forward(x)).toArray() as number[][];
    let squares = 0;
    logits.forEach((row, i) => {
      const max = Math.max(...row);
      const exps = row.map((v) => Math.exp(v - max));
      const total = exps.reduce((a, b) => a + b, 0);
      exps.forEach((e, c) => (squares += ((e / total - (c === targets[i] ? 1 : 0)) / logits.length) ** 2));
    });
    const expected = Math.sqrt(squares);
    const shown = Number(/‖grad‖ ([\d.e-]+)/.exec(label('linear\n[5,2]'))![1]);
    expect(shown).toBeCloseTo(expected, 2);
    const weight = model.namedParameters().find(([name]) => name === '0.weight')![1];
    const weightNorm = Math.sqrt(Array.from(weight.grad!.data).reduce((a, v) => a + v * v, 0));
    expect(Number(/‖grad‖ ([\d.e-]+)/.exec(label('0.weight'))![1])).toBeCloseTo(weightNorm, 2);
  });

  it('colours nodes by gradient norm on a log ramp, the largest brightest, grey before backward', () => {
    const after = parseDot(twoLayerStep(true).dot);
    const norms = [...after.nodes.values()].filter((n) => n.label.includes('‖grad‖')).map((n) => ({ n, v: Number(/‖grad‖ ([\d.e-]+)/.exec(n.label)![1]) }));
    const largest = norms.reduce((a, b) => (b.v > a.v ? b : a));
    const smallest = norms.reduce((a, b) => (b.v < a.v ? b : a));
    expect(largest.n.fill).toBe('#fde725');
    expect(smallest.n.fill).toBe('#440154');
    const before = parseDot(twoLayerStep(false).dot);
    expect(new Set([...before.nodes.values()].map((n) => n.fill))).toEqual(new Set(['#eef0f4']));
  });
});
