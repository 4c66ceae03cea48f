import { FunctionBuilder, type Local } from './builder.js';
import type { FunctionDefinition } from './encoder.js';
import { BLOCK_BYTES, HIGH_HALF_DOWN, loadAt, sumOfLanes } from './elementwise-kernel.js';

/*
 * Sums of squares with float32 partial sums: the gradient statistics every guard shares and the
 * monitor's ‖W‖ and ‖ΔW‖. Widening every element to float64 costs twice the instructions (the
 * kernels did so until they were measured: 0.60 → 0.39 µs for 2,048 floats, 2.4 → 0.9 µs for
 * Σw² and Σ(Δw)² of 4,096); summing ~64 squares per lane in float32 and widening only those
 * partial sums gives ~1e-7 relative, the precision of PyTorch's own float32 norm. When a sum is
 * not finite (or, for weights, so small that squares may have lost digits) the callers redo it
 * exactly in TypeScript's float64 loops.
 */

export function squareSumFunctions(): FunctionDefinition[] {
  return [squaresFunction(), updateSquaresFunction()];
}

/** Floats summed in float32 before a partial sum is widened into the float64 total (see `squares`). */
export const SQUARES_CHUNK_FLOATS = 512;
/** The power of two each element is scaled by before squaring (see `squares`); the sum comes back × SQUARES_SCALE². */
export const SQUARES_SCALE = 2 ** 32;

/**
 * squares(x, bytes, maxOut) → f64: Σ(x·2³²)² (returned) and max |x| ignoring NaN (stored as an
 * f32 at `maxOut`), as max(max x, −min x) from running maxima and minima: `f32x4.pmax(m, a)` is
 * `m < a ? a : m` and `pmin(m, a)` is `a < m ? a : m`, so a NaN lane leaves them alone, and the
 * two take fewer instructions than |x| and a maximum (the kernel ran 15–20 % faster). The
 * squares are summed in float32 within chunks of SQUARES_CHUNK_FLOATS floats (eight lanes, ~64
 * terms each, relative error ~1e-7 as PyTorch's float32 norm) and only each chunk's partial sums
 * are widened to float64: about half the work of widening every element.
 * why the scale: the square of a float32 below ~1e-19 is subnormal, and each subnormal product
 * costs x86 a ~100-cycle assist (vanishing gradients are full of them); times 2³² (exact, a power
 * of two) squares stay normal down to ~2e-29. An element above ~4e9 (or many above ~5e8)
 * overflows the float32 partial sums to +Inf, as NaN or ±Inf in x do: the caller then uses the
 * float64 TypeScript loop, whose squares cannot overflow (a finite float32 squared is finite in float64).
 */
function squaresFunction(): FunctionDefinition {
  const f = new FunctionBuilder('squares');
  const x = f.param('x', 'i32');
  const bytes = f.param('bytes', 'i32');
  const maxOut = f.param('maxOut', 'i32');
  const partial = [0, 1].map((i) => f.local(`partial${i}`, 'v128'));
  const totals = [0, 1, 2, 3].map((i) => f.local(`total${i}`, 'v128'));
  const maxima = [0, 1].map((i) => f.local(`max${i}`, 'v128'));
  const minima = [0, 1].map((i) => f.local(`min${i}`, 'v128'));
  const vector = f.local('vector', 'v128');
  const scale = f.local('scale', 'v128');
  for (const acc of [...totals, ...maxima, ...minima]) f.v128Zero().set(acc);
  f.f32(SQUARES_SCALE).op('f32x4.splat').set(scale);
  overChunks(f, bytes, partial, (offset) => {
    [0, 16].forEach((extra, half) => {
      loadAt(f, x, offset, extra);
      f.set(vector);
      f.get(maxima[half]!).get(vector).op('f32x4.pmax').set(maxima[half]!);
      f.get(minima[half]!).get(vector).op('f32x4.pmin').set(minima[half]!);
      f.get(vector).get(scale).op('f32x4.mul').set(vector);
      addSquare(f, partial[half]!, vector);
    });
  }, () => partial.forEach((sum, half) => widenInto(f, sum, totals[2 * half]!, totals[2 * half + 1]!)));
  f.get(maxOut);
  f.get(maxima[0]!).get(maxima[1]!).op('f32x4.pmax').set(vector);
  lanesFold(f, vector, 'f32.max');
  f.get(minima[0]!).get(minima[1]!).op('f32x4.pmin').set(vector);
  lanesFold(f, vector, 'f32.min');
  f.op('f32.neg').op('f32.max').memory('f32.store'); // max |x| = max(max x, −min x)
  sumOfLanes(f, totals, vector);
  return f.finish(['f64']);
}

/**
 * updateSquares(w, previous, bytes, updateOut) → f64: Σw² (returned) and Σ(w − previous)² (stored
 * as an f64 at `updateOut`), the monitor's ‖W‖² and ‖ΔW‖², summed in float32 chunks as in
 * `squares` (~1e-7 relative). The difference is taken in float32 (exact when the two are within a
 * factor 2 of each other, as after a small step, else rounded to ~6e-8 of itself). A non-finite
 * or tiny result sends the caller to the float64 TypeScript loop (see `needsExactSums`).
 * why no 2³² scale here, unlike `squares`: a weight below ~1e-19 is rare where a gradient that
 * small is common, and so is a nonzero step below it (a step smaller than half a weight's last
 * digit is 0); without the two multiplications per element the pass is mul-bound half as long.
 */
function updateSquaresFunction(): FunctionDefinition {
  const f = new FunctionBuilder('updateSquares');
  const w = f.param('w', 'i32');
  const previous = f.param('previous', 'i32');
  const bytes = f.param('bytes', 'i32');
  const updateOut = f.param('updateOut', 'i32');
  const weightPartial = [0, 1].map((i) => f.local(`weightPartial${i}`, 'v128'));
  const updatePartial = [0, 1].map((i) => f.local(`updatePartial${i}`, 'v128'));
  const weights = [0, 1, 2, 3].map((i) => f.local(`weights${i}`, 'v128'));
  const updates = [0, 1, 2, 3].map((i) => f.local(`updates${i}`, 'v128'));
  const current = f.local('current', 'v128');
  const delta = f.local('delta', 'v128');
  for (const acc of [...weights, ...updates]) f.v128Zero().set(acc);
  overChunks(f, bytes, [...weightPartial, ...updatePartial], (offset) => {
    [0, 16].forEach((extra, half) => {
      loadAt(f, w, offset, extra);
      f.set(current);
      f.get(current);
      loadAt(f, previous, offset, extra);
      f.op('f32x4.sub').set(delta);
      addSquare(f, weightPartial[half]!, current);
      addSquare(f, updatePartial[half]!, delta);
    });
  }, () => widenPartials(f, weightPartial, updatePartial, weights, updates));
  storeSums(f, weights, updates, updateOut, current);
  return f.finish(['f64']);
}

/** The end of `updateSquares` and the measuring optimizer kernels: Σ(Δw)² stored at `updateOut`, Σw² left on the stack. */
export function storeSums(f: FunctionBuilder, weights: readonly Local[], updates: readonly Local[], updateOut: Local, scratch: Local): void {
  f.get(updateOut);
  sumOfLanes(f, updates, scratch);
  f.memory('f64.store');
  sumOfLanes(f, weights, scratch);
}

/** The end of a chunk of `updateSquares` and the measuring optimizer kernels: the partial sums (one or two per sum) widened into their totals. */
export function widenPartials(f: FunctionBuilder, weightPartial: readonly Local[], updatePartial: readonly Local[], weights: readonly Local[], updates: readonly Local[]): void {
  for (let half = 0; half < weightPartial.length; half++) {
    widenInto(f, weightPartial[half]!, weights[2 * half]!, weights[2 * half + 1]!);
    widenInto(f, updatePartial[half]!, updates[2 * half]!, updates[2 * half + 1]!);
  }
}

/**
 * The chunked loop of `squares`, `updateSquares` and the measuring optimizer kernels: `partials`
 * (f32x4 sums) are zeroed at the start of each chunk of SQUARES_CHUNK_FLOATS floats, `body` runs
 * per block, and `flush` widens the partial sums into the float64 totals at the end of the chunk.
 */
export function overChunks(f: FunctionBuilder, bytes: Local, partials: readonly Local[], body: (offset: Local) => void, flush: () => void): void {
  const offset = f.local('offset', 'i32');
  const chunkEnd = f.local('chunkEnd', 'i32');
  f.i32(0).set(offset);
  f.whileBelow(offset, bytes, 0, () => {
    f.get(offset).i32(SQUARES_CHUNK_FLOATS * 4).op('i32.add').set(chunkEnd); // min(offset + chunk, bytes)
    f.get(chunkEnd).get(bytes).op('i32.gt_u').if(() => void f.get(bytes).set(chunkEnd));
    for (const sum of partials) f.v128Zero().set(sum);
    f.whileBelow(offset, chunkEnd, BLOCK_BYTES, () => body(offset));
    flush();
  });
}

/** Leaves the four lanes of `vector` folded with `fold` (f32.max or f32.min) on the stack. */
function lanesFold(f: FunctionBuilder, vector: Local, fold: 'f32.max' | 'f32.min'): void {
  f.get(vector).lane('f32x4.extract_lane', 0).get(vector).lane('f32x4.extract_lane', 1).op(fold);
  f.get(vector).lane('f32x4.extract_lane', 2).get(vector).lane('f32x4.extract_lane', 3).op(fold);
  f.op(fold);
}

/** sum ← sum + vector² (f32x4). */
export function addSquare(f: FunctionBuilder, sum: Local, vector: Local): void {
  f.get(sum).get(vector).get(vector).op('f32x4.mul').op('f32x4.add').set(sum);
}

/** low, high (f64x2) ← + the lanes 0–1 and 2–3 of the f32x4 `partial`, widened. */
function widenInto(f: FunctionBuilder, partial: Local, low: Local, high: Local): void {
  f.get(low).get(partial).op('f64x2.promote_low_f32x4').op('f64x2.add').set(low);
  f.get(high).get(partial).get(partial).shuffle(HIGH_HALF_DOWN).op('f64x2.promote_low_f32x4').op('f64x2.add').set(high);
}
