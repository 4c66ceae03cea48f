import { NonFiniteError, formatShape } from '../errors.js';
import { castTo, promoteTypes, type DType } from '../tensor/dtype.js';
import { allFinite } from '../tensor/kernels/reduce.js';
import { checkElementLimit } from '../tensor/shape.js';
import { captureTrace, createdAt } from './nonfinite.js';
import { currentScope, describeModule, isAnomalyEnabled, isGradEnabled, type Node } from './graph.js';
import type { Attrs, OpDef, TensorData } from './ops/op.js';
import { OPS } from './ops/registry.js';
import type { OpName } from './ops/spec.js';
import { Tensor, checkTensor } from './tensor.js';
import { savedVersions } from './version.js';

/**
 * Runs one op: shape rule, dtype promotion, forward, then (when any input requires a gradient
 * and recording is on) the node that backward will visit. The only place nodes are made.
 */
export function apply<P extends OpName>(op: P, inputs: readonly Tensor[], attrs: Attrs<P>): Tensor {
  const def: OpDef<P> = OPS[op];
  for (let i = 0; i < inputs.length; i++) checkTensor(op, `argument ${i}`, inputs[i]);
  const outShape = def.shape(inputs, attrs);
  checkElementLimit(op, outShape);
  const common = commonDType(inputs);
  const dtype = common ?? promoteTypes(inputs);
  const args: readonly TensorData[] = common !== undefined
    ? inputs
    : inputs.map((t) => (t.dtype === dtype ? t : { data: castTo(t.data, dtype), shape: t.shape }));
  const { out, saved } = def.forward(args, attrs, outShape, dtype);
  const recording = isGradEnabled() && anyRequiresGrad(inputs);
  const result = new Tensor(out, outShape, { requiresGrad: recording });
  shareViewVersion(result, inputs);
  const anomaly = isAnomalyEnabled();
  if (anomaly) checkForward(op, inputs, result);
  if (recording) {
    const node: Node<P> = {
      op,
      inputs,
      attrs,
      saved,
      savedVersions: savedVersions(def.saves, inputs, result),
      outputShape: outShape,
      module: currentScope(),
      creationStack: undefined,
      freed: false,
    };
    if (anomaly) recordCreation(node);
    result.node = node;
  }
  return result;
}

/**
 * An output that is an input's own buffer (reshape's view) is an alias of that input: they share
 * one version counter, so an in-place change through either is seen by both, as in PyTorch.
 */
function shareViewVersion(result: Tensor, inputs: readonly Tensor[]): void {
  for (let i = 0; i < inputs.length; i++) {
    if (inputs[i]!.data === result.data) {
      result.shareVersionWith(inputs[i]!);
      return;
    }
  }
}

/** The dtype every input shares (no promotion needed, the common case), or undefined. */
function commonDType(inputs: readonly Tensor[]): DType | undefined {
  const first = inputs[0];
  if (first === undefined) return undefined;
  for (let i = 1; i < inputs.length; i++) if (inputs[i]!.dtype !== first.dtype) return undefined;
  return first.dtype;
}

function anyRequiresGrad(inputs: readonly Tensor[]): boolean {
  for (let i = 0; i < inputs.length; i++) if (inputs[i]!.requiresGrad) return true;
  return false;
}

/**
 * Anomaly mode: keeps where the node was created. why: V8 formats a stack only when `.stack` is
 * read, which costs about as much as capturing it; only an error ever reads it, so the node gets
 * a getter over the captured trace instead of the string.
 */
function recordCreation(node: Node): void {
  const trace = captureTrace();
  Object.defineProperty(node, 'creationStack', { get: () => trace.stack, enumerable: true });
}

/** Anomaly mode, forward: the first op whose inputs are finite but whose output is not. */
function checkForward(op: string, inputs: readonly Tensor[], result: Tensor): void {
  if (allFinite(result.data)) return;
  if (!inputs.every((t) => allFinite(t.data))) return; // passed on, not born here
  const module = currentScope();
  const where = describeModule(module);
  const shapes = inputs.map((t) => formatShape(t.shape)).join(', ');
  const stack = captureTrace().stack;
  throw new NonFiniteError(
    op,
    'forward',
    module,
    `produced a non-finite value (NaN or ±Inf) from finite inputs ${where}; ` +
      `input shapes ${shapes}, output shape ${formatShape(result.shape)}` +
      ` (typical causes: log of 0, exp overflow, division by 0)` + createdAt(stack),
    stack,
  );
}
