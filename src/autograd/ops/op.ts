import type { DType, TypedArray } from '../../tensor/dtype.js';
import type { Shape } from '../../tensor/shape.js';
import type { Gradient, Node } from '../graph.js';
import type { OpName, OpSpec } from './spec.js';

/** An op's view of a tensor argument: its buffer and shape (already cast to the op's dtype). */
export interface TensorData {
  readonly data: TypedArray;
  readonly shape: Shape;
}

export type Attrs<P extends OpName> = OpSpec[P]['attrs'];
export type Saved<P extends OpName> = OpSpec[P]['saved'];

/**
 * A tensor whose buffer an op's `saved` keeps for its VJP: an input, by index, or the op's own output.
 * Backward checks that each still has the version it had at forward time (see version.ts), so a
 * saved tensor modified in place in between fails loudly instead of giving a wrong gradient.
 */
export type SavedRef = number | 'output';

/**
 * One op, in one place: which tensors it saves, its shape rule, its forward and its vector-Jacobian product.
 * - `saves` lists the tensors whose buffers `forward` puts in `saved` (`[]` when the VJP needs no values).
 * - `shape` checks the arguments at the front door and returns the output shape (ShapeError otherwise).
 * - `forward` computes the output and returns what the VJP needs (`saved`).
 * - `vjp` maps the gradient of the output to a gradient for each input (`null` where
 *   `needsGrad[i]` is false). It may return output-shaped gradients for broadcast inputs:
 *   the engine sums them back to the input's shape, once, for every op. A VJP may pass `gradOut.data`
 *   itself on as an input's gradient (add, reshape), never another view of its buffer: the engine
 *   tells the two apart by identity when it recycles buffers. `measure` is true when
 *   guards watch the pass: a gradient may then carry the statistics (`Gradient.stats`) its
 *   kernel took on the way, as long as the VJP returns the buffer as that kernel left it.
 */
export interface OpDef<P extends OpName> {
  readonly saves: readonly SavedRef[];
  shape(inputs: readonly TensorData[], attrs: Attrs<P>): Shape;
  forward(inputs: readonly TensorData[], attrs: Attrs<P>, outShape: Shape, dtype: DType): { out: TypedArray; saved: Saved<P> };
  vjp(gradOut: Gradient, saved: Saved<P>, node: Node<P>, needsGrad: readonly boolean[], measure: boolean): Array<Gradient | null>;
}

/** The registry's type: one definition for every op name, or the build fails. */
export type OpTable = { [P in OpName]: OpDef<P> };
