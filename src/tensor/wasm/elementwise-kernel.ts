import { FunctionBuilder, type Local } from './builder.js';
import type { FunctionDefinition } from './encoder.js';

/**
 * Elementwise float32 kernels over buffers in the kernel memory. Each loop step handles
 * BLOCK_FLOATS floats (two v128 vectors); callers round lengths up to a multiple of it and, for
 * sums, zero the padding, so no kernel has a scalar tail loop.
 */
export const BLOCK_FLOATS = 8;
const BLOCK_BYTES = BLOCK_FLOATS * 4;

export function elementwiseFunctions(): FunctionDefinition[] {
  return [
    binaryFunction('add', 'f32x4.add'),
    binaryFunction('mul', 'f32x4.mul'),
    reluFunction(),
    reluBackwardFunction(),
    sumFunction(),
    statsFunction(),
    sgdFunction(),
    scaleFunction(),
    weightUpdateFunction(),
  ];
}

/** The loop every kernel shares: `offset` runs over [0, bytes) one block at a time. */
function overBlocks(f: FunctionBuilder, bytes: Local, body: (offset: Local) => void): void {
  const offset = f.local('offset', 'i32');
  f.i32(0).set(offset);
  f.whileBelow(offset, bytes, BLOCK_BYTES, () => body(offset));
}

/** v128.load from (base + offset) + extra bytes. */
function loadAt(f: FunctionBuilder, base: Local, offset: Local, extra: number): void {
  f.get(base).get(offset).op('i32.add').memory('v128.load', extra);
}

/** name(a, b, out, bytes): out = a ⊕ b, all three of `bytes` bytes. */
function binaryFunction(name: string, operation: 'f32x4.add' | 'f32x4.mul'): FunctionDefinition {
  const f = new FunctionBuilder(name);
  const a = f.param('a', 'i32');
  const b = f.param('b', 'i32');
  const out = f.param('out', 'i32');
  const bytes = f.param('bytes', 'i32');
  overBlocks(f, bytes, (offset) => {
    for (const extra of [0, 16]) {
      f.get(out).get(offset).op('i32.add');
      loadAt(f, a, offset, extra);
      loadAt(f, b, offset, extra);
      f.op(operation).memory('v128.store', extra);
    }
  });
  return f.finish();
}

/** relu(x, out, bytes): out = max(x, 0) lane by lane; f32x4.max propagates NaN as torch.relu does. */
function reluFunction(): FunctionDefinition {
  const f = new FunctionBuilder('relu');
  const x = f.param('x', 'i32');
  const out = f.param('out', 'i32');
  const bytes = f.param('bytes', 'i32');
  overBlocks(f, bytes, (offset) => {
    for (const extra of [0, 16]) {
      f.get(out).get(offset).op('i32.add');
      loadAt(f, x, offset, extra);
      f.v128Zero().op('f32x4.max').memory('v128.store', extra);
    }
  });
  return f.finish();
}

/**
 * reluBackward(x, gradOut, out, bytes): out = 0 where x ≤ 0, else gradOut, branch-free and
 * written as PyTorch's threshold_backward: `x ≤ 0` is an all-ones or all-zeros lane mask, and
 * ANDNOT keeps gradOut's bits only where it is clear (NaN in x compares false, so its gradient
 * passes through, as in PyTorch and the TypeScript kernel).
 */
function reluBackwardFunction(): FunctionDefinition {
  const f = new FunctionBuilder('reluBackward');
  const x = f.param('x', 'i32');
  const gradOut = f.param('gradOut', 'i32');
  const out = f.param('out', 'i32');
  const bytes = f.param('bytes', 'i32');
  overBlocks(f, bytes, (offset) => {
    for (const extra of [0, 16]) {
      f.get(out).get(offset).op('i32.add');
      loadAt(f, gradOut, offset, extra);
      loadAt(f, x, offset, extra);
      f.v128Zero().op('f32x4.le').op('v128.andnot').memory('v128.store', extra);
    }
  });
  return f.finish();
}

/**
 * sum(x, bytes) → f64: the sum of the floats, accumulated in float64 like the TypeScript kernel.
 * Each vector is widened into two f64x2 halves (the high half is first shuffled down), and four
 * f64x2 accumulators keep the additions independent.
 */
function sumFunction(): FunctionDefinition {
  const f = new FunctionBuilder('sum');
  const x = f.param('x', 'i32');
  const bytes = f.param('bytes', 'i32');
  const accumulators = [0, 1, 2, 3].map((i) => f.local(`acc${i}`, 'v128'));
  const vector = f.local('vector', 'v128');
  for (const acc of accumulators) f.v128Zero().set(acc);
  overBlocks(f, bytes, (offset) => {
    [0, 16].forEach((extra, half) => {
      loadAt(f, x, offset, extra);
      f.set(vector);
      const low = accumulators[2 * half]!;
      const high = accumulators[2 * half + 1]!;
      f.get(low).get(vector).op('f64x2.promote_low_f32x4').op('f64x2.add').set(low);
      f.get(high).get(vector).get(vector).shuffle(HIGH_HALF_DOWN).op('f64x2.promote_low_f32x4').op('f64x2.add').set(high);
    });
  });
  f.get(accumulators[0]!).get(accumulators[1]!).op('f64x2.add');
  f.get(accumulators[2]!).get(accumulators[3]!).op('f64x2.add');
  f.op('f64x2.add').set(vector);
  f.get(vector).lane('f64x2.extract_lane', 0).get(vector).lane('f64x2.extract_lane', 1).op('f64.add');
  return f.finish(['f64']);
}

/**
 * Floats per chunk of the statistics kernels: within a chunk, squares are summed in float32 (8
 * lanes, each adding CHUNK_FLOATS / 8 = 64 squares: a relative error below 64·2⁻²⁴ ≈ 4e-6 in
 * the worst case, ~1e-7 typically, about what PyTorch's float32 norm has); each chunk's sums
 * are then added in float64. Widening every element to float64 instead costs twice the time.
 */
export const STATS_CHUNK_FLOATS = 512;

/**
 * The loop of the statistics kernels: `offset` runs over [0, bytes) one block at a time, in chunks
 * of STATS_CHUNK_FLOATS; `startChunk` clears the float32 partial sums, `endChunk` adds them into
 * the float64 ones.
 */
function overChunks(f: FunctionBuilder, bytes: Local, startChunk: () => void, body: (offset: Local) => void, endChunk: () => void): void {
  const offset = f.local('offset', 'i32');
  const chunkEnd = f.local('chunkEnd', 'i32');
  f.i32(0).set(offset);
  f.whileBelow(offset, bytes, 0, () => {
    // chunkEnd = min(offset + chunk, bytes); the inner loop advances `offset` to it
    f.get(offset).i32(STATS_CHUNK_FLOATS * 4).op('i32.add').tee(chunkEnd).get(bytes).get(chunkEnd).get(bytes).op('i32.lt_u').op('select').set(chunkEnd);
    startChunk();
    f.whileBelow(offset, chunkEnd, BLOCK_BYTES, () => body(offset));
    endChunk();
  });
}

/** (low, high) += the four float32 lanes of chunk0 + chunk1, widened to float64 (two f64x2 each). */
function addWidened(f: FunctionBuilder, chunk0: Local, chunk1: Local, low: Local, high: Local, scratch: Local): void {
  f.get(chunk0).get(chunk1).op('f32x4.add').set(scratch);
  f.get(low).get(scratch).op('f64x2.promote_low_f32x4').op('f64x2.add').set(low);
  f.get(high).get(scratch).get(scratch).shuffle(HIGH_HALF_DOWN).op('f64x2.promote_low_f32x4').op('f64x2.add').set(high);
}

/** The f64 sum of the two lanes of (low + high), left on the stack. */
function sumLanes(f: FunctionBuilder, low: Local, high: Local, scratch: Local): void {
  f.get(low).get(high).op('f64x2.add').set(scratch);
  f.get(scratch).lane('f64x2.extract_lane', 0).get(scratch).lane('f64x2.extract_lane', 1).op('f64.add');
}

/**
 * stats(x, bytes, maxOut) → f64: Σx² (returned; float32 within a chunk, float64 across chunks)
 * and max |x| ignoring NaN (stored as an f32 at `maxOut`), in one pass: the statistics a
 * GradientView shares among guards. A square above float32's range (|x| > 1.8e19) makes the sum
 * Inf although every element is finite: the caller recomputes in float64 when Σx² is not finite
 * and no element is. `f32x4.pmax(m, a)` is `m < a ? a : m`: a NaN lane compares false and leaves
 * the maximum alone, as in the TypeScript kernel.
 */
function statsFunction(): FunctionDefinition {
  const f = new FunctionBuilder('stats');
  const x = f.param('x', 'i32');
  const bytes = f.param('bytes', 'i32');
  const maxOut = f.param('maxOut', 'i32');
  const chunkSquares = [0, 1].map((i) => f.local(`chunkSquares${i}`, 'v128'));
  const [low, high] = [0, 1].map((i) => f.local(`squares${i}`, 'v128')) as [Local, Local];
  const maxima = [0, 1].map((i) => f.local(`max${i}`, 'v128'));
  const vector = f.local('vector', 'v128');
  for (const acc of [low, high, ...maxima]) f.v128Zero().set(acc);
  const clearChunk = (): void => chunkSquares.forEach((acc) => f.v128Zero().set(acc));
  overChunks(f, bytes, clearChunk, (offset) => {
    [0, 16].forEach((extra, half) => {
      loadAt(f, x, offset, extra);
      f.set(vector);
      const max = maxima[half]!;
      f.get(max).get(vector).op('f32x4.abs').op('f32x4.pmax').set(max);
      const sum = chunkSquares[half]!;
      f.get(sum).get(vector).get(vector).op('f32x4.mul').op('f32x4.add').set(sum);
    });
  }, () => addWidened(f, chunkSquares[0]!, chunkSquares[1]!, low, high, vector));
  f.get(maxima[0]!).get(maxima[1]!).op('f32x4.pmax').set(vector);
  f.get(maxOut);
  f.get(vector).lane('f32x4.extract_lane', 0).get(vector).lane('f32x4.extract_lane', 1).op('f32.max');
  f.get(vector).lane('f32x4.extract_lane', 2).get(vector).lane('f32x4.extract_lane', 3).op('f32.max');
  f.op('f32.max').memory('f32.store');
  sumLanes(f, low, high, vector);
  return f.finish(['f64']);
}

/** scale(x, bytes, factor): x ← x · factor in float32 (`factor` arrives as f32 and is splatted once). */
function scaleFunction(): FunctionDefinition {
  const f = new FunctionBuilder('scale');
  const x = f.param('x', 'i32');
  const bytes = f.param('bytes', 'i32');
  const factor = f.param('factor', 'f32');
  const factorVector = f.local('factorVector', 'v128');
  f.get(factor).op('f32x4.splat').set(factorVector);
  overBlocks(f, bytes, (offset) => {
    for (const extra of [0, 16]) {
      f.get(x).get(offset).op('i32.add'); // store address
      loadAt(f, x, offset, extra);
      f.get(factorVector).op('f32x4.mul').memory('v128.store', extra);
    }
  });
  return f.finish();
}

/**
 * sgd(param, grad, bytes, lr, weightDecay): param ← param − lr·(grad + weightDecay·param), the
 * plain SGD update (torch.optim.SGD without momentum) in float32 arithmetic, as PyTorch's float32
 * update is; `lr` and `weightDecay` arrive as f32 and are splatted once.
 */
function sgdFunction(): FunctionDefinition {
  const f = new FunctionBuilder('sgd');
  const param = f.param('param', 'i32');
  const grad = f.param('grad', 'i32');
  const bytes = f.param('bytes', 'i32');
  const lr = f.param('lr', 'f32');
  const weightDecay = f.param('weightDecay', 'f32');
  const lrVector = f.local('lrVector', 'v128');
  const decayVector = f.local('decayVector', 'v128');
  f.get(lr).op('f32x4.splat').set(lrVector);
  f.get(weightDecay).op('f32x4.splat').set(decayVector);
  overBlocks(f, bytes, (offset) => {
    for (const extra of [0, 16]) {
      f.get(param).get(offset).op('i32.add'); // store address
      loadAt(f, param, offset, extra); // θ
      f.get(lrVector);
      loadAt(f, grad, offset, extra);
      f.get(decayVector);
      loadAt(f, param, offset, extra);
      f.op('f32x4.mul').op('f32x4.add'); // g + λ·θ
      f.op('f32x4.mul').op('f32x4.sub'); // θ − lr·(g + λ·θ)
      f.memory('v128.store', extra);
    }
  });
  return f.finish();
}

/**
 * weightUpdate(w, previous, bytes, updateOut) → f64: Σw² (returned) and Σ(w − previous)² (stored
 * as an f64 at `updateOut`) in one pass, summed like `stats` (float32 within a chunk, float64
 * across): the monitor's weight norm and update size ‖ΔW‖. The difference of two nearby float32
 * values is exact (Sterbenz), so small updates lose nothing to the subtraction. Non-finite sums
 * from finite data (|w| > 1.8e19) are for the caller to recompute, as with `stats`.
 */
function weightUpdateFunction(): FunctionDefinition {
  const f = new FunctionBuilder('weightUpdate');
  const w = f.param('w', 'i32');
  const previous = f.param('previous', 'i32');
  const bytes = f.param('bytes', 'i32');
  const updateOut = f.param('updateOut', 'i32');
  const chunkWeights = [0, 1].map((i) => f.local(`chunkWeights${i}`, 'v128'));
  const chunkUpdates = [0, 1].map((i) => f.local(`chunkUpdates${i}`, 'v128'));
  const [weightsLow, weightsHigh, updatesLow, updatesHigh] = ['weightsLow', 'weightsHigh', 'updatesLow', 'updatesHigh'].map((name) => f.local(name, 'v128')) as [Local, Local, Local, Local];
  const current = f.local('current', 'v128');
  const delta = f.local('delta', 'v128');
  for (const acc of [weightsLow, weightsHigh, updatesLow, updatesHigh]) f.v128Zero().set(acc);
  const clearChunk = (): void => [...chunkWeights, ...chunkUpdates].forEach((acc) => f.v128Zero().set(acc));
  overChunks(f, bytes, clearChunk, (offset) => {
    [0, 16].forEach((extra, half) => {
      loadAt(f, w, offset, extra);
      f.tee(current);
      loadAt(f, previous, offset, extra);
      f.op('f32x4.sub').set(delta);
      const weights = chunkWeights[half]!;
      f.get(weights).get(current).get(current).op('f32x4.mul').op('f32x4.add').set(weights);
      const updates = chunkUpdates[half]!;
      f.get(updates).get(delta).get(delta).op('f32x4.mul').op('f32x4.add').set(updates);
    });
  }, () => {
    addWidened(f, chunkWeights[0]!, chunkWeights[1]!, weightsLow, weightsHigh, current);
    addWidened(f, chunkUpdates[0]!, chunkUpdates[1]!, updatesLow, updatesHigh, current);
  });
  f.get(updateOut);
  sumLanes(f, updatesLow, updatesHigh, current);
  f.memory('f64.store');
  sumLanes(f, weightsLow, weightsHigh, current);
  return f.finish(['f64']);
}

/** Byte lanes 8..15 moved to 0..7: lanes 2 and 3 of an f32x4 become lanes 0 and 1. */
const HIGH_HALF_DOWN = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];
