import type { TypedArray } from '../dtype.js';
import { tryMatmulWasm } from '../wasm/backend.js';
import type { BufferStats } from './reduce.js';

/*
 * Matrix product, blocked the way BLAS libraries do it (Goto & van de Geijn, "Anatomy of
 * High-Performance Matrix Multiplication", 2008):
 *   - the operands are copied ("packed") block by block into float64 scratch buffers laid out
 *     in the exact order the inner loop reads them, so every variant (A or B transposed or not)
 *     runs the same inner loop over contiguous memory, and no transpose is ever materialized;
 *   - the inner loop (the micro-kernel) computes a 4×8 tile of the output, so each value loaded
 *     from A feeds eight multiply-adds and each value from B four;
 *   - block sizes keep the packed panel of B read by the micro-kernel in L1 (KC·NR·8 bytes =
 *     32 KB) and the packed block of A in L2 (MC·KC·8 bytes = 256 KB). Depth blocks of 512
 *     rather than 256 (16 KB panels) ran 3–8 % faster at 1024 and 1–5 % at 512: half as many
 *     passes over the output, each of which rounds it to the output dtype.
 * Packed panels are padded with zeros to whole tiles and to an even depth, so the micro-kernel
 * has no edge cases; only the write-back looks at the true tile size.
 */

/** Rows and columns of the output tile the micro-kernel computes. */
const MR = 4;
const NR = 8;
/** Depth of a packed block (k), rows of A per packed block, columns of B per packed block. */
const KC = 512;
const MC = 64;
const NC = 512;

/*
 * Scratch buffers, reused across calls (JavaScript runs one kernel at a time).
 * why module-level constants: V8's optimizing compiler (TurboFan) then knows each array while
 * compiling the micro-kernel instead of re-checking arguments on every iteration.
 * why plain arrays of numbers and not Float64Array: once any ArrayBuffer in the process has been
 * detached (transferred), which benchmark.js and many libraries do, V8 guards every typed-array
 * access with a "was the buffer detached?" test; that nearly doubled the micro-kernel's
 * instructions. Arrays created from float64 values are stored unboxed too, and need no such test.
 */
const packedA = float64Scratch(MC * KC);
const packedB = float64Scratch(KC * NC);
const tile = float64Scratch(MR * NR);

/** n zeros in a plain array whose elements V8 stores as unboxed float64 (kind PACKED_DOUBLE). */
function float64Scratch(n: number): number[] {
  const values: number[] = [];
  // why 0.5: the first non-integer pushed makes V8 switch the array to unboxed float64 storage.
  for (let i = 0; i < n; i++) values.push(0.5);
  return values.fill(0);
}

/**
 * out[M,N] = op(A)·op(B), or out += op(A)·op(B) with `accumulate`.
 * A is stored [M,K] (or [K,M] when `transA`), B is stored [K,N] (or [N,K] when `transB`),
 * so backward can multiply by a transpose without ever materializing it:
 *   dA = dOut·Bᵀ  → matmul(dOut, B, dA, M, N, K, false, true)
 *   dB = Aᵀ·dOut  → matmul(A, dOut, dB, K, M, N, true, false)
 * All arrays are contiguous row-major and must not alias `out`. Products are summed in
 * float64 and rounded to the output dtype when added into `out`: once when K ≤ KC (512), else
 * once per block of KC depths (a float32 output then holds float32 partial sums). With
 * `measure`, returns out's statistics when the WebAssembly kernel could take them on the way
 * (see `matmulWasm`); undefined means: measure `out` yourself if you need them.
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
  measure = false,
): BufferStats | undefined {
  // WebAssembly SIMD path (src/tensor/wasm): float32 products large enough to pay for the copies.
  const ran = tryMatmulWasm(a, b, out, M, K, N, transA, transB, accumulate, measure);
  if (ran !== undefined) return ran ?? undefined;
  if (!accumulate) out.fill(0);
  if (M === 0 || N === 0 || K === 0) return undefined;
  for (let jc = 0; jc < N; jc += NC) {
    const nc = Math.min(NC, N - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = Math.min(KC, K - pc);
      packB(b, transB, K, N, pc, kc, jc, nc);
      for (let ic = 0; ic < M; ic += MC) {
        const mc = Math.min(MC, M - ic);
        packA(a, transA, M, K, ic, mc, pc, kc);
        macroKernel(out, N, ic, mc, jc, nc, evenDepth(kc));
      }
    }
  }
  return undefined;
}

/** The packed depth: kc rounded up to even, because the micro-kernel takes two depths per step. */
function evenDepth(kc: number): number {
  return kc + (kc & 1);
}

/**
 * Copies rows ic..ic+mc, depths pc..pc+kc of op(A) into packedA as panels of MR rows:
 * packedA[(panel·kp + k)·MR + r] = A(ic + panel·MR + r, pc + k), zero past the last row and
 * at the padding depth (kp = evenDepth(kc)).
 */
function packA(a: TypedArray, transA: boolean, M: number, K: number, ic: number, mc: number, pc: number, kc: number): void {
  const kp = evenDepth(kc);
  // Row stride and depth stride of A(i, k) in memory.
  const rowStride = transA ? 1 : K;
  const depthStride = transA ? M : 1;
  for (let panel = 0; panel * MR < mc; panel++) {
    const base = panel * kp * MR;
    for (let r = 0; r < MR; r++) {
      const i = ic + panel * MR + r;
      const rows = i < ic + mc ? kc : 0;
      packStrip(a, i * rowStride + pc * depthStride, depthStride, rows, kp, packedA, base + r, MR);
    }
  }
}

/**
 * Copies depths pc..pc+kc, columns jc..jc+nc of op(B) into packedB as panels of NR columns:
 * packedB[(panel·kp + k)·NR + c] = B(pc + k, jc + panel·NR + c), zero past the last column and
 * at the padding depth.
 */
function packB(b: TypedArray, transB: boolean, K: number, N: number, pc: number, kc: number, jc: number, nc: number): void {
  const kp = evenDepth(kc);
  // Depth stride and column stride of B(k, j) in memory.
  const depthStride = transB ? 1 : N;
  const columnStride = transB ? K : 1;
  for (let panel = 0; panel * NR < nc; panel++) {
    const base = panel * kp * NR;
    for (let c = 0; c < NR; c++) {
      const j = jc + panel * NR + c;
      const depths = j < jc + nc ? kc : 0;
      packStrip(b, pc * depthStride + j * columnStride, depthStride, depths, kp, packedB, base + c, NR);
    }
  }
}

/**
 * dst[at + k·step] = src[from + k·stride] for k < count, then zeros up to k < total: one row
 * (of A) or column (of B) of a packed panel.
 */
function packStrip(
  src: TypedArray, from: number, stride: number, count: number,
  total: number, dst: number[], at: number, step: number,
): void {
  let d = at;
  let s = from;
  for (let k = 0; k < count; k++, d += step, s += stride) dst[d] = src[s]!;
  for (let k = count; k < total; k++, d += step) dst[d] = 0;
}

/** Every MR×NR tile of the mc×nc block of out, from the packed blocks of (even) depth kp. */
function macroKernel(out: TypedArray, N: number, ic: number, mc: number, jc: number, nc: number, kp: number): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const columns = Math.min(NR, nc - jr);
    const bOffset = (jr / NR) * kp * NR;
    for (let ir = 0; ir < mc; ir += MR) {
      microKernel((ir / MR) * kp * MR, bOffset, kp);
      addTile(out, (ic + ir) * N + jc + jr, N, Math.min(MR, mc - ir), columns);
    }
  }
}

/**
 * tile[r·NR + c] = Σ_k packedA[aOffset + k·MR + r]·packedB[bOffset + k·NR + c] over an even
 * depth kp, two depths (k, k+1) per step: a0..a3 and e0..e3 are column k and k+1 of the A panel,
 * b and f the matching values of one B column.
 *
 * why the tile lives in an array and not in 32 local variables: x64 has 16 float registers, and
 * V8 computes all of a step's products before adding any, so a register tile spills on every
 * step anyway; a load and store at a constant index is cheaper than V8's spill code. why two
 * depths per step: each tile update then adds two products (a·b + e·f), halving the tile's
 * loads and stores. The sum order differs from a one-product-at-a-time loop only by float64
 * rounding (the tile is rounded to the output dtype only when `addTile` adds it into `out`).
 * Unrolled by hand: V8 does not unroll loops, and indices computed at run time would cost a
 * bounds check per tile access. why `| 0` on the indices: it tells V8 the sum is a 32-bit
 * integer, so it skips an overflow check before each load.
 */
function microKernel(aOffset: number, bOffset: number, kp: number): void {
  const pa = packedA;
  const pb = packedB;
  const t = tile;
  t.fill(0);
  const aEnd = aOffset + kp * MR;
  for (let p = aOffset, q = bOffset; p < aEnd; p = (p + 2 * MR) | 0, q = (q + 2 * NR) | 0) {
    const a0 = pa[p]!, a1 = pa[(p + 1) | 0]!, a2 = pa[(p + 2) | 0]!, a3 = pa[(p + 3) | 0]!;
    const e0 = pa[(p + 4) | 0]!, e1 = pa[(p + 5) | 0]!, e2 = pa[(p + 6) | 0]!, e3 = pa[(p + 7) | 0]!;
    let b = pb[q]!, f = pb[(q + 8) | 0]!;
    t[0] = t[0]! + (a0 * b + e0 * f);
    t[8] = t[8]! + (a1 * b + e1 * f);
    t[16] = t[16]! + (a2 * b + e2 * f);
    t[24] = t[24]! + (a3 * b + e3 * f);
    b = pb[(q + 1) | 0]!;
    f = pb[(q + 9) | 0]!;
    t[1] = t[1]! + (a0 * b + e0 * f);
    t[9] = t[9]! + (a1 * b + e1 * f);
    t[17] = t[17]! + (a2 * b + e2 * f);
    t[25] = t[25]! + (a3 * b + e3 * f);
    b = pb[(q + 2) | 0]!;
    f = pb[(q + 10) | 0]!;
    t[2] = t[2]! + (a0 * b + e0 * f);
    t[10] = t[10]! + (a1 * b + e1 * f);
    t[18] = t[18]! + (a2 * b + e2 * f);
    t[26] = t[26]! + (a3 * b + e3 * f);
    b = pb[(q + 3) | 0]!;
    f = pb[(q + 11) | 0]!;
    t[3] = t[3]! + (a0 * b + e0 * f);
    t[11] = t[11]! + (a1 * b + e1 * f);
    t[19] = t[19]! + (a2 * b + e2 * f);
    t[27] = t[27]! + (a3 * b + e3 * f);
    b = pb[(q + 4) | 0]!;
    f = pb[(q + 12) | 0]!;
    t[4] = t[4]! + (a0 * b + e0 * f);
    t[12] = t[12]! + (a1 * b + e1 * f);
    t[20] = t[20]! + (a2 * b + e2 * f);
    t[28] = t[28]! + (a3 * b + e3 * f);
    b = pb[(q + 5) | 0]!;
    f = pb[(q + 13) | 0]!;
    t[5] = t[5]! + (a0 * b + e0 * f);
    t[13] = t[13]! + (a1 * b + e1 * f);
    t[21] = t[21]! + (a2 * b + e2 * f);
    t[29] = t[29]! + (a3 * b + e3 * f);
    b = pb[(q + 6) | 0]!;
    f = pb[(q + 14) | 0]!;
    t[6] = t[6]! + (a0 * b + e0 * f);
    t[14] = t[14]! + (a1 * b + e1 * f);
    t[22] = t[22]! + (a2 * b + e2 * f);
    t[30] = t[30]! + (a3 * b + e3 * f);
    b = pb[(q + 7) | 0]!;
    f = pb[(q + 15) | 0]!;
    t[7] = t[7]! + (a0 * b + e0 * f);
    t[15] = t[15]! + (a1 * b + e1 * f);
    t[23] = t[23]! + (a2 * b + e2 * f);
    t[31] = t[31]! + (a3 * b + e3 * f);
  }
}

/** out[start + r·N + c] += tile[r·NR + c] for the rows × columns that exist (edge tiles are smaller). */
function addTile(out: TypedArray, start: number, N: number, rows: number, columns: number): void {
  for (let r = 0; r < rows; r++) {
    const o = start + r * N;
    const from = r * NR;
    for (let c = 0; c < columns; c++) out[o + c] = out[o + c]! + tile[from + c]!;
  }
}
