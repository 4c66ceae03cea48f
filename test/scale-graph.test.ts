import { describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '../src/index.js';
import { settledHeap } from './gc.js';

/*
 * Backward through a graph of a million nodes: the engine orders and walks the graph with
 * explicit stacks, so depth costs memory, never call-stack frames. The tensors are 4 elements
 * long, so the test measures the graph machinery, not the kernels. Multipliers are powers of
 * two (or sum to one), so every forward value and every gradient is exact in float32 and the
 * closed forms below must hold to the last bit. The branching graph is smaller (300,001 nodes,
 * 200,001 deep) only to keep the file near 10 s; a recursive walk would overflow at ~10,000.
 */

const X = [1, 2, 3, 4];

interface Outcome {
  nodes: number;
  grads: { x: number[]; first: number[]; second: number[] };
  /** A tensor from the middle of the graph, to prove the graph is collected once dropped. */
  middle: WeakRef<Tensor>;
  /** Wall-clock and process CPU milliseconds of building the graph and of the backward pass. */
  forward: Timing;
  backward: Timing;
}

interface Timing {
  wallMs: number;
  cpuMs: number;
}

function timed<T>(fn: () => T): [T, Timing] {
  const [wall, cpu] = [performance.now(), process.cpuUsage()];
  const value = fn();
  const used = process.cpuUsage(cpu);
  return [value, { wallMs: performance.now() - wall, cpuMs: (used.user + used.system) / 1000 }];
}

/** Counts the ops on the path from `root` back along each node's first input (iteratively). */
function depthOf(root: Tensor): number {
  let depth = 0;
  for (let t: Tensor | undefined = root; t?.node; t = t.node.inputs[0]) depth++;
  return depth;
}

/**
 * Builds `step` `steps` times from x = [1, 2, 3, 4] with two multiplier leaves, sums, runs
 * backward, and returns only numbers and a WeakRef: the graph dies with this call's frame.
 */
function run(steps: number, a: number, b: number, step: (y: Tensor, a: Tensor, b: Tensor) => Tensor): Outcome {
  const x = tensor(X, { requiresGrad: true });
  const first = tensor(X.map(() => a), { requiresGrad: true });
  const second = tensor(X.map(() => b), { requiresGrad: true });
  let middle: WeakRef<Tensor> | undefined;
  const [loss, forward] = timed(() => {
    let y = x;
    for (let k = 0; k < steps; k++) {
      y = step(y, first, second);
      if (k === steps >> 1) middle = new WeakRef(y);
    }
    return y.sum();
  });
  const nodes = depthOf(loss);
  const [, backward] = timed(() => loss.backward());
  return {
    nodes,
    grads: { x: Array.from(x.grad!.data), first: Array.from(first.grad!.data), second: Array.from(second.grad!.data) },
    middle: middle!,
    forward,
    backward,
  };
}

function log(name: string, outcome: Outcome, releasedMb: number): void {
  const show = (t: Timing): string => `${t.wallMs.toFixed(0)} ms (CPU ${t.cpuMs.toFixed(0)} ms)`;
  console.log(
    `${name}: forward ${show(outcome.forward)}, backward ${show(outcome.backward)}, ` +
      `heap after release ${releasedMb >= 0 ? '+' : ''}${releasedMb.toFixed(1)} MB`,
  );
}

describe('backward through very large graphs', () => {
  it('a chain of 1,000,000 multiplications gives the closed-form gradients and is freed afterwards', async () => {
    const before = await settledHeap();
    const [a, b, pairs] = [2, 0.5, 500_000];
    // L = Σ xᵢ·(aᵢbᵢ)^M with M = pairs: ∂L/∂x = (ab)^M, ∂L/∂a = M·x·(ab)^M / a, ∂L/∂b = M·x·(ab)^M / b
    const outcome = run(pairs, a, b, (y, first, second) => y.mul(first).mul(second));
    expect(outcome.nodes).toBe(2 * pairs + 1); // the muls and the final sum, one after the other
    const ab = (a * b) ** pairs;
    expect(outcome.grads.x).toEqual(X.map(() => ab));
    expect(outcome.grads.first).toEqual(X.map((x) => (pairs * x * ab) / a));
    expect(outcome.grads.second).toEqual(X.map((x) => (pairs * x * ab) / b));

    const released = (await settledHeap()) - before;
    log('chain of 1,000,001 nodes', outcome, released / 1e6);
    expect(outcome.middle.deref()).toBeUndefined();
    expect(released).toBeLessThan(20e6); // the graph itself held several hundred MB
  }, 60_000);

  it('a branching graph of 300,001 nodes (each value feeds two products that are summed) gives the closed form and is freed', async () => {
    const before = await settledHeap();
    const [p, q, steps] = [0.25, 0.75, 100_000];
    // y_{k+1} = p·y_k + q·y_k, so L = Σ xᵢ·(p+q)^K: ∂L/∂x = (p+q)^K, ∂L/∂p = ∂L/∂q = K·x·(p+q)^(K−1)
    const outcome = run(steps, p, q, (y, first, second) => y.mul(first).add(y.mul(second)));
    expect(outcome.nodes).toBe(2 * steps + 1); // along first inputs: mul, add per step, then the sum
    const sum = (p + q) ** steps;
    expect(outcome.grads.x).toEqual(X.map(() => sum));
    expect(outcome.grads.first).toEqual(X.map((x) => steps * x * (p + q) ** (steps - 1)));
    expect(outcome.grads.second).toEqual(X.map((x) => steps * x * (p + q) ** (steps - 1)));

    const released = (await settledHeap()) - before;
    log('branching graph of 3·100,000 + 1 nodes', outcome, released / 1e6);
    expect(outcome.middle.deref()).toBeUndefined();
    expect(released).toBeLessThan(20e6);
  }, 60_000);
});
