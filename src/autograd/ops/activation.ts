import * as kernels from '../../tensor/kernels/activation.js';
import { elementwiseGradient, mapElements } from './map.js';
import type { OpDef } from './op.js';

/*
 * Smooth activations whose kernels need special functions (src/tensor/kernels/activation.ts):
 * GELU in the exact erf form, PyTorch's default `approximate='none'`, and softplus in the
 * stable form behind binary cross-entropy with logits.
 */

// gelu(x) = x·Φ(x):  d gelu = (Φ(x) + x·φ(x))·dx,  φ(x) = e^(−x²/2)/√(2π)
export const gelu: OpDef<'gelu'> = {
  saves: [0],
  shape: ([x]) => x!.shape,
  forward: ([x], _attrs, _shape, dtype) => ({ out: mapElements(x!.data, dtype, kernels.gelu), saved: x!.data }),
  vjp: (gradOut, x) => elementwiseGradient(gradOut, x, kernels.geluBackward),
};

// softplus(x) = log(1 + eˣ):  d softplus = σ(x)·dx
export const softplus: OpDef<'softplus'> = {
  saves: [0],
  shape: ([x]) => x!.shape,
  forward: ([x], _attrs, _shape, dtype) => ({ out: mapElements(x!.data, dtype, kernels.softplus), saved: x!.data }),
  vjp: (gradOut, x) => elementwiseGradient(gradOut, x, kernels.softplusBackward),
};
