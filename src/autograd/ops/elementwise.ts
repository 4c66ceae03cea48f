import * as unary from '../../tensor/kernels/unary.js';
import { elementwiseGradient, mapElements } from './map.js';
import type { OpDef } from './op.js';

/*
 * Elementwise maps. Each saves the one buffer its derivative needs: the input where the
 * derivative is a function of x, the output where it is cheaper in terms of y.
 * Kinks follow PyTorch: relu'(0) = 0, abs'(0) = 0, clamp passes the gradient at its bounds.
 */

// d(eˣ) = eˣ·dx
export const exp: OpDef<'exp'> = {
  saves: ['output'],
  shape: ([x]) => x!.shape,
  forward([x], _attrs, _shape, dtype) {
    const out = mapElements(x!.data, dtype, unary.exp);
    return { out, saved: out };
  },
  vjp: (gradOut, y) => elementwiseGradient(gradOut, y, unary.expBackward),
};

// d(log x) = dx / x
export const log: OpDef<'log'> = {
  saves: [0],
  shape: ([x]) => x!.shape,
  forward: ([x], _attrs, _shape, dtype) => ({ out: mapElements(x!.data, dtype, unary.log), saved: x!.data }),
  vjp: (gradOut, x) => elementwiseGradient(gradOut, x, unary.logBackward),
};

// d(√x) = dx / (2√x)
export const sqrt: OpDef<'sqrt'> = {
  saves: ['output'],
  shape: ([x]) => x!.shape,
  forward([x], _attrs, _shape, dtype) {
    const out = mapElements(x!.data, dtype, unary.sqrt);
    return { out, saved: out };
  },
  vjp: (gradOut, y) => elementwiseGradient(gradOut, y, unary.sqrtBackward),
};

// d|x| = sign(x)·dx, sign(0) = 0
export const abs: OpDef<'abs'> = {
  saves: [0],
  shape: ([x]) => x!.shape,
  forward: ([x], _attrs, _shape, dtype) => ({ out: mapElements(x!.data, dtype, unary.abs), saved: x!.data }),
  vjp: (gradOut, x) => elementwiseGradient(gradOut, x, unary.absBackward),
};

// d clamp(x, lo, hi) = dx where lo ≤ x ≤ hi, else 0
export const clamp: OpDef<'clamp'> = {
  saves: [0],
  shape: ([x]) => x!.shape,
  forward: ([x], { min, max }, _shape, dtype) => ({
    out: mapElements(x!.data, dtype, (x, out) => unary.clamp(x, min, max, out)),
    saved: x!.data,
  }),
  vjp: (gradOut, x, { attrs }) => elementwiseGradient(gradOut, x, (x, g, out) => unary.clampBackward(x, attrs.min, attrs.max, g, out)),
};

// d relu(x) = dx where x > 0, else 0
export const relu: OpDef<'relu'> = {
  saves: [0],
  shape: ([x]) => x!.shape,
  forward: ([x], _attrs, _shape, dtype) => ({ out: mapElements(x!.data, dtype, unary.relu), saved: x!.data }),
  vjp: (gradOut, x, _node, _needsGrad, measure) => elementwiseGradient(gradOut, x, unary.reluBackward, measure),
};

// d leakyRelu(x) = dx where x > 0, else slope·dx
export const leakyRelu: OpDef<'leakyRelu'> = {
  saves: [0],
  shape: ([x]) => x!.shape,
  forward: ([x], { slope }, _shape, dtype) => ({
    out: mapElements(x!.data, dtype, (x, out) => unary.leakyRelu(x, slope, out)),
    saved: x!.data,
  }),
  vjp: (gradOut, x, { attrs }) => elementwiseGradient(gradOut, x, (x, g, out) => unary.leakyReluBackward(x, attrs.slope, g, out)),
};

// d tanh(x) = (1 − tanh²x)·dx
export const tanh: OpDef<'tanh'> = {
  saves: ['output'],
  shape: ([x]) => x!.shape,
  forward([x], _attrs, _shape, dtype) {
    const out = mapElements(x!.data, dtype, unary.tanh);
    return { out, saved: out };
  },
  vjp: (gradOut, y) => elementwiseGradient(gradOut, y, unary.tanhBackward),
};

// d σ(x) = σ(x)(1 − σ(x))·dx
export const sigmoid: OpDef<'sigmoid'> = {
  saves: ['output'],
  shape: ([x]) => x!.shape,
  forward([x], _attrs, _shape, dtype) {
    const out = mapElements(x!.data, dtype, unary.sigmoid);
    return { out, saved: out };
  },
  vjp: (gradOut, y) => elementwiseGradient(gradOut, y, unary.sigmoidBackward),
};
