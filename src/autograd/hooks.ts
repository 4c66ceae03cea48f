import type { TypedArray } from '../tensor/dtype.js';
import { allFinite, bufferStats, type BufferStats } from '../tensor/kernels/reduce.js';
import { scaleInPlace } from '../tensor/kernels/unary.js';
import { statsOnWasm } from '../tensor/wasm/backend.js';
import type { Shape } from '../tensor/shape.js';
import type { Phase } from '../errors.js';
import type { Node } from './graph.js';
import type { Tensor } from './tensor.js';

/**
 * The engine's hook interface: how guards (or any user code) see a backward pass from the
 * inside. `src/guards` builds on this file alone; the engine knows nothing of any guard.
 */

/**
 * A gradient buffer as a guard sees it. Its statistics (Σx², max |x|, non-finite count) come
 * from one float64 pass, computed on first use and shared by every guard of the pass; the engine
 * shows a buffer through the same view in every event (a node's input gradient is the next
 * node's `gradOut`, a parameter's gradient its `.grad` at the end), so each is scanned once.
 * A guard that changes the buffer in place must say so (`scale`, `changed`) so the cache stays true.
 * A view of a node's or a non-leaf tensor's gradient is valid during the call that shows it only:
 * the engine recycles that buffer once the pass is done with it, so copy what you keep
 * (`view.data.slice()`, or the numbers). Parameter gradients become `.grad` and stay valid until
 * `zeroGrad`, which recycles a `.grad` no one read (`Tensor.releaseGrad`).
 * @example
 * const view = new GradientView(new Float32Array([3, 4]), [2]);
 * view.norm;     // 5, from one pass
 * view.scale(2); // data is [6, 8]; view.norm is 10 without a new scan
 */
export class GradientView {
  private cachedStats: BufferStats | null;
  private cachedFinite: boolean | null = null;
  /** `stats`, when given, must be those of `data` now (a kernel measured them as it wrote it). */
  constructor(
    readonly data: TypedArray,
    readonly shape: Shape,
    stats?: BufferStats,
  ) {
    this.cachedStats = stats ?? null;
  }

  get stats(): BufferStats {
    if (this.cachedStats === null) this.cachedStats = bufferStats(this.data);
    return this.cachedStats;
  }

  /** Euclidean norm; NaN or Inf when the buffer holds non-finite values. */
  get norm(): number {
    return Math.sqrt(this.stats.sumOfSquares);
  }

  /**
   * No NaN or ±Inf. Without cached statistics this is a cheaper scan of its own (the NaN trap asks
   * it of every gradient), unless the statistics run on WebAssembly, where they cost about as much
   * as that scan: then they are computed and kept, so a later `stats` does not scan again.
   */
  get finite(): boolean {
    if (this.cachedStats === null && this.cachedFinite === null && statsOnWasm(this.data)) this.cachedStats = bufferStats(this.data);
    if (this.cachedStats !== null) return this.cachedStats.nonFiniteCount === 0;
    if (this.cachedFinite === null) this.cachedFinite = allFinite(this.data);
    return this.cachedFinite;
  }

  /** Multiplies the buffer by `factor` in place and updates the cached statistics without a new scan (|factor| ≤ 1; else they are recomputed on next use). */
  scale(requested: number): void {
    const factor = scaleInPlace(this.data, requested);
    if (!(Math.abs(factor) <= 1)) {
      // why: a factor above 1 can overflow to ±Inf, which scaled statistics would not show
      this.cachedFinite = null;
      this.cachedStats = null;
    } else if (this.cachedStats !== null) {
      this.cachedStats = {
        sumOfSquares: this.cachedStats.sumOfSquares * factor * factor,
        maxAbs: this.cachedStats.maxAbs * Math.abs(factor),
        nonFiniteCount: this.cachedStats.nonFiniteCount,
      };
    }
  }

  /** Call after changing the buffer any other way: the statistics are recomputed on next use. */
  changed(): void {
    this.cachedStats = null;
    this.cachedFinite = null;
  }
}

/** Where and what: the first non-finite value of a pass. */
export interface NonFiniteInfo {
  op: string;
  phase: Phase;
  module?: string;
  /** Human-readable detail (shapes, statistics of the incoming gradient). */
  detail?: string;
}

/** Something a guard did during a pass, for the report: "clipped by 0.31", "zeroed 4 values". */
export interface GuardAction {
  guard: string;
  kind: string;
  /** Parameter name or module path the action applied to, when it applied to one. */
  target?: string;
  /** The factor applied, for scalings. */
  factor?: number;
  /** How many values were affected, for zeroing or value clipping. */
  count?: number;
  message: string;
}

/**
 * What `backward()` returns. `totalNorm` is the 2-norm of every parameter's accumulated
 * `.grad` before any clipping; `clipScale` the global factor a guard applied (1 when none).
 */
export interface BackwardReport {
  ok: boolean;
  totalNorm: number;
  clipScale: number;
  nonFinite: null | NonFiniteInfo;
  /** What each guard did during the pass, in order. */
  actions: GuardAction[];
  /** Set when a guard stopped the pass: no `.grad` was changed. */
  skipped: boolean;
  /** Per-parameter gradient norms, filled by guards that measure them (the monitor). */
  parameters?: Record<string, { gradNorm: number }>;
  /** Per-layer norms and amplification, filled by the monitor. */
  layers?: Record<string, { gradNorm: number; amplification: number }>;
}

/** A node's VJP has run: the gradient that came in and the gradients it produced for its inputs. */
export interface NodeGradientEvent {
  readonly node: Node;
  readonly op: string;
  readonly module: string | undefined;
  readonly outputShape: Shape;
  readonly inputShapes: readonly Shape[];
  /** The gradient of the node's output (complete: all uses summed). */
  readonly gradOut: GradientView;
  /** The gradient produced for each input, already summed to the input's shape; null where none flows. */
  readonly inputGrads: ReadonlyArray<GradientView | null>;
}

/** A non-leaf tensor's gradient is complete, just before it flows into the tensor's own node. */
export interface TensorGradientEvent {
  readonly tensor: Tensor;
  readonly grad: GradientView;
}

/** A leaf (parameter) has received this pass's whole gradient, before it is added to `.grad`. */
export interface ParameterGradientEvent {
  readonly parameter: Tensor;
  readonly grad: GradientView;
}

/** The end of the pass: every reached parameter's `.grad` now holds its accumulated gradient. */
export interface EndOfPassEvent {
  /** The leaves that received a gradient in this pass, in a deterministic order. */
  readonly parameters: readonly Tensor[];
  /** A view over each parameter's `.grad` (same order), with cached statistics. */
  readonly grads: readonly GradientView[];
}

/** What a guard may do to the pass besides reading it. */
export interface PassControl {
  /** The report `backward()` will return; guards fill in their parts. */
  readonly report: BackwardReport;
  /**
   * Abandons the pass: no `.grad` is changed, `report.ok` is false, `report.skipped` true.
   * Called from `endPass`, the pass's accumulation into `.grad` is undone (later guards do not run).
   */
  stop(): void;
  /** True once some guard has called `stop()`. */
  readonly stopped: boolean;
  /** Records a warning for a person (printed once per pass by the engine's warning sink). */
  warn(message: string): void;
}

/**
 * A guard runs inside the backward pass. Every method is optional; guards run in the order given
 * to `backward({ guards })`. A method may throw to abort the pass (no `.grad` changes then,
 * unless thrown from `endPass`).
 *
 * @example
 * const countNodes: Guard = {
 *   name: 'countNodes',
 *   onNodeGradient: (event) => { seen.push(event.op); },
 * };
 * loss.backward({ guards: [countNodes] });
 */
export interface Guard {
  readonly name: string;
  /** Called when a pass starts. */
  beginPass?(control: PassControl): void;
  /** Called after each node's VJP. May change `inputGrads` in place (then call `changed()`/`scale()`). */
  onNodeGradient?(event: NodeGradientEvent, control: PassControl): void;
  /**
   * Called after a node's VJP only when the node *produced* a non-finite gradient: the gradient
   * that came in was finite and one it sent to an input holds NaN or ±Inf (the rule anomaly mode
   * uses). Cheaper than `onNodeGradient` for a guard that cares about nothing else (the NaN trap):
   * the engine builds no event for the nodes that produce none.
   */
  onNonFiniteGradient?(event: NodeGradientEvent, control: PassControl): void;
  /** Called when a non-leaf tensor's gradient is complete. May change it in place. */
  onTensorGradient?(event: TensorGradientEvent, control: PassControl): void;
  /** Called for each parameter before its gradient is accumulated into `.grad`. */
  onParameterGradient?(event: ParameterGradientEvent, control: PassControl): void;
  /** Called at the end, after `.grad` is updated: clip, rescale, zero, measure. */
  endPass?(event: EndOfPassEvent, control: PassControl): void;
}

/** Where warnings from `control.warn` go; `console.warn` by default. */
let warningSink: (message: string) => void = (message) => console.warn(message);

/**
 * Redirects guard warnings (tests, the CLI's live view). Returns the previous sink.
 * @example
 * const seen: string[] = [];
 * const previous = setWarningSink((message) => seen.push(message));
 * loss.backward({ guards: [guards.nanTrap({ action: 'warn' })] });
 * setWarningSink(previous);
 */
export function setWarningSink(sink: (message: string) => void): (message: string) => void {
  const previous = warningSink;
  warningSink = sink;
  return previous;
}

export function emitWarning(message: string): void {
  warningSink(message);
}
