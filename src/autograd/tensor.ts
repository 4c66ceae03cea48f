import { ArgumentError, DTypeError, GradientError, ShapeError, formatShape } from '../errors.js';
import { allocate, dtypeOf, type DType, type TypedArray } from '../tensor/dtype.js';
import { formatTensor } from '../tensor/format.js';
import { normalizeAxis, sizeOf, type Shape } from '../tensor/shape.js';
import { toNested, type NestedArray } from '../tensor/storage.js';
import { apply } from './apply.js';
import { backward, type BackwardOptions } from './engine.js';
import type { Node, ScopeBoundary } from './graph.js';
import type { BackwardReport } from './hooks.js';

/** A function that sees (and may replace) the gradient flowing into a tensor. */
export type TensorHook = (grad: Tensor) => Tensor | void;

/**
 * An n-dimensional array of float32 or float64 values that can record the ops applied to it,
 * so that `backward()` can compute gradients by reverse-mode automatic differentiation.
 * Storage is one contiguous row-major typed array; every method returns a new tensor.
 *
 * @example
 * const x = tensor([1, 2, 3], { requiresGrad: true });
 * x.mul(x).sum().backward();
 * x.grad?.toArray(); // [2, 4, 6]
 */
export class Tensor {
  /** Contiguous row-major values. Writable, but changing it does not update any graph. */
  data: TypedArray;
  readonly shape: Shape;
  readonly dtype: DType;
  readonly size: number;
  readonly ndim: number;
  /** Accumulated gradient of a leaf (or of a non-leaf after `retainGrad()`), `null` until a backward reaches it. */
  grad: Tensor | null = null;
  /** The op that produced this tensor; `null` for leaves (user-created tensors and parameters). */
  node: Node | null = null;
  /** An optional name: parameters carry their `stateDict` key here, for reports and errors. */
  name: string | undefined;
  /** Module boundaries this tensor is the output of (set by nn modules while recording). */
  boundaries: ScopeBoundary[] | undefined;
  /** Hooks registered with `registerHook`, run in order. */
  readonly hooks: TensorHook[] = [];
  /** True after `retainGrad()`: a non-leaf keeps its gradient in `.grad`. */
  retainsGrad = false;
  private requiresGradFlag: boolean;
  private everRequiredGradFlag: boolean;

  /**
   * Low-level constructor over an existing buffer (not copied). Prefer `tensor()`, `zeros()`, …
   * @throws ShapeError when `data.length` does not match `shape`.
   */
  constructor(data: TypedArray, shape: Shape = [data.length], options: { requiresGrad?: boolean } = {}) {
    if (!(data instanceof Float32Array) && !(data instanceof Float64Array)) {
      throw new DTypeError('Tensor', `data must be a Float32Array or Float64Array, got ${describe(data)}`);
    }
    const size = sizeOf(shape);
    if (size !== data.length) {
      throw new ShapeError('Tensor', `data has ${data.length} elements but shape ${formatShape(shape)} needs ${size}`, [shape]);
    }
    this.data = data;
    this.shape = shape;
    this.dtype = dtypeOf(data);
    this.size = size;
    this.ndim = shape.length;
    this.requiresGradFlag = options.requiresGrad ?? false;
    this.everRequiredGradFlag = this.requiresGradFlag;
  }

  /** Whether gradients are computed for this tensor. Only leaves may change it. */
  get requiresGrad(): boolean {
    return this.requiresGradFlag;
  }

  set requiresGrad(value: boolean) {
    if (this.node !== null && !value) {
      throw new GradientError('requiresGrad', 'cannot turn off requiresGrad on a non-leaf tensor; use detach()');
    }
    this.requiresGradFlag = value;
    if (value) this.everRequiredGradFlag = true;
  }

  /**
   * True once `requiresGrad` has been on, even if it was turned off since: a frozen parameter
   * stays a parameter, so `nn.Module` keeps it in `parameters()` and `stateDict()`, as PyTorch does.
   * @example
   * const w = zeros([2], { requiresGrad: true });
   * w.requiresGrad = false;
   * w.everRequiredGrad; // true
   */
  get everRequiredGrad(): boolean {
    return this.everRequiredGradFlag;
  }

  /** True for tensors no recorded op produced: inputs, parameters. */
  get isLeaf(): boolean {
    return this.node === null;
  }

  // ---- Differentiable ops (each defined once, in src/autograd/ops) ----
  add(other: Tensor | number): Tensor { return apply('add', [this, this.operand(other)], null); }
  sub(other: Tensor | number): Tensor { return apply('sub', [this, this.operand(other)], null); }
  mul(other: Tensor | number): Tensor { return apply('mul', [this, this.operand(other)], null); }
  div(other: Tensor | number): Tensor { return apply('div', [this, this.operand(other)], null); }
  neg(): Tensor { return apply('neg', [this], null); }
  /** xᵖ for a scalar exponent. */
  pow(exponent: number): Tensor { return apply('pow', [this], { exponent: checkNumber('pow', 'exponent', exponent) }); }
  exp(): Tensor { return apply('exp', [this], null); }
  log(): Tensor { return apply('log', [this], null); }
  sqrt(): Tensor { return apply('sqrt', [this], null); }
  abs(): Tensor { return apply('abs', [this], null); }
  /** Limits values to [min, max]; either bound may be omitted. */
  clamp(min?: number, max?: number): Tensor {
    return apply('clamp', [this], { min: min ?? -Infinity, max: max ?? Infinity });
  }
  relu(): Tensor { return apply('relu', [this], null); }
  leakyRelu(slope = 0.01): Tensor { return apply('leakyRelu', [this], { slope: checkNumber('leakyRelu', 'slope', slope) }); }
  tanh(): Tensor { return apply('tanh', [this], null); }
  sigmoid(): Tensor { return apply('sigmoid', [this], null); }
  /** Matrix product of two 2-D tensors. */
  matmul(other: Tensor): Tensor { return apply('matmul', [this, other], null); }
  /** Sum over `axis` (every element when omitted, giving a 0-d tensor). */
  sum(axis?: number, keepDim = false): Tensor { return apply('sum', [this], { axis: axis ?? null, keepDim }); }
  /** Mean over `axis` (every element when omitted): sum / count. */
  mean(axis?: number, keepDim = false): Tensor {
    const count = axis === undefined ? this.size : this.shape[normalizeAxis('mean', axis, this.shape)] ?? 1;
    return this.sum(axis, keepDim).div(count);
  }
  /** Maximum over `axis` (every element when omitted). */
  max(axis?: number, keepDim = false): Tensor { return apply('max', [this], { axis: axis ?? null, keepDim }); }
  /** The same values under a new shape (one dimension may be -1). Shares storage. */
  reshape(shape: readonly number[]): Tensor { return apply('reshape', [this], { shape }); }
  /** Transpose of a 2-D tensor. */
  transpose(): Tensor { return apply('transpose', [this], null); }
  softmax(axis = -1): Tensor { return apply('softmax', [this], { axis }); }
  logSoftmax(axis = -1): Tensor { return apply('logSoftmax', [this], { axis }); }

  // ---- Graph and values ----

  /** A tensor sharing this one's data but cut from the graph. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) {
      throw new ShapeError('item', `only one-element tensors can be converted to a number, got shape ${formatShape(this.shape)}`, [this.shape]);
    }
    return this.data[0]!;
  }

  /** Values as nested arrays (a number for a 0-d tensor). */
  toArray(): NestedArray {
    return toNested(this.data, this.shape);
  }

  /** A new tensor with its own copy of the data, not part of any graph. */
  clone(): Tensor {
    const copy = allocate(this.dtype, this.size);
    copy.set(this.data);
    return new Tensor(copy, this.shape.slice());
  }

  /**
   * Computes the gradient of this tensor with respect to every leaf that requires one and
   * accumulates it into their `.grad`. See `BackwardOptions` for guards and `retainGraph`.
   */
  backward(options: BackwardOptions = {}): BackwardReport {
    return backward(this, options);
  }

  /**
   * Registers `hook(grad)`, run when this tensor's gradient is complete; a returned tensor
   * replaces the gradient. Returns a handle whose `remove()` unregisters it.
   */
  registerHook(hook: TensorHook): { remove(): void } {
    if (!this.requiresGrad) {
      throw new GradientError('registerHook', "cannot register a hook on a tensor that doesn't require gradients");
    }
    this.hooks.push(hook);
    return {
      remove: () => {
        const index = this.hooks.indexOf(hook);
        if (index >= 0) this.hooks.splice(index, 1);
      },
    };
  }

  /** Keeps the gradient of a non-leaf tensor in `.grad` after backward (leaves always keep theirs). */
  retainGrad(): this {
    if (!this.requiresGrad) {
      throw new GradientError('retainGrad', "cannot retain the gradient of a tensor that doesn't require gradients");
    }
    this.retainsGrad = true;
    return this;
  }

  /**
   * A printout in torch's repr format, with gradguard's names in the suffixes:
   * `tensor([[1., 2.],\n        [3., 4.]], requiresGrad=true)`.
   */
  toString(): string {
    const suffixes: string[] = [];
    // why: as torch, an empty tensor shows its size unless it is the plain 1-D `tensor([])`.
    if (this.size === 0 && this.ndim !== 1) suffixes.push(`size=${formatShape(this.shape)}`);
    if (this.dtype === 'float64') suffixes.push('dtype=float64');
    if (this.node !== null) suffixes.push(`gradFn=${this.node.op}`);
    else if (this.requiresGrad) suffixes.push('requiresGrad=true');
    return formatTensor(this.data, this.shape, suffixes);
  }

  /** `console.log(t)` in Node prints the same repr as `toString()`. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  /** A number operand becomes a 0-d constant of this tensor's dtype. */
  private operand(other: Tensor | number): Tensor {
    if (other instanceof Tensor) return other;
    const data = allocate(this.dtype, 1);
    data[0] = checkNumber('operand', 'other', other);
    return new Tensor(data, []);
  }
}

function checkNumber(op: string, name: string, value: unknown): number {
  if (typeof value !== 'number') throw new ArgumentError(op, `${name} must be a number, got ${describe(value)}`);
  return value;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return value.constructor?.name ?? 'an object';
  return `${typeof value} ${String(value)}`;
}
