/**
 * Layers, losses and initialisers with PyTorch's names and numbers.
 * Exported from the package root as `nn`.
 */
export { Module, type LoadStateDictResult } from './module.js';
export { Linear, type LinearOptions } from './linear.js';
export { ReLU, LeakyReLU, Tanh, Sigmoid, GELU } from './activations.js';
export { Sequential, Residual } from './containers.js';
export { LayerNorm, type LayerNormOptions } from './normalization.js';
export { Dropout } from './dropout.js';
export { mlp, type MlpOptions, type ActivationName, type InitName } from './mlp.js';
export { crossEntropy, mseLoss, binaryCrossEntropyWithLogits, type Reduction, type LossOptions, type ClassTargets } from './loss.js';
export { gelu, softplus } from './functional.js';
export * as init from './init.js';
export { accuracy } from './metrics.js';
