/**
 * gradguard: a from-scratch autodiff engine whose backward pass carries its own safeguards
 * against exploding gradients. This file is the public surface.
 */
export { Tensor, type TensorHook } from './autograd/tensor.js';
export { tensor, zeros, ones, full, rand, randn, arange, type TensorOptions } from './autograd/creation.js';
export { noGrad, enableGrad, setDetectAnomaly, isAnomalyEnabled, isGradEnabled, withScope, runInScope, currentScope } from './autograd/graph.js';
export type { Node, Gradient, ScopeBoundary } from './autograd/graph.js';
export { gradcheck, type GradcheckOptions } from './autograd/gradcheck.js';
export { backward, topologicalOrder, type BackwardOptions } from './autograd/engine.js';
export { softmaxCrossEntropy, linear } from './autograd/functional.js';
export {
  GradientView, setWarningSink,
  type Guard, type BackwardReport, type GuardAction, type NonFiniteInfo, type PassControl,
  type NodeGradientEvent, type TensorGradientEvent, type ParameterGradientEvent, type EndOfPassEvent,
} from './autograd/hooks.js';
export { manualSeed, Generator, globalGenerator } from './tensor/rng.js';
export { setKernelBackend, kernelBackend, type KernelBackendChoice, type ActiveKernelBackend } from './tensor/wasm/backend.js';
export type { DType, TypedArray } from './tensor/dtype.js';
export type { Shape } from './tensor/shape.js';
export type { NestedArray } from './tensor/storage.js';
export {
  toSafetensors, fromSafetensors, saveCheckpointBytes, loadCheckpointBytes, OPTIMIZER_TENSOR_PREFIX,
  type SafetensorsContents, type SafetensorsDType, type StatefulModel, type StatefulOptimizer,
  type SaveCheckpointOptions, type LoadCheckpointOptions, type LoadedCheckpoint,
} from './checkpoint/index.js';
export {
  GradguardError, ShapeError, DTypeError, GradientError, NonFiniteError, CheckpointError, ArgumentError, type Phase,
} from './errors.js';
export * as guards from './guards/index.js';
export * as nn from './nn/index.js';
export * as optim from './nn/optim/index.js';
export * as data from './data/index.js';
