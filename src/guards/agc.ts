import { ArgumentError, checkOptions, describeValue } from '../errors.js';
import type { GradientView, Guard, NodeGradientEvent, PassControl } from '../autograd/hooks.js';
import type { Tensor } from '../autograd/tensor.js';
import { bufferStats } from '../tensor/kernels/reduce.js';
import { checkPositive, parameterLabel } from './norms.js';

/** Options of `agc`. */
export interface AgcOptions {
  /** λ: the largest gradient-to-weight norm ratio let through per unit. Default 0.01. */
  clipping?: number;
  /** Floor on a unit's weight norm, so zero-initialised weights (biases) can still move. Default 1e-3. */
  eps?: number;
  /**
   * Leave the parameters of the layer nearest the loss (the final classifier) unclipped, as the
   * paper does. That layer is the module of the first node of the backward pass that consumes a
   * parameter. Default false (optax clips every parameter).
   */
  excludeFinalLayer?: boolean;
  /** Parameters never to clip. */
  exclude?: readonly Tensor[];
}

/** Below this a unit's gradient norm is treated as this, so the factor stays finite. */
const GRADIENT_NORM_FLOOR = 1e-6;

/**
 * Adaptive gradient clipping (Brock et al. 2021, "High-Performance Large-Scale Image Recognition
 * Without Normalization"; optax `adaptive_grad_clip`). Each *unit* is clipped relative to the size
 * of its own weights: the units are the rows of a weight of layout `[out, in]` (one row per output
 * unit, the slices along the first axis for more dimensions) and the whole vector of a 1-D bias.
 * With `maxNorm = clipping · max(‖W_unit‖, eps)`, a unit whose `‖G_unit‖ > maxNorm` becomes
 * `G_unit · maxNorm / max(‖G_unit‖, 1e-6)`. Units whose gradient is non-finite are left as they are.
 *
 * @example
 * loss.backward({ guards: [agc({ clipping: 0.01, excludeFinalLayer: true })] });
 */
export function agc(options: AgcOptions = {}): Guard {
  const clipping = checkPositive('agc', 'clipping', checkOptions('agc', options).clipping ?? 0.01);
  const eps = checkPositive('agc', 'eps', options.eps ?? 1e-3, true);
  const exclude: unknown = options.exclude ?? [];
  if (!Array.isArray(exclude)) throw new ArgumentError('agc', `exclude must be an array of tensors, got ${describeValue(exclude)}`);
  const excluded = new Set<unknown>(exclude);
  const finalLayer = new FinalLayer();
  return {
    name: 'agc',
    beginPass() {
      finalLayer.reset();
    },
    onNodeGradient(event) {
      if (options.excludeFinalLayer === true) finalLayer.observe(event);
    },
    endPass(event, control) {
      event.parameters.forEach((parameter, i) => {
        if (excluded.has(parameter) || finalLayer.has(parameter)) return;
        const view = event.grads[i]!;
        const clipped = clipUnits(parameter, view, clipping, eps);
        if (clipped > 0) record(parameter, i, clipped, control);
      });
    },
  };
}

/**
 * Clips each unit of one parameter's gradient in place; returns how many units were clipped.
 * One pass over the weights and one over the gradient per unit, in float64.
 */
function clipUnits(parameter: Tensor, view: GradientView, clipping: number, eps: number): number {
  const unitCount = parameter.ndim <= 1 ? 1 : parameter.shape[0]!;
  const unitSize = unitCount === 0 ? 0 : parameter.size / unitCount;
  const weights = parameter.data;
  const grad = view.data;
  let clipped = 0;
  for (let unit = 0; unit < unitCount; unit++) {
    const start = unit * unitSize;
    const end = start + unitSize;
    const maxNorm = clipping * Math.max(Math.sqrt(bufferStats(weights.subarray(start, end)).sumOfSquares), eps);
    const gradNorm = Math.sqrt(bufferStats(grad.subarray(start, end)).sumOfSquares);
    if (!(gradNorm > maxNorm) || !Number.isFinite(gradNorm)) continue;
    const factor = maxNorm / Math.max(gradNorm, GRADIENT_NORM_FLOOR);
    for (let k = start; k < end; k++) grad[k] = grad[k]! * factor;
    clipped++;
  }
  if (clipped > 0) view.changed();
  return clipped;
}

function record(parameter: Tensor, index: number, units: number, control: PassControl): void {
  const target = parameterLabel(parameter, index);
  control.report.actions.push({
    guard: 'agc', kind: 'clipUnits', target, count: units,
    message: `agc: clipped ${units} unit(s) of ${target} to λ·max(‖W_unit‖, eps)`,
  });
}

/**
 * Finds the parameters of the layer nearest the loss while the pass runs: the module of the
 * first node that consumes a parameter (a leaf that requires a gradient), and every parameter
 * consumed by nodes of that module. Outside every module, only that first node's parameters.
 */
class FinalLayer {
  private found = false;
  private module: string | undefined;
  private parameters = new Set<Tensor>();

  reset(): void {
    this.found = false;
    this.module = undefined;
    // why: a fresh set, not clear(): clearing a long-lived (old-generation) set every pass leaves
    // old-generation garbage (see AmplificationTracker.reset)
    this.parameters = new Set();
  }

  observe(event: NodeGradientEvent): void {
    const leaves = event.node.inputs.filter((input) => input.node === null && input.requiresGrad);
    if (leaves.length === 0) return;
    if (!this.found) {
      this.found = true;
      this.module = event.module;
    } else if (this.module === undefined || event.module !== this.module) return;
    for (const leaf of leaves) this.parameters.add(leaf);
  }

  has(parameter: Tensor): boolean {
    return this.parameters.has(parameter);
  }
}
