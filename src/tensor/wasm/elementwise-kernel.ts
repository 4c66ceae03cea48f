import { FunctionBuilder, type Local } from './builder.js';
import type { FunctionDefinition } from './encoder.js';

/**
 * Elementwise float32 kernels over buffers in the kernel memory. Each loop step handles
 * BLOCK_FLOATS floats (two v128 vectors); callers round lengths up to a multiple of it and, for
 * sums, zero the padding, so no kernel has a scalar tail loop.
 */
export const BLOCK_FLOATS = 8;
const BLOCK_BYTES = BLOCK_FLOATS * 4;

/** Floats a buffer of `n` occupies in kernel memory: rounded up to whole blocks. */
export function slotFloats(n: number): number {
  return Math.ceil(n / BLOCK_FLOATS) * BLOCK_FLOATS;
}

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
 * stats(x, bytes, maxOut) → f64: Σx² accumulated in float64 (returned) and max |x| ignoring NaN
 * (stored as an f32 at `maxOut`), in one pass, the statistics a GradientView shares among guards.
 * A float32 squared cannot overflow float64, so the sum is non-finite exactly when some element
 * is, and the caller counts those only then. `f32x4.pmax(m, a)` is `m < a ? a : m`: a NaN lane
 * compares false and leaves the maximum alone, as in the TypeScript kernel.
 * why float64 and not float32 partial sums (2× faster on ordinary data, tried): the square of a
 * float32 below ~1e-19 is subnormal in float32, and x86 takes a ~100-cycle assist for every such
 * product (WebAssembly may not flush them to zero); vanishing gradients are full of such values,
 * and there the float32 kernel ran 3× slower than this one, just where a monitor is most wanted.
 */
function statsFunction(): FunctionDefinition {
  const f = new FunctionBuilder('stats');
  const x = f.param('x', 'i32');
  const bytes = f.param('bytes', 'i32');
  const maxOut = f.param('maxOut', 'i32');
  const squares = [0, 1, 2, 3].map((i) => f.local(`squares${i}`, 'v128'));
  const maxima = [0, 1].map((i) => f.local(`max${i}`, 'v128'));
  const vector = f.local('vector', 'v128');
  const wide = f.local('wide', 'v128');
  for (const acc of [...squares, ...maxima]) f.v128Zero().set(acc);
  overBlocks(f, bytes, (offset) => {
    [0, 16].forEach((extra, half) => {
      loadAt(f, x, offset, extra);
      f.set(vector);
      const max = maxima[half]!;
      f.get(max).get(vector).op('f32x4.abs').op('f32x4.pmax').set(max);
      const low = squares[2 * half]!;
      const high = squares[2 * half + 1]!;
      f.get(vector).op('f64x2.promote_low_f32x4').set(wide);
      f.get(low).get(wide).get(wide).op('f64x2.mul').op('f64x2.add').set(low);
      f.get(vector).get(vector).shuffle(HIGH_HALF_DOWN).op('f64x2.promote_low_f32x4').set(wide);
      f.get(high).get(wide).get(wide).op('f64x2.mul').op('f64x2.add').set(high);
    });
  });
  f.get(maxima[0]!).get(maxima[1]!).op('f32x4.pmax').set(vector);
  f.get(maxOut);
  f.get(vector).lane('f32x4.extract_lane', 0).get(vector).lane('f32x4.extract_lane', 1).op('f32.max');
  f.get(vector).lane('f32x4.extract_lane', 2).get(vector).lane('f32x4.extract_lane', 3).op('f32.max');
  f.op('f32.max').memory('f32.store');
  f.get(squares[0]!).get(squares[1]!).op('f64x2.add');
  f.get(squares[2]!).get(squares[3]!).op('f64x2.add');
  f.op('f64x2.add').set(vector);
  f.get(vector).lane('f64x2.extract_lane', 0).get(vector).lane('f64x2.extract_lane', 1).op('f64.add');
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
 * as an f64 at `updateOut`), both in float64 and in one pass: the monitor's weight norm and
 * update size ‖ΔW‖. Each half of a vector is widened to f64x2 before subtracting, so the
 * difference of two float32 values is exact, as in the TypeScript loop.
 */
function weightUpdateFunction(): FunctionDefinition {
  const f = new FunctionBuilder('weightUpdate');
  const w = f.param('w', 'i32');
  const previous = f.param('previous', 'i32');
  const bytes = f.param('bytes', 'i32');
  const updateOut = f.param('updateOut', 'i32');
  // four accumulators each (one per f64x2 quarter of a block): with one, every block waited on
  // four dependent adds (~12 cycles); now each chain has one add per block
  const weights = [0, 1, 2, 3].map((i) => f.local(`weights${i}`, 'v128'));
  const updates = [0, 1, 2, 3].map((i) => f.local(`updates${i}`, 'v128'));
  const current = f.local('current', 'v128');
  const before = f.local('before', 'v128');
  const wide = f.local('wide', 'v128');
  const delta = f.local('delta', 'v128');
  for (const acc of [...weights, ...updates]) f.v128Zero().set(acc);
  // widened(x, high): lanes 0–1 (or 2–3, shuffled down first) of an f32x4 as an f64x2
  const widened = (x: Local, high: boolean): void => {
    f.get(x);
    if (high) f.get(x).shuffle(HIGH_HALF_DOWN);
    f.op('f64x2.promote_low_f32x4');
  };
  overBlocks(f, bytes, (offset) => {
    [0, 16].forEach((extra, half) => {
      loadAt(f, w, offset, extra);
      f.set(current);
      loadAt(f, previous, offset, extra);
      f.set(before);
      [false, true].forEach((high, part) => {
        const weightSum = weights[2 * half + part]!;
        const updateSum = updates[2 * half + part]!;
        widened(current, high);
        f.set(wide);
        f.get(weightSum).get(wide).get(wide).op('f64x2.mul').op('f64x2.add').set(weightSum);
        f.get(wide);
        widened(before, high);
        f.op('f64x2.sub').set(delta);
        f.get(updateSum).get(delta).get(delta).op('f64x2.mul').op('f64x2.add').set(updateSum);
      });
    });
  });
  // sum of the four accumulators' lanes, left on the stack
  const total = (sums: Local[]): void => {
    f.get(sums[0]!).get(sums[1]!).op('f64x2.add').get(sums[2]!).get(sums[3]!).op('f64x2.add').op('f64x2.add').set(wide);
    f.get(wide).lane('f64x2.extract_lane', 0).get(wide).lane('f64x2.extract_lane', 1).op('f64.add');
  };
  f.get(updateOut);
  total(updates);
  f.memory('f64.store');
  total(weights);
  return f.finish(['f64']);
}

/** Byte lanes 8..15 moved to 0..7: lanes 2 and 3 of an f32x4 become lanes 0 and 1. */
const HIGH_HALF_DOWN = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];
