import type { TypedArray } from '../tensor/dtype.js';
import type { Shape } from '../tensor/shape.js';
import type { Node } from './graph.js';
import { GradientView, emitWarning, type BackwardReport, type EndOfPassEvent, type Guard, type NodeGradientEvent, type PassControl } from './hooks.js';
import type { Tensor } from './tensor.js';
import { producesNonFinite } from './nonfinite.js';

/*
 * The guards' side of one backward pass: the state they share (the report, stop, warnings),
 * the events the engine shows them, and undoing a pass that a guard stops at its end.
 */

/**
 * A gradient waiting to be summed; `owned` is false when the buffer also belongs to someone else.
 * `view` is the guards' view of the buffer when one exists already, so that its one-pass
 * statistics are computed once per buffer, not once per event that shows it.
 */
export interface Pending {
  data: TypedArray;
  owned: boolean;
  view: GradientView | null;
}

/**
 * Lets the guards see a non-leaf's complete gradient; they may change it in place (a gradient-flow
 * clip), so a buffer shared with another tensor (passed through by add or reshape) is copied first.
 * Called only when some guard has `onTensorGradient`.
 */
export function runTensorGuards(tensor: Tensor, grad: Pending, pass: Pass): Pending {
  const own: Pending = grad.owned ? grad : { data: grad.data.slice(), owned: true, view: null };
  const event = { tensor, grad: (own.view ??= new GradientView(own.data, tensor.shape)) };
  const watchers = pass.tensorWatchers;
  for (let i = 0; i < watchers.length; i++) watchers[i]!.onTensorGradient!(event, pass);
  return own;
}

/**
 * Shows one node's gradients to the guards that watch nodes, in their order: `onNodeGradient`
 * always, `onNonFiniteGradient` when the node produced a non-finite gradient (asked at that
 * guard's turn, so it sees what earlier guards changed). The event is built only if one is called.
 */
export function runNodeWatchers(node: Node, gradOut: GradientView, inputGrads: ReadonlyArray<GradientView | null>, pass: Pass): void {
  let event: NodeEvent | null = null;
  for (const guard of pass.nodeWatchers) {
    if (guard.onNodeGradient !== undefined) guard.onNodeGradient((event ??= new NodeEvent(node, gradOut, inputGrads)), pass);
    if (guard.onNonFiniteGradient !== undefined && !pass.stopped && producesNonFinite(gradOut, inputGrads)) {
      guard.onNonFiniteGradient((event ??= new NodeEvent(node, gradOut, inputGrads)), pass);
    }
    if (pass.stopped) return;
  }
}

/**
 * What guards see after a node's VJP. A class, so that the fields derived from the node (op,
 * module, shapes) are read from it on demand instead of being copied for every node of every pass.
 */
export class NodeEvent implements NodeGradientEvent {
  constructor(
    readonly node: Node,
    readonly gradOut: GradientView,
    readonly inputGrads: ReadonlyArray<GradientView | null>,
  ) {}

  get op(): string {
    return this.node.op;
  }

  get module(): string | undefined {
    return this.node.module;
  }

  get outputShape(): Shape {
    return this.gradOut.shape;
  }

  get inputShapes(): readonly Shape[] {
    return this.node.inputs.map((input) => input.shape);
  }
}

/** Measures the accumulated gradients once (report.totalNorm) and runs the guards' `endPass`. */
export function endOfPass(leaves: readonly Tensor[], leafGrads: readonly Pending[], guards: readonly Guard[], pass: Pass): void {
  const end: EndOfPassEvent = {
    parameters: leaves,
    grads: leaves.map((leaf, i) => {
      const passed = leafGrads[i]!; // .grad adopted this pass's buffer: its statistics are still true
      const data = leaf.peekGrad()!.data;
      return passed.view !== null && passed.data === data ? passed.view : new GradientView(data, leaf.shape);
    }),
  };
  let sumOfSquares = 0;
  for (const view of end.grads) sumOfSquares += view.stats.sumOfSquares;
  pass.report.totalNorm = Math.sqrt(sumOfSquares);
  for (const guard of guards) {
    guard.endPass?.(end, pass);
    if (pass.stopped) return;
  }
}

/** Undoes this pass's accumulation: `.grad` back to null, or to the values it held before. */
export function restoreGrads(leaves: readonly Tensor[], before: ReadonlyArray<TypedArray | null>): void {
  for (let i = 0; i < leaves.length; i++) {
    const previous = before[i];
    const leaf = leaves[i]!;
    if (previous === null || previous === undefined) leaf.grad = null;
    else leaf.peekGrad()!.data.set(previous);
  }
}

/**
 * What each leaf's `.grad` held before the pass (null for none), so a pass a guard stops at its end
 * (ZClip's skip) can be undone. Copies only gradients that already exist (gradient accumulation).
 */
export function snapshotGrads(leaves: readonly Tensor[]): Array<TypedArray | null> {
  return leaves.map((leaf) => leaf.peekGrad()?.data.slice() ?? null);
}

/** The state guards share during one pass. */
export class Pass implements PassControl {
  readonly report: BackwardReport = {
    ok: true, totalNorm: 0, clipScale: 1, nonFinite: null, actions: [], skipped: false,
  };
  stopped = false;
  private warnings: string[] = [];
  /** The guards with `onNodeGradient` or `onNonFiniteGradient`, in order: the ones a node's VJP concerns. */
  readonly nodeWatchers: readonly Guard[];
  /** The guards with `onTensorGradient`, in order. */
  readonly tensorWatchers: readonly Guard[];
  /** True when any guard watches the pass: the VJPs' kernels may then measure what they write. */
  readonly guarded: boolean;

  // why lists made once per pass: each event then calls only the guards that listen to it
  constructor(guards: readonly Guard[]) {
    this.nodeWatchers = guards.filter((guard) => guard.onNodeGradient !== undefined || guard.onNonFiniteGradient !== undefined);
    this.tensorWatchers = guards.filter((guard) => guard.onTensorGradient !== undefined);
    this.guarded = guards.length > 0;
  }

  stop(): void {
    this.stopped = true;
  }

  warn(message: string): void {
    this.warnings.push(message);
  }

  finishSkipped(): BackwardReport {
    this.report.ok = false;
    this.report.skipped = true;
    return this.finish();
  }

  finish(): BackwardReport {
    if (this.warnings.length > 0) emitWarning(this.warnings.join('\n'));
    return this.report;
  }
}
