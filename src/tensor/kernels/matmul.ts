import type { TypedArray } from '../dtype.js';

/**
 * out[M,N] = op(A)·op(B), or out += op(A)·op(B) with `accumulate`.
 * A is stored [M,K] (or [K,M] when `transA`), B is stored [K,N] (or [N,K] when `transB`),
 * so backward can multiply by a transpose without ever materializing it:
 *   dA = dOut·Bᵀ  → matmul(dOut, B, dA, M, N, K, false, true)
 *   dB = Aᵀ·dOut  → matmul(A, dOut, dB, K, M, N, true, false)
 * All arrays are contiguous row-major and must not alias `out`.
 */
export function matmul(
  a: TypedArray,
  b: TypedArray,
  out: TypedArray,
  M: number,
  K: number,
  N: number,
  transA = false,
  transB = false,
  accumulate = false,
): void {
  if (!accumulate) out.fill(0);
  if (!transA && !transB) matmulNN(a, b, out, M, K, N);
  else if (!transA && transB) matmulNT(a, b, out, M, K, N);
  else if (transA && !transB) matmulTN(a, b, out, M, K, N);
  else matmulTT(a, b, out, M, K, N);
}

// Block sizes keep a panel of B (BLOCK_K rows × BLOCK_N columns) in L1/L2 while rows of A stream past.
const BLOCK_K = 128;
const BLOCK_N = 256;

/** out += A·B, A [M,K], B [K,N]: i-k-j order so the inner loop runs along contiguous rows. */
function matmulNN(a: TypedArray, b: TypedArray, out: TypedArray, M: number, K: number, N: number): void {
  for (let j0 = 0; j0 < N; j0 += BLOCK_N) {
    const j1 = Math.min(j0 + BLOCK_N, N);
    for (let k0 = 0; k0 < K; k0 += BLOCK_K) {
      const k1 = Math.min(k0 + BLOCK_K, K);
      let i = 0;
      // Four rows of A at once: each loaded element of B feeds four multiply-adds.
      for (; i + 3 < M; i += 4) {
        const o0 = i * N;
        const o1 = o0 + N;
        const o2 = o1 + N;
        const o3 = o2 + N;
        for (let k = k0; k < k1; k++) {
          const a0 = a[i * K + k]!;
          const a1 = a[(i + 1) * K + k]!;
          const a2 = a[(i + 2) * K + k]!;
          const a3 = a[(i + 3) * K + k]!;
          const bRow = k * N;
          for (let j = j0; j < j1; j++) {
            const bv = b[bRow + j]!;
            out[o0 + j] = out[o0 + j]! + a0 * bv;
            out[o1 + j] = out[o1 + j]! + a1 * bv;
            out[o2 + j] = out[o2 + j]! + a2 * bv;
            out[o3 + j] = out[o3 + j]! + a3 * bv;
          }
        }
      }
      for (; i < M; i++) {
        const o = i * N;
        for (let k = k0; k < k1; k++) {
          const av = a[i * K + k]!;
          const bRow = k * N;
          for (let j = j0; j < j1; j++) out[o + j] = out[o + j]! + av * b[bRow + j]!;
        }
      }
    }
  }
}

/** out += A·Bᵀ, A [M,K], B stored [N,K]: every output is a dot product of two contiguous rows. */
function matmulNT(a: TypedArray, b: TypedArray, out: TypedArray, M: number, K: number, N: number): void {
  for (let i = 0; i < M; i++) {
    const aRow = i * K;
    let j = 0;
    for (; j + 3 < N; j += 4) {
      const b0 = j * K;
      const b1 = b0 + K;
      const b2 = b1 + K;
      const b3 = b2 + K;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let k = 0; k < K; k++) {
        const av = a[aRow + k]!;
        s0 += av * b[b0 + k]!;
        s1 += av * b[b1 + k]!;
        s2 += av * b[b2 + k]!;
        s3 += av * b[b3 + k]!;
      }
      out[i * N + j] = out[i * N + j]! + s0;
      out[i * N + j + 1] = out[i * N + j + 1]! + s1;
      out[i * N + j + 2] = out[i * N + j + 2]! + s2;
      out[i * N + j + 3] = out[i * N + j + 3]! + s3;
    }
    for (; j < N; j++) {
      const bRow = j * K;
      let s = 0;
      for (let k = 0; k < K; k++) s += a[aRow + k]! * b[bRow + k]!;
      out[i * N + j] = out[i * N + j]! + s;
    }
  }
}

/** out += Aᵀ·B, A stored [K,M], B [K,N]: k-i-j order, rows of B and of out stay contiguous. */
function matmulTN(a: TypedArray, b: TypedArray, out: TypedArray, M: number, K: number, N: number): void {
  for (let k = 0; k < K; k++) {
    const aRow = k * M;
    const bRow = k * N;
    for (let i = 0; i < M; i++) {
      const av = a[aRow + i]!;
      const o = i * N;
      for (let j = 0; j < N; j++) out[o + j] = out[o + j]! + av * b[bRow + j]!;
    }
  }
}

/** out += Aᵀ·Bᵀ, rarely used: A stored [K,M], B stored [N,K]. */
function matmulTT(a: TypedArray, b: TypedArray, out: TypedArray, M: number, K: number, N: number): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[k * M + i]! * b[j * K + k]!;
      out[i * N + j] = out[i * N + j]! + s;
    }
  }
}
