import type { GradientView } from '../autograd/hooks.js';
import type { Tensor } from '../autograd/tensor.js';
import { allFinite } from '../tensor/kernels/reduce.js';

/*
 * Gradient amplification: how much a module multiplies the gradient norm on its way back.
 * The chain rule makes the gradient at layer 1 the product of every layer's Jacobian above it;
 * when those factors sit above 1 the product explodes, below 1 it vanishes. Here each factor is
 * measured: ‖gradient leaving towards the module's input‖ / ‖gradient arriving at its output‖.
 *
 * Single modules mislead: with He init a Linear alone multiplies the norm by ~√2 and the ReLU
 * after it by ~1/√2. So modules are grouped into blocks (a module with parameters and the
 * parameter-free modules after it, such as Linear + ReLU), and the verdict uses the product over depth.
 */

/** A module's entry in a monitor record. */
export interface LayerStat {
  /** 2-norm of the module's own parameter gradients; 0 when it has none. */
  gradNorm: number;
  /** ‖gradient towards its input‖ / ‖gradient at its output‖; NaN when its input needs no gradient. */
  amplification: number;
}

/** A block (a module with parameters and the parameter-free modules that follow it) and its product. */
export interface BlockStat {
  /** Module paths in the block, forward order (`['2', '3']` for Linear '2' + ReLU '3'). */
  modules: string[];
  /** Product of the members' amplifications (NaN when any member's is unmeasurable). */
  amplification: number;
}

/** The squared norms that reached one module in a pass, and the op of its output. */
interface ModuleFlow {
  /** Σ of ‖gradient at its output‖² over its calls. */
  outputSquares: number;
  /** Σ of ‖gradient towards its inputs‖²; meaningful once `inputSeen`. */
  inputSquares: number;
  inputSeen: boolean;
  op: string;
}

/** Where a module first saw non-finite values during a pass. */
export interface ModuleNonFinite {
  module: string;
  op: string;
}

/**
 * Measures, during one backward pass, the gradient norm arriving at each module's output and
 * the norm leaving towards its inputs. It listens to the engine's per-tensor events: the
 * output tensors carry `boundaries` (set by `runInScope`), and the gradient of an input
 * tensor is complete after every module that used it has run its VJPs. Norms come from the
 * views' cached one-pass statistics; a module called twice in one pass sums both calls.
 * The monitor drives it; it is exported for guards of your own.
 *
 * @example
 * const tracker = new AmplificationTracker();
 * const guard: Guard = {
 *   name: 'amplification',
 *   beginPass: () => tracker.reset(),
 *   onTensorGradient: (e) => tracker.onGradient(e.tensor, e.grad),
 *   endPass: () => console.log(tracker.order().map((m) => `${m}: ${tracker.amplification(m)}`)),
 * };
 */
export class AmplificationTracker {
  /** What arrived at each module in this pass (one map lookup per gradient, not one per figure). */
  private flows = new Map<string, ModuleFlow>();
  private waiting = new Map<Tensor, string[]>();
  private backwardOrder: string[] = [];
  private firstBackwardNonFinite: ModuleNonFinite | null = null;
  private forwardCheck = false;
  private forwardProducer: ModuleNonFinite | null = null;
  private rootOp = 'unknown';

  /** Forgets the previous pass. */
  reset(): void {
    this.forwardCheck = false;
    this.forwardProducer = null;
    // why: fresh maps, not clear(): V8 allocates a cleared map's new table where the old one
    // lived, so a tracker that has reached the old generation would leave old-generation garbage
    // every pass and set off a full collection every hundred steps or so (measured on step B)
    this.flows = new Map();
    this.waiting = new Map();
    this.backwardOrder = [];
    this.firstBackwardNonFinite = null;
  }

  /**
   * The pass starts at `root`. When its value is already non-finite, the forward pass went
   * wrong, and module outputs are checked as their gradients arrive (only then: a healthy pass
   * pays nothing) to find the first module whose inputs were finite and whose output was not.
   */
  onRoot(root: Tensor): void {
    this.forwardCheck = !allFinite(root.data);
    this.rootOp = root.node?.op ?? 'unknown';
  }

  /**
   * The module (and the op of its output) where the forward pass first turned non-finite; module
   * `''` with the root's op when no module output was non-finite (the loss itself overflowed).
   */
  forwardNonFinite(): ModuleNonFinite | null {
    if (!this.forwardCheck) return null;
    return this.forwardProducer ?? { module: '', op: this.rootOp };
  }

  /** A tensor's gradient is complete (a non-leaf, or a leaf that requires gradients). */
  onGradient(tensor: Tensor, grad: GradientView): void {
    const consumers = this.waiting.get(tensor);
    if (consumers !== undefined) {
      this.waiting.delete(tensor);
      for (const module of consumers) this.arriveAtInput(module, grad);
    }
    const boundaries = tensor.boundaries;
    if (boundaries === undefined) return;
    for (const boundary of boundaries) {
      if (boundary.module === '') continue; // the root module: not a submodule
      const op = tensor.node?.op ?? 'unknown';
      this.arriveAtOutput(boundary.module, grad, op);
      if (this.forwardCheck) this.checkForward(tensor, boundary.module, boundary.inputs, op);
      for (const input of boundary.inputs) if (input.requiresGrad) this.wait(input, boundary.module);
    }
  }

  /** Module paths in forward order (the reverse of the order their output gradients arrived in). */
  order(): string[] {
    return [...this.backwardOrder].reverse();
  }

  /** The op that produced each module's output in this pass (`'linear'`, `'relu'`, …). */
  outputOps(): Record<string, string> {
    const ops: Record<string, string> = {};
    for (const [module, flow] of this.flows) ops[module] = flow.op;
    return ops;
  }

  /** The op that produced `module`'s output in this pass, if its output gradient arrived. */
  outputOp(module: string): string | undefined {
    return this.flows.get(module)?.op;
  }

  /**
   * True when this pass met the modules `order[0..count)` (forward order) with output ops
   * `ops[0..count)`, and no others: the previous pass's structure, which can then be reused.
   */
  sameModules(order: readonly string[], ops: ReadonlyArray<string | undefined>, count: number): boolean {
    const met = this.backwardOrder;
    if (met.length !== count) return false;
    for (let i = 0; i < count; i++) {
      const module = met[count - 1 - i]!;
      if (module !== order[i] || this.flows.get(module)?.op !== ops[i]) return false;
    }
    return true;
  }

  /** Amplification of `module` in this pass (NaN when not measurable). */
  amplification(module: string): number {
    const flow = this.flows.get(module);
    if (flow === undefined || !flow.inputSeen) return NaN;
    return Math.sqrt(flow.inputSquares / flow.outputSquares);
  }

  /** The first module (in backward order) whose output gradient was finite but whose input gradient was not. */
  backwardNonFinite(): ModuleNonFinite | null {
    return this.firstBackwardNonFinite;
  }

  private arriveAtOutput(module: string, grad: GradientView, op: string): void {
    const flow = this.flows.get(module);
    if (flow === undefined) {
      this.backwardOrder.push(module);
      this.flows.set(module, { outputSquares: grad.stats.sumOfSquares, inputSquares: 0, inputSeen: false, op });
      return;
    }
    flow.outputSquares += grad.stats.sumOfSquares;
    flow.op = op;
  }

  private arriveAtInput(module: string, grad: GradientView): void {
    const flow = this.flows.get(module);
    // why: an input is awaited only after its module's output gradient arrived, so the flow exists
    if (flow === undefined) return;
    const squares = grad.stats.sumOfSquares;
    flow.inputSquares += squares;
    flow.inputSeen = true;
    if (this.firstBackwardNonFinite === null && !grad.finite && Number.isFinite(flow.outputSquares)) {
      this.firstBackwardNonFinite = { module, op: flow.op };
    }
  }

  // why: backward meets later modules first, so the last candidate is the earliest in forward
  // order; an enclosing container is a candidate too and must not replace its own child.
  private checkForward(output: Tensor, module: string, inputs: readonly Tensor[], op: string): void {
    if (allFinite(output.data) || !inputs.every((input) => allFinite(input.data))) return;
    const current = this.forwardProducer;
    if (current !== null && current.module.startsWith(`${module}.`)) return;
    this.forwardProducer = { module, op };
  }

  private wait(input: Tensor, module: string): void {
    const list = this.waiting.get(input);
    if (list === undefined) this.waiting.set(input, [module]);
    else if (!list.includes(module)) list.push(module);
  }
}

/**
 * The module a parameter belongs to.
 * @example moduleOfParameter('layers.0.bias'); // 'layers.0' ('3.weight' → '3', 'scale' → '')
 */
export function moduleOfParameter(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? '' : name.slice(0, dot);
}

/**
 * Modules of `order` that contain no other listed module (the layers, not the containers).
 * @example leafModules(['0', '1', '1.body', '1.body.0']); // ['0', '1.body.0']
 */
export function leafModules(order: readonly string[]): string[] {
  return order.filter((path) => !order.some((other) => other !== path && other.startsWith(`${path}.`)));
}

/**
 * Groups the leaf modules of a record into blocks: each module that owns parameters starts a
 * block, and the parameter-free modules after it (activations) join it. Parameter-free modules
 * before the first parameterised one form a block of their own.
 * @example
 * const record = monitor.latest()!;
 * const owners = new Set(Object.keys(record.parameters).map(moduleOfParameter));
 * blocksOf(record.order, record.layers, (m) => owners.has(m)); // [{ modules: ['0', '1'], amplification: NaN }, { modules: ['2', '3'], amplification: 1.02 }, …]
 */
export function blocksOf(
  order: readonly string[],
  layers: Readonly<Record<string, LayerStat>>,
  ownsParameters: (module: string) => boolean,
): BlockStat[] {
  const blocks: BlockStat[] = [];
  for (const module of leafModules(order)) {
    const current = blocks[blocks.length - 1];
    if (current === undefined || ownsParameters(module)) blocks.push({ modules: [module], amplification: 1 });
    else current.modules.push(module);
  }
  for (const block of blocks) {
    for (const module of block.modules) block.amplification *= layers[module]?.amplification ?? NaN;
  }
  return blocks;
}

/**
 * The product of the measurable leaf-module amplifications: for a chain of layers this is
 * ‖gradient at the earliest measurable input‖ / ‖gradient at the network's output‖, the
 * chain rule's total factor over depth. NaN when no module was measurable (no module ran,
 * or every gradient was already NaN).
 * @example
 * const record = monitor.latest()!;
 * depthProduct(record.order, record.layers); // ≈ 1 for a He-initialised ReLU MLP, ≈ 2^depth at 2 × He
 */
export function depthProduct(order: readonly string[], layers: Readonly<Record<string, LayerStat>>): number {
  let product = 1;
  let measured = 0;
  for (const module of leafModules(order)) {
    const a = layers[module]?.amplification ?? NaN;
    if (Number.isNaN(a)) continue;
    product *= a;
    measured++;
  }
  return measured === 0 ? NaN : product;
}
