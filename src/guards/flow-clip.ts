import type { Guard } from '../autograd/hooks.js';
import type { Tensor } from '../autograd/tensor.js';
import { checkPositive, clipCoefficient } from './norms.js';

/** Options of `flowClip`. */
export interface FlowClipOptions {
  /** The largest 2-norm of the gradient a module passes down to its input. */
  maxNorm: number;
  /**
   * Module paths to clip at (`['3', 'encoder.layers.2']`), or a test on the path.
   * Default: every module boundary of the model.
   */
  modules?: readonly string[] | ((module: string) => boolean);
}

/**
 * A gradient-flow clip at module boundaries: clips the gradient a module passes to the layer below
 * (the gradient of the module's input) to 2-norm at most `maxNorm`, with PyTorch's rule
 * `min(maxNorm / (norm + 1e-6), 1)`, before it flows on. It is the guard form of what PyTorch users
 * write by hand with a per-layer `register_full_backward_hook` (or `tensor.register_hook`) that
 * rescales `grad_input`. Because the clipping happens *inside* the pass, every layer below sees the
 * clipped signal, which a clip after backward cannot do.
 *
 * The clip applies to the input tensor's complete gradient: if that tensor also feeds other
 * modules (a residual branch), their contributions are clipped with it.
 *
 * @example
 * // keep the gradient leaving each Linear of an MLP below norm 10
 * loss.backward({ guards: [flowClip({ maxNorm: 10 })] });
 */
export function flowClip(options: FlowClipOptions): Guard {
  const maxNorm = checkPositive('flowClip', 'maxNorm', options.maxNorm);
  const matches = moduleTest(options.modules);
  // The inputs of matching modules whose outputs have been reached in this pass, with the module.
  let watched = new Map<Tensor, string>();
  return {
    name: 'flowClip',
    beginPass() {
      // why: a fresh map, not clear(): see AmplificationTracker.reset
      watched = new Map();
    },
    onTensorGradient(event, control) {
      const module = watched.get(event.tensor);
      if (module !== undefined) {
        watched.delete(event.tensor);
        const norm = event.grad.norm;
        const coef = clipCoefficient(maxNorm, norm);
        if (coef < 1 && Number.isFinite(norm)) {
          event.grad.scale(coef);
          control.report.actions.push({
            guard: 'flowClip', kind: 'scale', target: module, factor: coef,
            message: `flowClip: gradient leaving module '${module}' (norm ${norm.toPrecision(4)}) scaled by ${coef.toPrecision(4)}`,
          });
        }
      }
      for (const boundary of event.tensor.boundaries ?? []) {
        if (!matches(boundary.module)) continue;
        for (const input of boundary.inputs) if (input.requiresGrad) watched.set(input, boundary.module);
      }
    },
  };
}

function moduleTest(modules: FlowClipOptions['modules']): (module: string) => boolean {
  if (modules === undefined) return () => true;
  if (typeof modules === 'function') return modules;
  const set = new Set(modules);
  return (module) => set.has(module);
}
