import type { AdamStep } from '../kernels/optim.js';
import { slotFloats } from './elementwise-kernel.js';
import { areaStart, kernel, memoryFloats, type WasmKernels } from './runtime.js';

/**
 * Adam's update of a float32 parameter and its two moments, in place, on the optimizer module:
 * the four arrays are copied into its memory, updated in one SIMD pass, and three copied back.
 */
export function adamWasm(
  kernels: WasmKernels, param: Float32Array, grad: Float32Array, expAvg: Float32Array, expAvgSq: Float32Array, step: AdamStep,
): void {
  const n = param.length;
  const slot = slotFloats(n);
  const paramAt = areaStart(0);
  const gradAt = areaStart(paramAt + slot);
  const expAvgAt = areaStart(gradAt + slot);
  const expAvgSqAt = areaStart(expAvgAt + slot);
  const memory = memoryFloats(kernels, expAvgSqAt + slot);
  memory.set(param, paramAt);
  memory.set(grad, gradAt);
  memory.set(expAvg, expAvgAt);
  memory.set(expAvgSq, expAvgSqAt);
  const { shrink, l2, keep1, beta2, keep2, stepSize, bias2Sqrt, eps } = step;
  kernel(kernels, 'adam')(paramAt * 4, gradAt * 4, expAvgAt * 4, expAvgSqAt * 4, slot * 4, shrink, l2, keep1, beta2, keep2, stepSize, bias2Sqrt, eps);
  param.set(memory.subarray(paramAt, paramAt + n));
  expAvg.set(memory.subarray(expAvgAt, expAvgAt + n));
  expAvgSq.set(memory.subarray(expAvgSqAt, expAvgSqAt + n));
}
