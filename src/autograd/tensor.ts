import { ArgumentError, DTypeError, GradientError, ShapeError, checkBoolean, checkOptions, describeValue, formatShape } from '../errors.js';
import { checkBound, checkFinite, checkNumber } from './arguments.js';
import { allocate, dtypeOf, type DType, type TypedArray } from '../tensor/dtype.js';
import { releaseBuffer } from '../tensor/pool.js';
import { formatTensor } from '../tensor/format.js';
import { elementCount, normalizeAxis, type Shape } from '../tensor/shape.js';
import { toNested, type NestedArray } from '../tensor/storage.js';
import { apply } from './apply.js';
import { backward, type BackwardOptions } from './engine.js';
import { addInPlace, clampInPlace, copyInPlace, fillInPlace, mulInPlace } from './inplace.js';
import type { Node, ScopeBoundary } from './graph.js';
import type { BackwardReport } from './hooks.js';

/** A function that sees (and may replace) the gradient flowing into a tensor. */
export type TensorHook = (grad: Tensor) => Tensor | void;

// why one shared empty list: a graph has a tensor per node, and almost none has hooks.
const NO_HOOKS: readonly TensorHook[] = Object.freeze([]);

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
  /** Contiguous row-major values. Writable, but changing it does not update any graph: call `bumpVersion()` after. */
  data: TypedArray;
  readonly shape: Shape;
  readonly dtype: DType;
  readonly size: number;
  readonly ndim: number;
  /** Behind `grad`, and whether it was read or assigned from outside (then its buffer may be held elsewhere). */
  private gradSlot: Tensor | null = null;
  private gradHandedOut = false;
  /** The op that produced this tensor; `null` for leaves (user-created tensors and parameters). */
  node: Node | null = null;
  /** An optional name: parameters carry their `stateDict` key here, for reports and errors. */
  name: string | undefined;
  /** Module boundaries this tensor is the output of (set by nn modules while recording). */
  boundaries: ScopeBoundary[] | undefined;
  /** Hooks registered with `registerHook`, run in order (replaced, never pushed to: `NO_HOOKS` is shared). */
  hooks: readonly TensorHook[] = NO_HOOKS;
  /** True after `retainGrad()`: a non-leaf keeps its gradient in `.grad`. */
  retainsGrad = false;
  private requiresGradFlag: boolean;
  private everRequiredGradFlag: boolean;
  /** Behind `version`: one counter per buffer, shared by aliases (detach, reshape); made on first need. */
  private versionCounter: { value: number } | null = null;

  /**
   * Low-level constructor over an existing buffer (not copied). Prefer `tensor()`, `zeros()`, …
   * @throws ShapeError when `data.length` does not match `shape`.
   */
  constructor(data: TypedArray, shape: Shape = [data.length], options: { requiresGrad?: boolean } = {}) {
    if (!(data instanceof Float32Array) && !(data instanceof Float64Array)) {
      throw new DTypeError('Tensor', `data must be a Float32Array or Float64Array, got ${describeValue(data)}`);
    }
    const size = elementCount('Tensor', shape);
    if (size !== data.length) {
      throw new ShapeError('Tensor', `data has ${data.length} elements but shape ${formatShape(shape)} needs ${size}`, [shape]);
    }
    this.data = data;
    this.shape = shape;
    this.dtype = dtypeOf(data);
    this.size = size;
    this.ndim = shape.length;
    this.requiresGradFlag = checkBoolean('Tensor', 'requiresGrad', checkOptions('Tensor', options).requiresGrad ?? false);
    this.everRequiredGradFlag = this.requiresGradFlag;
  }

  /**
   * Accumulated gradient of a leaf (or of a non-leaf after `retainGrad()`), `null` until a backward
   * reaches it. Reading or assigning it hands the tensor out, so `zeroGrad` will not recycle its buffer.
   */
  get grad(): Tensor | null { this.gradHandedOut = true; return this.gradSlot; }
  set grad(value: Tensor | null) { this.gradSlot = value; this.gradHandedOut = value !== null; }

  /** The gradient without handing it out: for the engine, optimizers and clips, which keep nothing. */
  peekGrad(): Tensor | null { return this.gradSlot; }

  /** Sets a gradient the engine made; `handedOut` when someone else (a hook) has seen it. */
  adoptGrad(grad: Tensor, handedOut: boolean): void { this.gradSlot = grad; this.gradHandedOut = handedOut; }

  /**
   * `grad = null` (what `zeroGrad` does, as PyTorch 2's default), handing the buffer to the next
   * backward pass when no one outside the engine saw it. why: a fresh 16 KB typed array costs ~4 µs,
   * a recycled one ~0.4 µs, and every step needs one per parameter (~6 % of step B). A `grad`
   * someone read keeps its values, as in PyTorch.
   */
  releaseGrad(): void {
    if (this.gradSlot !== null && !this.gradHandedOut) releaseBuffer(this.gradSlot.data);
    this.gradSlot = null;
    this.gradHandedOut = false;
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

  /**
   * How many times this tensor's data has been modified in place (PyTorch's `t._version`), shared
   * by every alias of its buffer (`detach()`, `reshape()`). Backward compares it with the version
   * an op saved, so a saved tensor changed between forward and backward throws a GradientError.
   * @example
   * zeros([2]).fill_(1).version; // 1
   */
  get version(): number { return this.versionCounter?.value ?? 0; }

  /**
   * Records an in-place write. Call it after changing `data` directly; the in-place methods,
   * optimizers, `loadStateDict` and `nn.init` call it for you.
   * @example
   * noGrad(() => { w.data[0] = 0; w.bumpVersion(); });
   */
  bumpVersion(): void { (this.versionCounter ??= { value: 0 }).value++; }

  /** @internal Makes this tensor, a fresh alias of `source`'s buffer, share its version counter. */
  shareVersionWith(source: Tensor): this {
    this.versionCounter = source.versionCounter ??= { value: 0 };
    return this;
  }

  // ---- In-place ops: PyTorch's trailing underscore, on data only, not recorded (see inplace.ts) ----
  /** Copies `src` in, broadcast to this shape and cast to this dtype. @example zeros([2, 2]).copy_(tensor([1, 2])) */
  copy_(src: Tensor): this { return copyInPlace(this, checkTensor('copy_', 'src', src)); }
  /** Sets every element to `value`. @example zeros([3]).fill_(0.5) */
  fill_(value: number): this { return fillInPlace(this, checkNumber('fill_', 'value', value)); }
  /** Sets every element to 0. @example noGrad(() => w.zero_()) */
  zero_(): this { return fillInPlace(this, 0); }
  /** Multiplies by `other`, a number or a tensor that broadcasts to this shape. @example noGrad(() => w.mul_(0.9)) */
  mul_(other: Tensor | number): this { return mulInPlace(this, this.operand('mul_', other)); }
  /** Adds `alpha·other`, `other` a number or a tensor that broadcasts to this shape. @example noGrad(() => w.add_(g, { alpha: -0.1 })) */
  add_(other: Tensor | number, options: { alpha?: number } = {}): this {
    return addInPlace(this, this.operand('add_', other), checkNumber('add_', 'alpha', options.alpha ?? 1));
  }
  /** Limits values to [min, max] in place; either bound may be omitted. @example noGrad(() => w.clamp_(-1, 1)) */
  clamp_(min?: number, max?: number): this {
    return clampInPlace(this, checkBound('min', min ?? -Infinity, 'clamp_'), checkBound('max', max ?? Infinity, 'clamp_'));
  }

  // ---- Differentiable ops (each defined once, in src/autograd/ops) ----
  add(other: Tensor | number): Tensor { return apply('add', [this, this.operand('add', other)], null); }
  sub(other: Tensor | number): Tensor { return apply('sub', [this, this.operand('sub', other)], null); }
  mul(other: Tensor | number): Tensor { return apply('mul', [this, this.operand('mul', other)], null); }
  div(other: Tensor | number): Tensor { return apply('div', [this, this.operand('div', other)], null); }
  neg(): Tensor { return apply('neg', [this], null); }
  /** xᵖ for a scalar exponent. */
  pow(exponent: number): Tensor { return apply('pow', [this], { exponent: checkNumber('pow', 'exponent', exponent) }); }
  exp(): Tensor { return apply('exp', [this], null); }
  log(): Tensor { return apply('log', [this], null); }
  sqrt(): Tensor { return apply('sqrt', [this], null); }
  abs(): Tensor { return apply('abs', [this], null); }
  /** Limits values to [min, max]; either bound may be omitted. */
  clamp(min?: number, max?: number): Tensor {
    return apply('clamp', [this], { min: checkBound('min', min ?? -Infinity), max: checkBound('max', max ?? Infinity) });
  }
  relu(): Tensor { return apply('relu', [this], null); }
  leakyRelu(slope = 0.01): Tensor { return apply('leakyRelu', [this], { slope: checkFinite('leakyRelu', 'slope', slope) }); }
  tanh(): Tensor { return apply('tanh', [this], null); }
  sigmoid(): Tensor { return apply('sigmoid', [this], null); }
  /** Matrix product of two 2-D tensors. */
  matmul(other: Tensor): Tensor { return apply('matmul', [this, other], null); }
  /** Sum over `axis` (every element when omitted, giving a 0-d tensor). */
  sum(axis?: number, keepDim = false): Tensor { return apply('sum', [this], { axis: axis ?? null, keepDim: checkBoolean('sum', 'keepDim', keepDim) }); }
  /** Mean over `axis` (every element when omitted): sum / count. */
  mean(axis?: number, keepDim = false): Tensor {
    const count = axis === undefined ? this.size : this.shape[normalizeAxis('mean', axis, this.shape)] ?? 1;
    return this.sum(axis, checkBoolean('mean', 'keepDim', keepDim)).div(count);
  }
  /** Maximum over `axis` (every element when omitted). */
  max(axis?: number, keepDim = false): Tensor { return apply('max', [this], { axis: axis ?? null, keepDim: checkBoolean('max', 'keepDim', keepDim) }); }
  /** The same values under a new shape (one dimension may be -1). Shares storage. */
  reshape(shape: readonly number[]): Tensor { return apply('reshape', [this], { shape }); }
  /** Transpose of a 2-D tensor. */
  transpose(): Tensor { return apply('transpose', [this], null); }
  softmax(axis = -1): Tensor { return apply('softmax', [this], { axis }); }
  logSoftmax(axis = -1): Tensor { return apply('logSoftmax', [this], { axis }); }

  // ---- Graph and values ----

  /** A tensor sharing this one's data (and version counter) but cut from the graph. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape).shareVersionWith(this);
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
    if (!this.requiresGrad) throw new GradientError('registerHook', "cannot register a hook on a tensor that doesn't require gradients");
    this.hooks = [...this.hooks, hook];
    const remove = (): void => {
      const index = this.hooks.indexOf(hook); // this registration only, if the same hook was added twice
      if (index >= 0) this.hooks = [...this.hooks.slice(0, index), ...this.hooks.slice(index + 1)];
    };
    return { remove };
  }

  /** Keeps the gradient of a non-leaf tensor in `.grad` after backward (leaves always keep theirs). */
  retainGrad(): this {
    if (!this.requiresGrad) throw new GradientError('retainGrad', "cannot retain the gradient of a tensor that doesn't require gradients");
    this.retainsGrad = true;
    return this;
  }

  /** A printout in torch's repr format, gradguard's names in the suffixes: `tensor([1., 2.], requiresGrad=true)`. */
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
  private operand(op: string, other: Tensor | number): Tensor {
    if (other instanceof Tensor) return other;
    const data = allocate(this.dtype, 1);
    data[0] = checkNumber(op, 'other', other);
    return new Tensor(data, []);
  }
}

/**
 * Returns `value` when it is a Tensor, else throws an ArgumentError `op: name must be a Tensor, got …`:
 * the front-door check of every function that takes tensors from the user.
 * @example
 * const x = checkTensor('ReLU.forward', 'input', input);
 */
export function checkTensor(op: string, name: string, value: unknown): Tensor {
  if (value instanceof Tensor) return value;
  throw new ArgumentError(op, `${name} must be a Tensor, got ${describeValue(value)}`);
}
