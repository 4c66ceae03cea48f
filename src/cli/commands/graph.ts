import { spawnSync } from 'node:child_process';
import { randn } from '../../autograd/creation.js';
import * as nn from '../../nn/index.js';
import { recordGradientNorms, toDot } from '../../report/dot.js';
import { manualSeed } from '../../tensor/rng.js';
import { ACTIVATION_OPTION, activationName } from '../activation.js';
import { parseCommandLine, type OptionSpecs } from '../args.js';
import { checkOutputPath, writeFileAtomic } from '../files.js';
import type { Command } from '../main.js';

/** The options of `gradguard graph`. */
export const GRAPH_OPTIONS = {
  depth: { kind: 'integer', valueName: 'N', description: 'Linear layers in the MLP', min: 1, default: 3 },
  width: { kind: 'integer', valueName: 'N', description: 'width of the hidden layers', min: 1, default: 8 },
  inputs: { kind: 'integer', valueName: 'N', description: 'input features', min: 1, default: 2 },
  classes: { kind: 'integer', valueName: 'N', description: 'output classes', min: 2, default: 3 },
  activation: ACTIVATION_OPTION,
  'init-gain': { kind: 'number', valueName: 'X', description: 'weight std as a multiple of He\'s √(2/fan_in)', min: 0, exclusiveMin: true, default: 1 },
  batch: { kind: 'integer', valueName: 'N', description: 'rows in the random input batch', min: 1, default: 4 },
  seed: { kind: 'integer', valueName: 'N', description: 'seed of the weights and the input', min: 0, default: 0 },
  'forward-only': { kind: 'flag', description: 'draw the graph before backward (no gradient norms)' },
  out: { kind: 'string', valueName: 'PATH', description: 'where to write the DOT file', default: 'gradguard-graph.dot' },
  svg: { kind: 'string', valueName: 'PATH', description: 'where to write the SVG (needs Graphviz `dot` on the PATH; default: the DOT path with .svg)' },
} as const satisfies OptionSpecs;

const USAGE = 'gradguard graph [options]';
const DESCRIPTION = [
  'Builds an MLP, runs one training step (forward, cross-entropy loss, backward) on a random batch and',
  'writes its autograd graph as Graphviz DOT: one box per op with its output shape, module path and the',
  'norm of the gradient that reached it, coloured by that norm. Renders SVG too when `dot` is installed.',
].join('\n');

/**
 * True when Graphviz's `dot` can be run.
 * @example
 * if (hasGraphviz()) renderSvg(dot);
 */
export function hasGraphviz(): boolean {
  const probe = spawnSync('dot', ['-V'], { stdio: 'ignore' });
  return probe.error === undefined && probe.status === 0;
}

/** `gradguard graph`: the autograd graph of one training step. */
export const graph: Command = async ({ argv, stdout, stderr, cwd }) => {
  const options = parseCommandLine('gradguard graph', argv, GRAPH_OPTIONS, { usage: USAGE, description: DESCRIPTION }, stdout);
  if (options === null) return 0;
  const dotPath = await checkOutputPath('gradguard graph', '--out', options.out, cwd);
  const svgOption = options.svg ?? dotPath.replace(/(\.dot)?$/, '.svg');
  const svgPath = await checkOutputPath('gradguard graph', '--svg', svgOption, cwd);
  manualSeed(options.seed);
  const sizes = [options.inputs, ...Array.from({ length: options.depth - 1 }, () => options.width), options.classes];
  const model = nn.mlp(sizes, { activation: activationName(options.activation), init: 'kaimingNormal', gain: options['init-gain'] });
  const x = randn([options.batch, options.inputs]);
  const targets = Int32Array.from({ length: options.batch }, (_, i) => i % options.classes);
  const loss = nn.crossEntropy(model.forward(x), targets);
  const recorder = recordGradientNorms();
  if (options['forward-only'] !== true) loss.backward({ guards: [recorder.guard], retainGraph: true });
  const title = `one training step of an MLP [${sizes.join(', ')}], loss ${loss.item().toPrecision(4)}`;
  const dot = toDot(loss, { title, gradientNorms: recorder.norms });
  stdout.write(`DOT: ${await writeFileAtomic(dotPath, dot)}\n`);
  if (!hasGraphviz()) {
    stderr.write('note: Graphviz `dot` is not on the PATH, so no SVG was rendered (install graphviz, or paste the DOT into any Graphviz viewer)\n');
    return 0;
  }
  const rendered = spawnSync('dot', ['-Tsvg'], { input: dot, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (rendered.status !== 0) {
    stderr.write(`gradguard graph: dot failed: ${rendered.stderr.trim()}\n`);
    return 1;
  }
  stdout.write(`SVG: ${await writeFileAtomic(svgPath, rendered.stdout)}\n`);
  return 0;
};
