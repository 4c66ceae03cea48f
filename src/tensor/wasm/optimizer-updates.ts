import type { AdamStep } from '../kernels/optim.js';
import type { UpdateSize } from '../kernels/update-size.js';
import { BLOCK_FLOATS, slotFloats } from './elementwise-kernel.js';
import { copyIn, finishMeasuredStep } from './elementwise.js';
import { areaStart, kernel, memoryFloats, type WasmKernels } from './runtime.js';

/*
 * Host side of the optimizer module's kernels (optimizer-kernels.ts): copy the parameter and its
 * state in, update them in one SIMD pass, copy them back, as the elementwise kernels do.
 */

/**
 * Plain SGD on a float32 parameter, in place, that also measures its step (Σw² after it, Σ(Δw)²)
 * in the same pass: the `sgdMeasured` kernel, with the float64 loop against the old values (still
 * in `param`) when its float32 sums cannot be trusted (see `needsExactSums`).
 */
export function sgdMeasuredWasm(kernels: WasmKernels, param: Float32Array, grad: Float32Array, lr: number, weightDecay: number): UpdateSize {
  const n = param.length;
  const slot = slotFloats(n);
  const paramAt = areaStart(0);
  const gradAt = areaStart(paramAt + slot);
  const resultAt = gradAt + slot; // a multiple of BLOCK_FLOATS: an aligned f64
  const memory = memoryFloats(kernels, resultAt + BLOCK_FLOATS);
  // why zero padding: a zero weight with a zero gradient takes a zero step and adds nothing
  copyIn(memory, param, paramAt, slot);
  copyIn(memory, grad, gradAt, slot);
  const weight = kernel(kernels, weightDecay === 0 ? 'sgdMeasured' : 'sgdMeasuredDecay')(paramAt * 4, gradAt * 4, slot * 4, resultAt * 4, lr, weightDecay);
  return finishMeasuredStep(kernels, param, paramAt, weight, resultAt);
}

/**
 * Adam's update of a float32 parameter and its two moments, in place, on the optimizer module:
 * the four arrays are copied into its memory, updated in one SIMD pass, and three copied back.
 * With `measure`, the pass also measures the step (Σw² after it, Σ(Δw)²) as `sgdMeasuredWasm`
 * does: a monitor's ‖ΔW‖/‖W‖ without a copy of the weights.
 */
export function adamWasm(
  kernels: WasmKernels, param: Float32Array, grad: Float32Array, expAvg: Float32Array, expAvgSq: Float32Array, step: AdamStep, measure: boolean,
): UpdateSize | undefined {
  const n = param.length;
  const slot = slotFloats(n);
  const paramAt = areaStart(0);
  const gradAt = areaStart(paramAt + slot);
  const expAvgAt = areaStart(gradAt + slot);
  const expAvgSqAt = areaStart(expAvgAt + slot);
  const resultAt = expAvgSqAt + slot; // a multiple of BLOCK_FLOATS: an aligned f64
  const memory = memoryFloats(kernels, resultAt + BLOCK_FLOATS);
  // why zero padding when measuring: zeros in all four make a zero step there, which adds nothing
  const end = measure ? slot : n;
  copyIn(memory, param, paramAt, end);
  copyIn(memory, grad, gradAt, end);
  copyIn(memory, expAvg, expAvgAt, end);
  copyIn(memory, expAvgSq, expAvgSqAt, end);
  const { shrink, l2, keep1, beta2, keep2, stepSize, bias2Sqrt, eps } = step;
  let size: UpdateSize | undefined;
  if (!measure) {
    kernel(kernels, l2 === 0 ? 'adam' : 'adamL2')(paramAt * 4, gradAt * 4, expAvgAt * 4, expAvgSqAt * 4, slot * 4, shrink, l2, keep1, beta2, keep2, stepSize, bias2Sqrt, eps);
    param.set(memory.subarray(paramAt, paramAt + n));
  } else {
    const weight = kernel(kernels, l2 === 0 ? 'adamMeasured' : 'adamMeasuredL2')(
      paramAt * 4, gradAt * 4, expAvgAt * 4, expAvgSqAt * 4, slot * 4, resultAt * 4, shrink, l2, keep1, beta2, keep2, stepSize, bias2Sqrt, eps,
    );
    size = finishMeasuredStep(kernels, param, paramAt, weight, resultAt);
  }
  expAvg.set(memory.subarray(expAvgAt, expAvgAt + n));
  expAvgSq.set(memory.subarray(expAvgSqAt, expAvgSqAt + n));
  return size;
}
