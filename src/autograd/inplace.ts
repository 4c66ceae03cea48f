import { GradientError, ShapeError, formatShape } from '../errors.js';
import { allocate } from '../tensor/dtype.js';
import { binary } from '../tensor/kernels/binary.js';
import * as unary from '../tensor/kernels/unary.js';
import { broadcastsTo } from '../tensor/shape.js';
import { isGradEnabled } from './graph.js';
import type { Tensor } from './tensor.js';

/*
 * In-place ops, PyTorch's trailing-underscore methods (`copy_`, `fill_`, `zero_`, `mul_`, `add_`,
 * `clamp_`). They write `target.data` directly and are not recorded in the graph, so, as in PyTorch:
 * - with grad mode on they refuse a target that requires grad (a leaf parameter, or an op's output
 *   whose graph they would silently break) and an operand that requires grad (it would get no
 *   gradient); inside `noGrad()` they run, as an optimizer's update does;
 * - each bumps the target's version, so that backward catches a tensor an op saved being changed
 *   between forward and backward (see version.ts).
 * why: the kernels may write into the buffer they read, `out` aliasing `a`: `a` has the output's
 * shape, so each element is read before the same element is written.
 */

/**
 * target ← src, broadcast to the target's shape and cast to its dtype (`Tensor.copy_`).
 * @example
 * noGrad(() => copyInPlace(w, saved)); // w.data now holds saved's values, w.version + 1
 */
export function copyInPlace<T extends Tensor>(target: T, src: Tensor): T {
  checkInPlace('copy_', target, src);
  if (src.size === target.size) {
    if (src.data !== target.data) target.data.set(src.data); // the same layout: only leading 1s may differ
  } else if (src.size === 1) target.data.fill(src.data[0]!);
  // why: x·1 is exactly x (−0 and NaN kept), so the broadcasting kernel serves as an expand
  else binary('mul', src.data, src.shape, ONE, [], target.data, target.shape);
  return bumped(target);
}

/**
 * target ← value everywhere (`Tensor.fill_`, `Tensor.zero_`).
 * @example
 * noGrad(() => fillInPlace(w, 0));
 */
export function fillInPlace<T extends Tensor>(target: T, value: number): T {
  checkInPlace('fill_', target, null);
  target.data.fill(value);
  return bumped(target);
}

/**
 * target ← target · other, `other` broadcast to the target's shape (`Tensor.mul_`).
 * @example
 * noGrad(() => mulInPlace(w, tensor(0.5)));
 */
export function mulInPlace<T extends Tensor>(target: T, other: Tensor): T {
  checkInPlace('mul_', target, other);
  binary('mul', target.data, target.shape, other.data, other.shape, target.data, target.shape);
  return bumped(target);
}

/**
 * target ← target + alpha · other, `other` broadcast to the target's shape (`Tensor.add_`).
 * @example
 * noGrad(() => addInPlace(w, w.grad!, -0.1)); // a plain SGD step
 */
export function addInPlace<T extends Tensor>(target: T, other: Tensor, alpha: number): T {
  checkInPlace('add_', target, other);
  let addend = other.data;
  if (alpha !== 1) {
    addend = allocate('float64', other.size);
    unary.scale(other.data, alpha, addend);
  }
  binary('add', target.data, target.shape, addend, other.shape, target.data, target.shape);
  return bumped(target);
}

/**
 * target ← min(max(target, min), max), as `Tensor.clamp` (`Tensor.clamp_`).
 * @example
 * noGrad(() => clampInPlace(w, -1, 1));
 */
export function clampInPlace<T extends Tensor>(target: T, min: number, max: number): T {
  checkInPlace('clamp_', target, null);
  unary.clamp(target.data, min, max, target.data);
  return bumped(target);
}

const ONE = new Float64Array([1]);

function bumped<T extends Tensor>(target: T): T {
  target.bumpVersion();
  return target;
}

/** The front door of every in-place op: the graph rules above, then the operand's shape. */
function checkInPlace(op: string, target: Tensor, operand: Tensor | null): void {
  if (isGradEnabled() && target.requiresGrad) {
    throw new GradientError(
      op,
      target.isLeaf
        ? `a leaf tensor that requires grad${named(target)} is being used in an in-place operation; ` +
            'run it inside noGrad(() => …) (as an optimizer step does) or use the out-of-place op'
        : `the tensor is the output of '${target.node!.op}' in a recorded graph, and in-place ops are not recorded: ` +
            'changing it would break backward silently; use the out-of-place op, or detach() it first',
    );
  }
  if (operand === null) return;
  if (isGradEnabled() && operand.requiresGrad) {
    throw new GradientError(
      op,
      `the argument${named(operand)} requires grad, but in-place ops are not recorded in the graph, so it would get no gradient; ` +
        'use the out-of-place op, or run inside noGrad(() => …)',
    );
  }
  if (!broadcastsTo(operand.shape, target.shape)) {
    throw new ShapeError(
      op,
      `the argument must broadcast to the tensor's shape ${formatShape(target.shape)}, got ${formatShape(operand.shape)}`,
      [target.shape, operand.shape],
    );
  }
}

function named(tensor: Tensor): string {
  return tensor.name === undefined ? '' : ` ('${tensor.name}')`;
}
