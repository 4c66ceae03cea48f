import type { TypedArray } from '../dtype.js';
import { tryMatmulWasm } from '../wasm/backend.js';

/*
 * Matrix product, blocked the way BLAS libraries do it (Goto & van de Geijn, 2008):
 *   - the operands are copied ("packed") block by block into float64 scratch buffers laid out
 *     in the exact order the inner loop reads them, so every variant (A or B transposed or not)
 *     runs the same inner loop over contiguous memory, and no transpose is ever materialized;
 *   - the inner loop (the micro-kernel) keeps a 4×4 tile of the output in 16 local variables,
 *     so each value loaded from memory feeds four multiply-adds;
 *   - block sizes keep the packed slice of B read by the micro-kernel in L1 and the packed
 *     block of A in L2.
 * Packed panels are padded with zeros to whole tiles, so the micro-kernel has no edge cases;
 * only the write-back looks at the true tile size.
 */

/** Rows and columns of the output tile the micro-kernel holds in registers. */
const MR = 4;
const NR = 4;
/** Depth of a packed block (k), rows of A per packed block, columns of B per packed block. */
const KC = 256;
const MC = 128;
const NC = 1024;

// Scratch buffers, reused across calls (JavaScript runs one kernel at a time).
const packedA = new Float64Array(MC * KC);
const packedB = new Float64Array(KC * NC);
const tile = new Float64Array(MR * NR);

/**
 * out[M,N] = op(A)·op(B), or out += op(A)·op(B) with `accumulate`.
 * A is stored [M,K] (or [K,M] when `transA`), B is stored [K,N] (or [N,K] when `transB`),
 * so backward can multiply by a transpose without ever materializing it:
 *   dA = dOut·Bᵀ  → matmul(dOut, B, dA, M, N, K, false, true)
 *   dB = Aᵀ·dOut  → matmul(A, dOut, dB, K, M, N, true, false)
 * All arrays are contiguous row-major and must not alias `out`. Products are summed in
 * float64 and rounded once when stored, for float32 and float64 alike.
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
  // WebAssembly SIMD path (src/tensor/wasm): float32 products large enough to pay for the copies.
  if (tryMatmulWasm(a, b, out, M, K, N, transA, transB, accumulate)) return;
  if (!accumulate) out.fill(0);
  if (M === 0 || N === 0 || K === 0) return;
  for (let jc = 0; jc < N; jc += NC) {
    const nc = Math.min(NC, N - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = Math.min(KC, K - pc);
      packB(b, transB, K, N, pc, kc, jc, nc, packedB);
      for (let ic = 0; ic < M; ic += MC) {
        const mc = Math.min(MC, M - ic);
        packA(a, transA, M, K, ic, mc, pc, kc, packedA);
        macroKernel(out, N, ic, mc, jc, nc, kc);
      }
    }
  }
}

/**
 * Copies rows ic..ic+mc, depths pc..pc+kc of op(A) into `dst` as panels of MR rows:
 * dst[(panel·kc + k)·MR + r] = A(ic + panel·MR + r, pc + k), zero past the last row.
 */
function packA(
  a: TypedArray, transA: boolean, M: number, K: number,
  ic: number, mc: number, pc: number, kc: number, dst: Float64Array,
): void {
  const panels = Math.ceil(mc / MR);
  // Row stride and depth stride of A(i, k) in memory.
  const rowStride = transA ? 1 : K;
  const depthStride = transA ? M : 1;
  for (let panel = 0; panel < panels; panel++) {
    const base = panel * kc * MR;
    for (let r = 0; r < MR; r++) {
      const i = ic + panel * MR + r;
      let d = base + r;
      if (i >= ic + mc) {
        for (let k = 0; k < kc; k++, d += MR) dst[d] = 0;
        continue;
      }
      let s = i * rowStride + pc * depthStride;
      for (let k = 0; k < kc; k++, d += MR, s += depthStride) dst[d] = a[s]!;
    }
  }
}

/**
 * Copies depths pc..pc+kc, columns jc..jc+nc of op(B) into `dst` as panels of NR columns:
 * dst[(panel·kc + k)·NR + c] = B(pc + k, jc + panel·NR + c), zero past the last column.
 */
function packB(
  b: TypedArray, transB: boolean, K: number, N: number,
  pc: number, kc: number, jc: number, nc: number, dst: Float64Array,
): void {
  const panels = Math.ceil(nc / NR);
  // Depth stride and column stride of B(k, j) in memory.
  const depthStride = transB ? 1 : N;
  const columnStride = transB ? K : 1;
  for (let panel = 0; panel < panels; panel++) {
    const base = panel * kc * NR;
    for (let c = 0; c < NR; c++) {
      const j = jc + panel * NR + c;
      let d = base + c;
      if (j >= jc + nc) {
        for (let k = 0; k < kc; k++, d += NR) dst[d] = 0;
        continue;
      }
      let s = pc * depthStride + j * columnStride;
      for (let k = 0; k < kc; k++, d += NR, s += depthStride) dst[d] = b[s]!;
    }
  }
}

/** Every MR×NR tile of the mc×nc block of out, from the packed blocks. */
function macroKernel(out: TypedArray, N: number, ic: number, mc: number, jc: number, nc: number, kc: number): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const columns = Math.min(NR, nc - jr);
    const bOffset = (jr / NR) * kc * NR;
    for (let ir = 0; ir < mc; ir += MR) {
      microKernel(packedA, (ir / MR) * kc * MR, packedB, bOffset, kc, tile);
      addTile(out, (ic + ir) * N + jc + jr, N, Math.min(MR, mc - ir), columns, tile);
    }
  }
}

/**
 * tile[r·NR + c] = Σ_k pa[k·MR + r]·pb[k·NR + c]: one 4×4 output tile held in 16 locals,
 * 8 loads for 16 multiply-adds per step of k. Unrolled by hand: a loop over the tile would keep
 * it in memory instead of registers.
 */
function microKernel(pa: Float64Array, aOffset: number, pb: Float64Array, bOffset: number, kc: number, dst: Float64Array): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  let ia = aOffset;
  let ib = bOffset;
  for (let k = 0; k < kc; k++, ia += MR, ib += NR) {
    const a0 = pa[ia]!, a1 = pa[ia + 1]!, a2 = pa[ia + 2]!, a3 = pa[ia + 3]!;
    const b0 = pb[ib]!, b1 = pb[ib + 1]!, b2 = pb[ib + 2]!, b3 = pb[ib + 3]!;
    c00 += a0 * b0;
    c01 += a0 * b1;
    c02 += a0 * b2;
    c03 += a0 * b3;
    c10 += a1 * b0;
    c11 += a1 * b1;
    c12 += a1 * b2;
    c13 += a1 * b3;
    c20 += a2 * b0;
    c21 += a2 * b1;
    c22 += a2 * b2;
    c23 += a2 * b3;
    c30 += a3 * b0;
    c31 += a3 * b1;
    c32 += a3 * b2;
    c33 += a3 * b3;
  }
  dst[0] = c00;
  dst[1] = c01;
  dst[2] = c02;
  dst[3] = c03;
  dst[4] = c10;
  dst[5] = c11;
  dst[6] = c12;
  dst[7] = c13;
  dst[8] = c20;
  dst[9] = c21;
  dst[10] = c22;
  dst[11] = c23;
  dst[12] = c30;
  dst[13] = c31;
  dst[14] = c32;
  dst[15] = c33;
}

/** out[start + r·N + c] += tile[r·NR + c] for the rows × columns that exist (edge tiles are smaller). */
function addTile(out: TypedArray, start: number, N: number, rows: number, columns: number, src: Float64Array): void {
  for (let r = 0; r < rows; r++) {
    const o = start + r * N;
    const t = r * NR;
    for (let c = 0; c < columns; c++) out[o + c] = out[o + c]! + src[t + c]!;
  }
}
