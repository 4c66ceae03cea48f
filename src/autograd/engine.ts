import { ArgumentError, GradientError, NonFiniteError, checkOptions, describeValue, formatShape } from '../errors.js';
import { allocate, castTo, dtypeOf, type TypedArray } from '../tensor/dtype.js';
import { releaseBuffer } from '../tensor/pool.js';
import { sumToShape } from '../tensor/kernels/binary.js';
import { addInPlace } from '../tensor/kernels/unary.js';
import { broadcastsTo, shapesEqual, type Shape } from '../tensor/shape.js';
import { isAnomalyEnabled, type Gradient, type Node } from './graph.js';
import { GradientView, type BackwardReport, type Guard } from './hooks.js';
import { createdAt, describeProducer, producesNonFinite } from './nonfinite.js';
import { OPS } from './ops/registry.js';
import { NodeEvent, Pass, endOfPass, restoreGrads, runNodeWatchers, runTensorGuards, snapshotGrads, type Pending } from './pass.js';
import { Tensor } from './tensor.js';
import { checkSavedVersions } from './version.js';

/** Options of `tensor.backward()`. */
export interface BackwardOptions {
  /** Gradient of the output; required unless the output has exactly one element. */
  grad?: Tensor;
  /** Keep the saved buffers so that backward can run through this graph again. */
  retainGraph?: boolean;
  /** Guards that watch (and may act on) every gradient of the pass, in order. */
  guards?: readonly Guard[];
}

/**
 * Reverse-mode automatic differentiation from `root`:
 * 1. order the graph topologically (iteratively: deep graphs must not overflow the stack);
 * 2. walk it from the output, turning each tensor's complete gradient into gradients for the
 *    node's inputs with the op's VJP, summing where a tensor was used more than once;
 * 3. add each leaf's gradient into its `.grad`, then let the guards finish the pass.
 * Guards see every step; if one stops the pass (at any point) or throws before step 3, no `.grad` changes.
 * @example
 * const w = tensor([1, -2], { requiresGrad: true });
 * const report = backward(w.mul(w).sum(), { guards: [guards.globalNormClip({ maxNorm: 1 })] });
 * report.totalNorm; // ‖2w‖ = 4.47 before clipping; w.grad now has norm 1
 */
export function backward(root: Tensor, options: BackwardOptions = {}): BackwardReport {
  const guards = checkOptions('backward', options).guards ?? [];
  if (!Array.isArray(guards)) throw new ArgumentError('backward', `guards must be an array of guards, got ${describeValue(guards)}`);
  const order = topologicalOrder(root);
  const pass = new Pass(guards);
  for (const guard of guards) guard.beginPass?.(pass);
  const pending = new Map<Tensor, Pending>([[root, { data: seedGradient(root, options.grad), owned: true, view: null }]]);
  const leaves: Tensor[] = [];
  const leafGrads: Pending[] = [];
  const retained: Retained[] = [];
  const anomaly = isAnomalyEnabled();
  for (const tensor of order) {
    const entry = pending.get(tensor);
    if (entry === undefined) continue;
    pending.delete(tensor);
    const grad = runTensorHooks(tensor, entry);
    if (tensor.node === null) {
      leaves.push(tensor);
      leafGrads.push(grad);
      if (guards.length > 0) {
        const event = { parameter: tensor, grad: (grad.view ??= new GradientView(grad.data, tensor.shape)) };
        for (const guard of guards) guard.onParameterGradient?.(event, pass);
      }
    } else {
      if (tensor.retainsGrad) retained.push({ tensor, data: castTo(grad.data, tensor.dtype) });
      const gradOut = pass.tensorWatchers.length > 0 ? runTensorGuards(tensor, grad, pass) : grad;
      if (pass.stopped) break;
      checkSavedVersions(tensor.node, tensor);
      const passedOn = propagate(tensor.node, gradOut, tensor.shape, pending, pass, anomaly);
      // why: a buffer the engine alone holds, which no VJP passed on, is dead now: recycle it.
      // A hook was handed the buffer (a retained gradient is a copy), so that tensor keeps it.
      if (gradOut.owned && !passedOn && tensor.hooks.length === 0) releaseBuffer(gradOut.data);
    }
    if (pass.stopped) break;
  }
  if (pass.stopped || !commit(leaves, leafGrads, retained, guards, pass)) return pass.finishSkipped();
  if (!options.retainGraph) for (const tensor of order) freeNode(tensor.node);
  return pass.finish();
}

/** A retained non-leaf's gradient (a copy), added to its `.grad` only once the pass succeeds. */
interface Retained {
  tensor: Tensor;
  data: TypedArray;
}

/**
 * Step 3: adds the pass's gradients into `.grad` (leaves and retained non-leaves) and runs the
 * guards' end of pass. Returns false, with every `.grad` as it was before, if a guard stopped it.
 */
function commit(
  leaves: readonly Tensor[], leafGrads: readonly Pending[], retained: readonly Retained[], guards: readonly Guard[], pass: Pass,
): boolean {
  const targets = [...leaves, ...retained.map((entry) => entry.tensor)];
  const before = guards.length > 0 ? snapshotGrads(targets) : [];
  for (let i = 0; i < leaves.length; i++) accumulateGrad(leaves[i]!, leafGrads[i]!.data, leafGrads[i]!.owned);
  for (const entry of retained) accumulateGrad(entry.tensor, entry.data, true);
  endOfPass(leaves, leafGrads, guards, pass);
  if (pass.stopped) restoreGrads(targets, before);
  return !pass.stopped;
}

/**
 * Runs one node's VJP, checks what it returned, lets the guards see it, and queues the input
 * gradients. Returns true when an input gradient is the incoming buffer itself (add, reshape).
 */
function propagate(
  node: Node, incoming: Pending, outShape: Shape, pending: Map<Tensor, Pending>, pass: Pass, anomaly: boolean,
): boolean {
  const gradOut = incoming.data;
  const inputs = node.inputs;
  const n = inputs.length;
  // why: plain loops, not map closures: this runs for every node of every pass (step B has ~70)
  const needsGrad = new Array<boolean>(n);
  for (let i = 0; i < n; i++) needsGrad[i] = inputs[i]!.requiresGrad;
  const watched = pass.guarded || anomaly; // then kernels may measure the gradients they write
  const raw = OPS[node.op].vjp({ data: gradOut, shape: outShape }, node.saved as never, node as never, needsGrad, watched);
  if (raw.length !== n) throw new GradientError(node.op, `internal: the VJP returned ${raw.length} gradients for ${n} inputs`);
  const grads = new Array<TypedArray | null>(n);
  for (let i = 0; i < n; i++) {
    const g = raw[i] ?? null;
    grads[i] = g === null || !needsGrad[i] ? null : toInputGradient(node.op, i, g, inputs[i]!);
  }
  let passedOn = false;
  for (let i = 0; i < n; i++) if (grads[i] === gradOut) passedOn = true;
  if (!watched) queueGradients(inputs, grads, null, gradOut, pending);
  else {
    const views = runNodeGuards(node, incoming, outShape, grads, raw, pass, anomaly);
    if (!pass.stopped) queueGradients(inputs, grads, views, gradOut, pending);
  }
  return passedOn;
}

/**
 * Shows a node's gradients to anomaly mode and the guards; returns the views it made of its input
 * gradients. A view starts with the statistics the VJP's kernel measured when the engine passes
 * that very buffer on (not a sum to the input's shape or a cast of it).
 */
function runNodeGuards(
  node: Node, incoming: Pending, outShape: Shape, grads: ReadonlyArray<TypedArray | null>, raw: ReadonlyArray<Gradient | null>,
  pass: Pass, anomaly: boolean,
): Array<GradientView | null> {
  const inputs = node.inputs;
  const n = inputs.length;
  const gradOutView = incoming.view ?? new GradientView(incoming.data, outShape);
  const views = new Array<GradientView | null>(n);
  for (let i = 0; i < n; i++) {
    const g = grads[i] ?? null;
    const measured = raw[i]?.data === g ? raw[i]?.stats : undefined;
    views[i] = g === null ? null : g === incoming.data ? gradOutView : new GradientView(g, inputs[i]!.shape, measured);
  }
  if (anomaly && producesNonFinite(gradOutView, views)) {
    const detail = describeProducer(new NodeEvent(node, gradOutView, views)) + createdAt(node.creationStack);
    throw new NonFiniteError(node.op, 'backward', node.module, detail, node.creationStack);
  }
  runNodeWatchers(node, gradOutView, views, pass);
  return views;
}

/** Adds each input's gradient to what is pending for it (a tensor used twice gets the sum). */
function queueGradients(
  inputs: readonly Tensor[], grads: ReadonlyArray<TypedArray | null>, views: ReadonlyArray<GradientView | null> | null,
  gradOut: TypedArray, pending: Map<Tensor, Pending>,
): void {
  for (let i = 0; i < inputs.length; i++) {
    const g = grads[i];
    if (g === null || g === undefined) continue;
    const input = inputs[i]!;
    const existing = pending.get(input);
    const owned = g !== gradOut; // a VJP may pass its incoming buffer through (add, reshape)
    if (existing === undefined) pending.set(input, { data: g, owned, view: views === null ? null : views[i] ?? null });
    else if (existing.owned) {
      addInPlace(existing.data, g);
      existing.view = null; // the sum has statistics of its own
    } else {
      const sum = allocate(input.dtype, input.size);
      sum.set(existing.data);
      addInPlace(sum, g);
      pending.set(input, { data: sum, owned: true, view: null });
    }
  }
}

/**
 * Checks a VJP result against the input it belongs to: sums a broadcast gradient back to the
 * input's shape (the one place broadcasting is undone) and casts it to the input's dtype.
 */
function toInputGradient(op: string, index: number, g: Gradient, input: Tensor): TypedArray {
  let data = g.data;
  if (!shapesEqual(g.shape, input.shape)) {
    if (!broadcastsTo(input.shape, g.shape)) {
      throw new GradientError(
        op,
        `internal: the gradient of input ${index} has shape ${formatShape(g.shape)}, which does not match the input's ${formatShape(input.shape)}`,
      );
    }
    if (g.data.length !== input.size) {
      data = allocate(input.dtype, input.size);
      sumToShape(g.data, g.shape, data, input.shape);
    } // else only size-1 axes were added: the data is already right
  }
  if (data.length !== input.size) {
    throw new GradientError(op, `internal: the gradient of input ${index} has ${data.length} elements, expected ${input.size}`);
  }
  if (input.dtype !== dtypeOf(data)) data = castTo(data, input.dtype);
  return data;
}

/** The gradient that starts the pass: `grad` if given, else 1 for a one-element output. */
function seedGradient(root: Tensor, grad: Tensor | undefined): TypedArray {
  if (!root.requiresGrad) {
    throw new GradientError('backward', 'the tensor does not require gradients and has no graph: no input was created with requiresGrad: true (or it ran inside noGrad)');
  }
  if (grad === undefined) {
    if (root.size !== 1) {
      throw new GradientError(
        'backward',
        `a gradient can be created implicitly only for one-element outputs, got shape ${formatShape(root.shape)}; pass { grad } of that shape`,
      );
    }
    const seed = allocate(root.dtype, 1);
    seed[0] = 1;
    return seed;
  }
  if (!(grad instanceof Tensor)) throw new ArgumentError('backward', `grad must be a Tensor, got ${describeValue(grad)}`);
  if (!shapesEqual(grad.shape, root.shape)) {
    throw new GradientError('backward', `grad has shape ${formatShape(grad.shape)} but the output has shape ${formatShape(root.shape)}`);
  }
  return castTo(grad.data, root.dtype);
}

/**
 * Tensors reachable from `root` through inputs that require gradients, outputs before inputs:
 * the order in which backward visits them.
 * @example
 * const x = tensor([1, 2], { requiresGrad: true });
 * topologicalOrder(x.exp().sum()).map((t) => t.node?.op ?? 'leaf'); // ['sum', 'exp', 'leaf']
 */
export function topologicalOrder(root: Tensor): Tensor[] {
  const postOrder: Tensor[] = [];
  const visited = new Set<Tensor>([root]);
  const stack: Array<{ tensor: Tensor; next: number }> = [{ tensor: root, next: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const node = top.tensor.node;
    if (node !== null && node.freed) {
      throw new GradientError(
        'backward',
        `trying to backward through the graph a second time: the saved values of '${node.op}' ` +
          'were freed by the first backward(); pass { retainGraph: true } to the first call to keep them',
      );
    }
    const inputs = node === null ? [] : node.inputs;
    if (top.next < inputs.length) {
      const child = inputs[top.next++]!;
      if (child.requiresGrad && !visited.has(child)) {
        visited.add(child);
        stack.push({ tensor: child, next: 0 });
      }
    } else {
      stack.pop();
      postOrder.push(top.tensor);
    }
  }
  return postOrder.reverse();
}

/** Runs the tensor's hooks; a hook that returns a tensor replaces the gradient. */
function runTensorHooks(tensor: Tensor, entry: Pending): Pending {
  if (tensor.hooks.length === 0) return entry;
  let current: Pending = { ...entry, view: null }; // a hook may change the values in place
  for (const hook of tensor.hooks) {
    const replaced = hook(new Tensor(current.data, tensor.shape));
    if (replaced instanceof Tensor) {
      if (!shapesEqual(replaced.shape, tensor.shape)) {
        throw new GradientError('registerHook', `a hook returned a gradient of shape ${formatShape(replaced.shape)} for a tensor of shape ${formatShape(tensor.shape)}`);
      }
      current = { data: castTo(replaced.data, tensor.dtype), owned: true, view: null };
    }
  }
  return current;
}

/**
 * `.grad += g` (a fresh tensor the first time, as PyTorch); `adopt` lets `.grad` take the buffer
 * itself. A tensor with hooks showed them its gradient, so that one counts as handed out.
 */
function accumulateGrad(tensor: Tensor, g: TypedArray, adopt: boolean): void {
  const grad = tensor.peekGrad();
  if (grad === null) tensor.adoptGrad(new Tensor(adopt ? g : castTo(g, tensor.dtype), tensor.shape), tensor.hooks.length > 0);
  else addInPlace(grad.data, g);
}

function freeNode(node: Node | null): void {
  if (node === null) return;
  node.saved = null;
  node.freed = true;
}
