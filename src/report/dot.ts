import type { Node } from '../autograd/graph.js';
import type { Guard } from '../autograd/hooks.js';
import type { Tensor } from '../autograd/tensor.js';
import { formatShape } from '../errors.js';
import { bufferStats } from '../tensor/kernels/reduce.js';
import { NON_FINITE_COLOR, inkOnRamp, rampColor } from './colors.js';
import { formatNumber } from './scale.js';

/**
 * Graphviz DOT export of the autograd graph: micrograd's `draw_dot` for real models. Every op is
 * one box (op, output shape, module path and, after backward, the norm of the gradient that
 * reached its output), every leaf one ellipse (parameter name or "input"), edges run from inputs
 * to the op that used them, and ops are grouped in one cluster per module.
 */

/** Options of `toDot`. */
export interface DotOptions {
  /** Graph title, drawn at the top. */
  readonly title?: string;
  /** Gradient norm at each op's output, as `recordGradientNorms` collects them during backward. */
  readonly gradientNorms?: ReadonlyMap<Node, number>;
}

/**
 * A guard that records, for every node of a backward pass, the norm of the gradient of its
 * output, so that `toDot` can label and colour the graph by it.
 * @example
 * const recorder = recordGradientNorms();
 * loss.backward({ guards: [recorder.guard], retainGraph: true });
 * const dot = toDot(loss, { gradientNorms: recorder.norms });
 */
export function recordGradientNorms(): { guard: Guard; norms: Map<Node, number> } {
  const norms = new Map<Node, number>();
  const guard: Guard = {
    name: 'recordGradientNorms',
    onNodeGradient: (event) => {
      norms.set(event.node, event.gradOut.norm);
    },
  };
  return { guard, norms };
}

interface GraphItem {
  readonly id: string;
  readonly tensor: Tensor;
}

/**
 * The graph that produced `root`, as Graphviz DOT text.
 * @example
 * const dot = toDot(model.forward(x).sum());
 * dot.startsWith('digraph'); // true
 */
export function toDot(root: Tensor, options: DotOptions = {}): string {
  const items = collect(root);
  const ids = new Map(items.map((item) => [item.tensor, item.id]));
  const norms = options.gradientNorms ?? new Map<Node, number>();
  const color = colorScale(items, norms);
  const clusters = new Map<string, string[]>();
  const loose: string[] = [];
  const edges: string[] = [];
  for (const { id, tensor } of items) {
    const line = `    ${id} ${attributes(describe(tensor, norms, color))};`;
    const module = moduleOf(tensor);
    if (module === undefined) loose.push(line);
    else clusters.set(module, [...(clusters.get(module) ?? []), line]);
    for (const input of tensor.node?.inputs ?? []) edges.push(`  ${ids.get(input)} -> ${id};`);
  }
  const title = options.title === undefined ? [] : [`  label=${quote(options.title)}; labelloc=t; fontsize=16;`];
  return [
    'digraph autograd {',
    ...title,
    '  rankdir=LR;',
    '  node [fontname="Helvetica", fontsize=10];',
    '  edge [color="#7a8090", arrowsize=0.6];',
    ...loose.map((line) => line.slice(2)),
    ...[...clusters].map(([module, lines], i) =>
      [`  subgraph cluster_${i} {`, `    label=${quote(`module ${module}`)}; style=rounded; color="#b8bfcc"; fontname="Helvetica";`, ...lines, '  }'].join('\n')),
    ...edges,
    '}',
    '',
  ].join('\n');
}

/** Every tensor reachable from `root` (ops and leaves), inputs before the ops that use them. */
function collect(root: Tensor): GraphItem[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>([root]);
  const stack: Array<{ tensor: Tensor; next: number }> = [{ tensor: root, next: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const inputs = top.tensor.node?.inputs ?? [];
    const child = inputs[top.next];
    if (child !== undefined) {
      top.next++;
      if (!seen.has(child)) {
        seen.add(child);
        stack.push({ tensor: child, next: 0 });
      }
    } else {
      stack.pop();
      order.push(top.tensor);
    }
  }
  return order.map((tensor, i) => ({ id: `${tensor.node === null ? 'leaf' : 'op'}${i}`, tensor }));
}

/** Module of an op, or of a parameter by its name's prefix (`'0.weight'` → `'0'`). */
function moduleOf(tensor: Tensor): string | undefined {
  if (tensor.node !== null) return tensor.node.module === '' ? undefined : tensor.node.module;
  const name = tensor.name;
  if (name === undefined || !name.includes('.')) return undefined;
  return name.slice(0, name.lastIndexOf('.'));
}

type Attributes = Record<string, string>;

function describe(tensor: Tensor, norms: ReadonlyMap<Node, number>, color: (norm: number | undefined) => Attributes): Attributes {
  const node = tensor.node;
  const norm = node === null ? gradNorm(tensor) : norms.get(node);
  const lines = node === null
    ? [tensor.name ?? (tensor.requiresGrad ? 'leaf' : 'input'), formatShape(tensor.shape)]
    : [node.op, formatShape(tensor.shape), ...(node.module === undefined || node.module === '' ? [] : [`module ${node.module}`])];
  if (norm !== undefined) lines.push(`‖grad‖ ${formatNumber(norm)}`);
  const shape = node === null ? { shape: 'ellipse' } : { shape: 'box', style: 'rounded,filled' };
  return { label: lines.join('\\n'), ...shape, ...color(norm), ...(node === null ? { style: 'filled' } : {}) };
}

function gradNorm(tensor: Tensor): number | undefined {
  const grad = tensor.peekGrad(); // read now, kept nowhere: zeroGrad may still recycle it
  if (grad === null) return undefined;
  return Math.sqrt(bufferStats(grad.data).sumOfSquares);
}

/** Fill colours on a log ramp over the graph's finite positive norms; black for NaN/Inf, grey for none. */
function colorScale(items: readonly GraphItem[], norms: ReadonlyMap<Node, number>): (norm: number | undefined) => Attributes {
  const logs = items
    .map(({ tensor }) => (tensor.node === null ? gradNorm(tensor) : norms.get(tensor.node)))
    .filter((v): v is number => v !== undefined && Number.isFinite(v) && v > 0)
    .map(Math.log10);
  const lo = Math.min(...logs);
  const hi = Math.max(...logs);
  return (norm) => {
    if (norm === undefined) return { fillcolor: '#eef0f4', fontcolor: '#1d2330' };
    if (!Number.isFinite(norm)) return { fillcolor: NON_FINITE_COLOR, fontcolor: '#ffffff' };
    const t = hi > lo && norm > 0 ? (Math.log10(norm) - lo) / (hi - lo) : 0.5;
    return { fillcolor: rampColor(t), fontcolor: inkOnRamp(t) };
  };
}

function attributes(attrs: Attributes): string {
  return `[${Object.entries(attrs).map(([k, v]) => `${k}=${quote(v)}`).join(', ')}]`;
}

/** A DOT string literal; `\\n` sequences already in the text stay line breaks. */
function quote(value: string): string {
  return `"${value.replace(/"/g, '\\"')}"`;
}
