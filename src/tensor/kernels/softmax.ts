import type { TypedArray } from '../dtype.js';

/*
 * Softmax family over the (outer, length, inner) view of one axis. Every form subtracts the
 * maximum first (log-sum-exp trick), so exp never overflows for finite inputs.
 */

/** out = softmax(x) along the axis. */
export function softmax(x: TypedArray, outer: number, length: number, inner: number, out: TypedArray): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * length * inner + i;
      let max = -Infinity;
      for (let k = 0; k < length; k++) max = Math.max(max, x[base + k * inner]!);
      if (max === -Infinity) max = 0; // why: all -Inf rows give NaN as in PyTorch, not a shifted NaN trap
      let sum = 0;
      for (let k = 0; k < length; k++) {
        const e = Math.exp(x[base + k * inner]! - max);
        out[base + k * inner] = e;
        sum += e;
      }
      const inverse = 1 / sum;
      for (let k = 0; k < length; k++) out[base + k * inner] = out[base + k * inner]! * inverse;
    }
  }
}

/** out = x − logsumexp(x) along the axis. */
export function logSoftmax(x: TypedArray, outer: number, length: number, inner: number, out: TypedArray): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * length * inner + i;
      let max = -Infinity;
      for (let k = 0; k < length; k++) max = Math.max(max, x[base + k * inner]!);
      if (max === -Infinity) max = 0;
      let sum = 0;
      for (let k = 0; k < length; k++) sum += Math.exp(x[base + k * inner]! - max);
      const logSum = max + Math.log(sum);
      for (let k = 0; k < length; k++) out[base + k * inner] = x[base + k * inner]! - logSum;
    }
  }
}

/** VJP of softmax: dx = y ⊙ (g − Σ_k g_k·y_k). */
export function softmaxBackward(
  y: TypedArray, gradOut: TypedArray, outer: number, length: number, inner: number, out: TypedArray,
): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * length * inner + i;
      let dot = 0;
      for (let k = 0; k < length; k++) dot += gradOut[base + k * inner]! * y[base + k * inner]!;
      for (let k = 0; k < length; k++) {
        const index = base + k * inner;
        out[index] = y[index]! * (gradOut[index]! - dot);
      }
    }
  }
}

/** VJP of logSoftmax: dx = g − exp(y)·Σ_k g_k, where y = logSoftmax(x). */
export function logSoftmaxBackward(
  y: TypedArray, gradOut: TypedArray, outer: number, length: number, inner: number, out: TypedArray,
): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * length * inner + i;
      let sum = 0;
      for (let k = 0; k < length; k++) sum += gradOut[base + k * inner]!;
      for (let k = 0; k < length; k++) {
        const index = base + k * inner;
        out[index] = gradOut[index]! - Math.exp(y[index]!) * sum;
      }
    }
  }
}

/**
 * Fused softmax cross-entropy over class indices, one row per sample:
 * loss_n = logsumexp(z_n) − z_n[t_n]; also writes p = softmax(z) for the backward pass.
 */
export function crossEntropyForward(
  logits: TypedArray, targets: Int32Array, rows: number, classes: number,
  losses: TypedArray, probabilities: TypedArray,
): void {
  for (let n = 0; n < rows; n++) {
    const base = n * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[base + c]!);
    if (max === -Infinity) max = 0;
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      const e = Math.exp(logits[base + c]! - max);
      probabilities[base + c] = e;
      sum += e;
    }
    const inverse = 1 / sum;
    for (let c = 0; c < classes; c++) probabilities[base + c] = probabilities[base + c]! * inverse;
    losses[n] = max + Math.log(sum) - logits[base + targets[n]!]!;
  }
}

/** VJP of the fused loss: dz_n = g_n · (p_n − onehot(t_n)). */
export function crossEntropyBackward(
  probabilities: TypedArray, targets: Int32Array, gradOut: TypedArray, rows: number, classes: number,
  out: TypedArray,
): void {
  for (let n = 0; n < rows; n++) {
    const base = n * classes;
    const g = gradOut[n]!;
    for (let c = 0; c < classes; c++) out[base + c] = g * probabilities[base + c]!;
    out[base + targets[n]!] = out[base + targets[n]!]! - g;
  }
}
