import { FunctionBuilder, type Local } from './builder.js';
import type { FunctionDefinition } from './encoder.js';

/**
 * Elementwise float32 kernels over buffers in the kernel memory. Each loop step handles
 * BLOCK_FLOATS floats (two v128 vectors); callers round lengths up to a multiple of it and, for
 * sums, zero the padding, so no kernel has a scalar tail loop.
 */
export const BLOCK_FLOATS = 8;
export const BLOCK_BYTES = BLOCK_FLOATS * 4;

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
    sgdFunction(false),
    sgdFunction(true),
    scaleFunction(),
  ];
}

/** The loop every kernel shares: `offset` runs over [0, bytes) one block at a time. */
function overBlocks(f: FunctionBuilder, bytes: Local, body: (offset: Local) => void): void {
  const offset = f.local('offset', 'i32');
  f.i32(0).set(offset);
  f.whileBelow(offset, bytes, BLOCK_BYTES, () => body(offset));
}

/** v128.load from (base + offset) + extra bytes. */
export function loadAt(f: FunctionBuilder, base: Local, offset: Local, extra: number): void {
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
  sumOfLanes(f, accumulators, vector);
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
 * sgd(param, grad, bytes, lr, weightDecay): param ← param − lr·grad in place, the plain SGD update
 * (torch.optim.SGD without momentum) in float32 arithmetic, as PyTorch's float32 update is;
 * `sgdDecay` adds the weight decay first: param ← param − lr·(grad + weightDecay·param). `lr` and
 * `weightDecay` arrive as f32 and are splatted once. (`sgdMeasured` in the optimizer module does
 * the same and measures the step.)
 */
function sgdFunction(decay: boolean): FunctionDefinition {
  const f = new FunctionBuilder(decay ? 'sgdDecay' : 'sgd');
  const param = f.param('param', 'i32');
  const grad = f.param('grad', 'i32');
  const bytes = f.param('bytes', 'i32');
  const scalars = sgdScalars(f);
  overBlocks(f, bytes, (offset) => {
    for (const extra of [0, 16]) {
      f.get(param).get(offset).op('i32.add'); // store address
      sgdStep(f, param, grad, offset, extra, scalars, decay);
      f.memory('v128.store', extra);
    }
  });
  return f.finish();
}

/** The `lr` and `weightDecay` f32 parameters of an SGD kernel, splatted into two vector locals. */
export function sgdScalars(f: FunctionBuilder): [Local, Local] {
  const lr = f.param('lr', 'f32');
  const weightDecay = f.param('weightDecay', 'f32');
  const lrVector = f.local('lrVector', 'v128');
  const decayVector = f.local('decayVector', 'v128');
  f.get(lr).op('f32x4.splat').set(lrVector);
  f.get(weightDecay).op('f32x4.splat').set(decayVector);
  return [lrVector, decayVector];
}

/**
 * Pushes θ − lr·g, or with `decay` θ − lr·(g + λ·θ), for the four floats at (base + offset) +
 * extra bytes, in PyTorch's order of float32 operations. why two kernels and not g + 0·θ when
 * λ = 0: PyTorch skips a zero decay, and 0·θ is NaN for an infinite θ, which would turn a weight
 * PyTorch keeps at ±Inf into NaN (a lane select instead cost plain SGD ~13 %).
 */
export function sgdStep(
  f: FunctionBuilder, param: Local, grad: Local, offset: Local, extra: number, [lrVector, decayVector]: readonly [Local, Local], decay: boolean,
): void {
  loadAt(f, param, offset, extra); // θ
  f.get(lrVector);
  loadAt(f, grad, offset, extra);
  if (decay) {
    f.get(decayVector);
    loadAt(f, param, offset, extra);
    f.op('f32x4.mul').op('f32x4.add'); // g + λ·θ
  }
  f.op('f32x4.mul').op('f32x4.sub'); // θ − lr·g
}

/** Leaves the f64 sum of every lane of four f64x2 accumulators on the stack (`scratch` is overwritten). */
export function sumOfLanes(f: FunctionBuilder, sums: readonly Local[], scratch: Local): void {
  f.get(sums[0]!).get(sums[1]!).op('f64x2.add').get(sums[2]!).get(sums[3]!).op('f64x2.add').op('f64x2.add').set(scratch);
  f.get(scratch).lane('f64x2.extract_lane', 0).get(scratch).lane('f64x2.extract_lane', 1).op('f64.add');
}

/** Byte lanes 8..15 moved to 0..7: lanes 2 and 3 of an f32x4 become lanes 0 and 1. */
export const HIGH_HALF_DOWN = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];
