import { GradientError, formatShape } from '../errors.js';
import { describeModule, type Node } from './graph.js';
import { createdAt } from './nonfinite.js';
import type { SavedRef } from './ops/op.js';
import { OPS } from './ops/registry.js';
import type { Tensor } from './tensor.js';

/*
 * Saved-tensor versions: PyTorch's protection against in-place changes between forward and backward.
 * A VJP reads the buffers its op saved at forward time (mul saves a and b, exp its output).
 * If one of them is overwritten in place before backward (optimizer.step() run too early,
 * `x.mul_(2)` on an input), the VJP would silently compute the gradient of a different function.
 * So every tensor carries a version, bumped by each in-place write; a node records the versions
 * of the tensors its op saves, and backward compares them before running the VJP.
 * Cost: one small number array per node that saves anything, one number compare per saved tensor.
 */

const NOTHING_SAVED: readonly number[] = [];

/**
 * The versions, right after the forward pass, of the tensors an op saves, in the order of `saves`.
 * @example
 * savedVersions(OPS.mul.saves, [a, b], out); // [a.version, b.version]
 */
export function savedVersions(saves: readonly SavedRef[], inputs: readonly Tensor[], output: Tensor): readonly number[] {
  if (saves.length === 0) return NOTHING_SAVED;
  const versions = new Array<number>(saves.length);
  for (let k = 0; k < saves.length; k++) versions[k] = savedTensor(saves[k]!, inputs, output).version;
  return versions;
}

/**
 * Run by backward before a node's VJP (`output` is the tensor the node produced): throws a
 * GradientError naming the op, its module, the tensor and both versions if a saved tensor was
 * modified in place after the forward pass.
 * @example
 * checkSavedVersions(tensor.node, tensor); // before OPS[node.op].vjp(...)
 */
export function checkSavedVersions(node: Node, output: Tensor): void {
  const expected = node.savedVersions;
  if (expected.length === 0) return;
  const saves = OPS[node.op].saves;
  for (let k = 0; k < expected.length; k++) {
    const tensor = savedTensor(saves[k]!, node.inputs, output);
    if (tensor.version !== expected[k]) throw modifiedError(node, saves[k]!, tensor, expected[k]!);
  }
}

function savedTensor(ref: SavedRef, inputs: readonly Tensor[], output: Tensor): Tensor {
  return ref === 'output' ? output : inputs[ref]!;
}

/** The message follows PyTorch's ("one of the variables needed for gradient computation has been modified by an inplace operation"). */
function modifiedError(node: Node, ref: SavedRef, tensor: Tensor, expected: number): GradientError {
  const which = ref === 'output' ? 'its output' : `input ${ref}`;
  const name = tensor.name === undefined ? '' : ` '${tensor.name}'`;
  const where = node.module === undefined ? '' : ` ${describeModule(node.module)}`;
  return new GradientError(
    'backward',
    `one of the tensors saved by '${node.op}'${where} (${which}${name}, shape ${formatShape(tensor.shape)}) ` +
      `was modified in place after the forward pass: its version is ${tensor.version}, expected ${expected}. ` +
      'Make a copy before modifying it (t.clone()), or modify it before the forward pass or after backward() ' +
      '(optimizer.step() belongs after backward())' + createdAt(node.creationStack),
  );
}
