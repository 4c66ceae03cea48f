import type { GradientView } from '../autograd/hooks.js';
import type { Tensor } from '../autograd/tensor.js';
import { allFinite } from '../tensor/kernels/reduce.js';

/*
 * The measuring side of gradient amplification (see amplification.ts for what it means and how
 * records are read): ‖gradient leaving towards a module's input‖ / ‖gradient arriving at its
 * output‖, collected during one backward pass.
 */

/** Module paths remembered across passes before the memory of old ones is dropped. */
const MAX_REMEMBERED_PATHS = 4096;

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
 * Modules are kept by position: the n-th module whose output gradient arrived in this pass
 * has its figures at index n of typed arrays reused from pass to pass, so a pass creates no
 * objects (a training loop meets the same modules in the same order every step).
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
  /** How many modules this pass met; position p (backward order) holds the p-th one. */
  private count = 0;
  private readonly paths: string[] = [];
  private readonly ops: string[] = [];
  /** Σ ‖gradient at the output‖² over the module's calls, by position. */
  private outputSquares: Float64Array = new Float64Array(16);
  /** Σ ‖gradient towards its inputs‖², by position; meaningful where `inputSeen` is 1. */
  private inputSquares: Float64Array = new Float64Array(16);
  private inputSeen: Uint8Array = new Uint8Array(16);
  /** Each module path's position in the pass numbered `pass` (a module called twice keeps one). */
  private readonly positions = new Map<string, { pass: number; position: number }>();
  private passNumber = 0;
  /** Input tensors whose gradient is awaited, and the position of the module that took each. */
  private readonly waitingTensors: Array<Tensor | null> = [];
  private readonly waitingPositions: number[] = [];
  private waitingCount = 0;
  private firstBackwardNonFinite: ModuleNonFinite | null = null;
  private forwardCheck = false;
  private forwardProducer: ModuleNonFinite | null = null;
  private rootOp = 'unknown';

  /** Forgets the previous pass. */
  reset(): void {
    if (this.positions.size > MAX_REMEMBERED_PATHS) this.positions.clear(); // paths of models long gone
    this.forwardCheck = false;
    this.forwardProducer = null;
    // why: the arrays are overwritten and no map is cleared or replaced per pass. A cleared map
    // gets a new table where the old one lived, so a tracker that has reached the old generation
    // would leave old-generation garbage every pass and set off a full collection every hundred
    // steps or so (measured on step B); fresh maps per pass avoid that but cost allocations.
    this.count = 0;
    this.passNumber++;
    this.waitingTensors.fill(null, 0, this.waitingCount);
    this.waitingCount = 0;
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
    if (this.waitingCount > 0) this.arriveAtInputs(tensor, grad);
    const boundaries = tensor.boundaries;
    if (boundaries === undefined) return;
    for (let b = 0; b < boundaries.length; b++) {
      const { module, inputs } = boundaries[b]!;
      if (module === '') continue; // the root module: not a submodule
      const op = tensor.node?.op ?? 'unknown';
      const position = this.arriveAtOutput(module, grad, op);
      if (this.forwardCheck) this.checkForward(tensor, module, inputs, op);
      for (let i = 0; i < inputs.length; i++) if (inputs[i]!.requiresGrad) this.wait(inputs[i]!, position);
    }
  }

  /** How many modules this pass met. */
  get moduleCount(): number {
    return this.count;
  }

  /** Path of the module at `index` in forward order (0 ≤ index < `moduleCount`). */
  moduleAt(index: number): string {
    return this.paths[this.count - 1 - index]!;
  }

  /** The op that produced the output of the module at `index` in forward order. */
  opAt(index: number): string {
    return this.ops[this.count - 1 - index]!;
  }

  /** Amplification of the module at `index` in forward order (NaN when not measurable). */
  amplificationAt(index: number): number {
    const position = this.count - 1 - index;
    if (this.inputSeen[position] !== 1) return NaN;
    return Math.sqrt(this.inputSquares[position]! / this.outputSquares[position]!);
  }

  /** Module paths in forward order (the reverse of the order their output gradients arrived in). */
  order(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.moduleAt(i));
    return out;
  }

  /** The op that produced each module's output in this pass (`'linear'`, `'relu'`, …). */
  outputOps(): Record<string, string> {
    const ops: Record<string, string> = {};
    for (let p = 0; p < this.count; p++) ops[this.paths[p]!] = this.ops[p]!;
    return ops;
  }

  /** The op that produced `module`'s output in this pass, if its output gradient arrived. */
  outputOp(module: string): string | undefined {
    const position = this.positionOf(module);
    return position < 0 ? undefined : this.ops[position];
  }

  /**
   * True when this pass met the modules `order[0..count)` (forward order) with output ops
   * `ops[0..count)`, and no others: the previous pass's structure, which can then be reused.
   */
  sameModules(order: readonly string[], ops: ReadonlyArray<string | undefined>, count: number): boolean {
    if (this.count !== count) return false;
    for (let i = 0; i < count; i++) {
      if (this.moduleAt(i) !== order[i] || this.opAt(i) !== ops[i]) return false;
    }
    return true;
  }

  /** Amplification of `module` in this pass (NaN when not measurable). */
  amplification(module: string): number {
    const position = this.positionOf(module);
    return position < 0 ? NaN : this.amplificationAt(this.count - 1 - position);
  }

  /** The first module (in backward order) whose output gradient was finite but whose input gradient was not. */
  backwardNonFinite(): ModuleNonFinite | null {
    return this.firstBackwardNonFinite;
  }

  /** The module's position in this pass, or -1 when its output gradient has not arrived. */
  private positionOf(module: string): number {
    const entry = this.positions.get(module);
    return entry === undefined || entry.pass !== this.passNumber ? -1 : entry.position;
  }

  /** Adds an output gradient to its module's figures and returns the module's position. */
  private arriveAtOutput(module: string, grad: GradientView, op: string): number {
    const squares = grad.stats.sumOfSquares;
    const entry = this.positions.get(module); // one lookup: this pass's position, or last pass's entry to reuse
    if (entry !== undefined && entry.pass === this.passNumber) {
      const known = entry.position;
      this.outputSquares[known] = this.outputSquares[known]! + squares;
      this.ops[known] = op;
      return known;
    }
    const position = this.count++;
    if (position === this.outputSquares.length) this.grow();
    this.paths[position] = module;
    this.ops[position] = op;
    this.outputSquares[position] = squares;
    this.inputSquares[position] = 0;
    this.inputSeen[position] = 0;
    if (entry === undefined) this.positions.set(module, { pass: this.passNumber, position });
    else {
      entry.pass = this.passNumber;
      entry.position = position;
    }
    return position;
  }

  /** `tensor`'s gradient is the input gradient of every module that waits for it. */
  private arriveAtInputs(tensor: Tensor, grad: GradientView): void {
    // why: a short list scanned from the end: in a chain of modules the awaited input is
    // usually the one added last, and few are ever awaited at once
    for (let w = this.waitingCount - 1; w >= 0; w--) {
      if (this.waitingTensors[w] !== tensor) continue;
      this.arriveAtInput(this.waitingPositions[w]!, grad);
      const last = --this.waitingCount;
      this.waitingTensors[w] = this.waitingTensors[last]!;
      this.waitingPositions[w] = this.waitingPositions[last]!;
      this.waitingTensors[last] = null;
    }
  }

  private arriveAtInput(position: number, grad: GradientView): void {
    const squares = grad.stats.sumOfSquares;
    this.inputSquares[position] = this.inputSquares[position]! + squares;
    this.inputSeen[position] = 1;
    if (this.firstBackwardNonFinite === null && !grad.finite && Number.isFinite(this.outputSquares[position]!)) {
      this.firstBackwardNonFinite = { module: this.paths[position]!, op: this.ops[position]! };
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

  private wait(input: Tensor, position: number): void {
    for (let w = 0; w < this.waitingCount; w++) {
      if (this.waitingTensors[w] === input && this.waitingPositions[w] === position) return;
    }
    this.waitingTensors[this.waitingCount] = input;
    this.waitingPositions[this.waitingCount] = position;
    this.waitingCount++;
  }

  /** Doubles the per-position arrays (a model with more modules than they hold). */
  private grow(): void {
    const size = this.outputSquares.length * 2;
    const widen = (from: Float64Array): Float64Array => {
      const to = new Float64Array(size);
      to.set(from);
      return to;
    };
    this.outputSquares = widen(this.outputSquares);
    this.inputSquares = widen(this.inputSquares);
    const seen = new Uint8Array(size);
    seen.set(this.inputSeen);
    this.inputSeen = seen;
  }
}
