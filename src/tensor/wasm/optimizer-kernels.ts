import { FunctionBuilder, type Local } from './builder.js';
import type { FunctionDefinition } from './encoder.js';
import { loadAt, sgdScalars, sgdStep } from './elementwise-kernel.js';
import { addSquare, overChunks, storeSums, widenPartials } from './squares-kernel.js';

/*
 * The optimizer module's kernels: updates whose arithmetic is heavy enough (Adam) or whose
 * measurement is worth fusing into them (SGD and Adam for a watching monitor) to earn a kernel apiece.
 */

/** The scalars of one Adam step (see `AdamStep`), in the order the kernel takes them (all as float32). */
const ADAM_SCALARS = ['shrink', 'l2', 'keep1', 'beta2', 'keep2', 'stepSize', 'bias2Sqrt', 'eps'] as const;

/** The vector locals one Adam step works with: the splatted scalars and the values of four lanes. */
interface AdamLocals {
  scalars: Record<(typeof ADAM_SCALARS)[number], Local>;
  /** Whether the kernel adds Adam's coupled decay l2·θ to the gradient (see `sgdStep` for why a kernel of its own). */
  l2: boolean;
  /** θ as loaded, then θ after the step. */
  w: Local;
  g: Local;
  m: Local;
  v: Local;
  change: Local;
}

/** Declares the eight scalar parameters (after the caller's own) and splats each into a vector local. */
function adamLocals(f: FunctionBuilder, l2: boolean): AdamLocals {
  const params = ADAM_SCALARS.map((name) => f.param(name, 'f32'));
  const vectors = params.map((scalar, i) => {
    const vector = f.local(`${ADAM_SCALARS[i]}Vector`, 'v128');
    f.get(scalar).op('f32x4.splat').set(vector);
    return vector;
  });
  const scalars = Object.fromEntries(ADAM_SCALARS.map((name, i) => [name, vectors[i]!])) as AdamLocals['scalars'];
  return { scalars, l2, w: f.local('w', 'v128'), g: f.local('g', 'v128'), m: f.local('m', 'v128'), v: f.local('v', 'v128'), change: f.local('change', 'v128') };
}

/**
 * One Adam step on the four lanes at (base + offset) + extra bytes of the four arrays: the moments
 * stored in place, θ after the step left in `w` (the caller stores it).
 */
function adamStep(f: FunctionBuilder, arrays: readonly [Local, Local, Local, Local], offset: Local, extra: number, locals: AdamLocals): void {
  const [param, grad, expAvg, expAvgSq] = arrays;
  const { scalars: { shrink, l2, keep1, beta2, keep2, stepSize, bias2Sqrt, eps }, w, g, m, v, change } = locals;
  const storeTo = (base: Local, value: Local): void => void f.get(base).get(offset).op('i32.add').get(value).memory('v128.store', extra);
  loadAt(f, param, offset, extra);
  f.get(shrink).op('f32x4.mul').set(w);
  loadAt(f, grad, offset, extra);
  if (locals.l2) f.get(l2).get(w).op('f32x4.mul').op('f32x4.add'); // g + l2·θ
  f.set(g);
  loadAt(f, expAvg, offset, extra);
  f.set(m);
  f.get(m).get(keep1).get(g).get(m).op('f32x4.sub').op('f32x4.mul').op('f32x4.add').set(m); // lerp, as PyTorch
  storeTo(expAvg, m);
  loadAt(f, expAvgSq, offset, extra);
  f.get(beta2).op('f32x4.mul').get(keep2).get(g).op('f32x4.mul').get(g).op('f32x4.mul').op('f32x4.add').set(v);
  storeTo(expAvgSq, v);
  f.get(stepSize).get(m).op('f32x4.mul'); // stepSize·m
  f.get(v).op('f32x4.sqrt').get(bias2Sqrt).op('f32x4.div').get(eps).op('f32x4.add'); // √v / √(1 − β₂ᵗ) + ε
  f.op('f32x4.div').set(change);
  f.get(w).get(change).op('f32x4.sub').set(w);
}

/**
 * adam(param, grad, expAvg, expAvgSq, bytes, shrink, l2, keep1, beta2, keep2, stepSize, bias2Sqrt, eps):
 * one step of torch.optim.Adam / AdamW in float32 arithmetic, op by op as PyTorch's single-tensor
 * update, four lanes at a time, all in place (`adamL2` adds Adam's coupled decay, l2 > 0):
 *   θ ← θ·shrink (AdamW's 1 − lr·λ, else 1);   g ← ∇ (+ l2·θ in adamL2)
 *   m ← m + keep1·(g − m);   v ← v·β₂ + (keep2·g)·g;   θ ← θ − (stepSize·m) / (√v / bias2Sqrt + ε)
 * why SIMD pays most here: the square root and the division run on the core's divider, which a
 * scalar float64 loop waits on per element; f32x4.sqrt and f32x4.div do four per instruction.
 */
export function adamFunction(l2: boolean): FunctionDefinition {
  const f = new FunctionBuilder(l2 ? 'adamL2' : 'adam');
  const arrays = ['param', 'grad', 'expAvg', 'expAvgSq'].map((name) => f.param(name, 'i32')) as [Local, Local, Local, Local];
  const bytes = f.param('bytes', 'i32');
  const locals = adamLocals(f, l2);
  const offset = f.local('offset', 'i32');
  f.i32(0).set(offset);
  f.whileBelow(offset, bytes, 16, () => {
    adamStep(f, arrays, offset, 0, locals);
    f.get(arrays[0]).get(offset).op('i32.add').get(locals.w).memory('v128.store');
  });
  return f.finish();
}

/**
 * adamMeasured(param, grad, expAvg, expAvgSq, bytes, updateOut, …the scalars of `adam`) → f64
 * (and `adamMeasuredL2`):
 * the same step, which also sums the new weights' squares (returned) and the squares of the steps
 * taken (stored as an f64 at `updateOut`) in the same pass, as `sgdMeasured` does. `bytes` is a
 * whole number of blocks.
 */
export function adamMeasuredFunction(l2: boolean): FunctionDefinition {
  const f = new FunctionBuilder(l2 ? 'adamMeasuredL2' : 'adamMeasured');
  const arrays = ['param', 'grad', 'expAvg', 'expAvgSq'].map((name) => f.param(name, 'i32')) as [Local, Local, Local, Local];
  const bytes = f.param('bytes', 'i32');
  const updateOut = f.param('updateOut', 'i32');
  const locals = adamLocals(f, l2);
  const sums = measuredSums(f, 1);
  overChunks(f, bytes, sums.partials, (offset) => {
    [0, 16].forEach((extra, half) => {
      adamStep(f, arrays, offset, extra, locals);
      addStep(f, sums, half, locals.w, () => loadAt(f, arrays[0], offset, extra), locals.change);
      f.get(arrays[0]).get(offset).op('i32.add').get(locals.w).memory('v128.store', extra);
    });
  }, sums.flush);
  storeSums(f, sums.weights, sums.updates, updateOut, locals.change);
  return f.finish(['f64']);
}

/** The accumulators of a kernel that measures its step: float32 partial sums, float64 totals. */
interface MeasuredSums {
  /** The partial sums of Σw² (`perSum` of them), then those of Σ(Δw)². */
  partials: Local[];
  perSum: number;
  weights: Local[];
  updates: Local[];
  flush: () => void;
}

/**
 * Two partial sums per sum halve the chain of dependent adds in a short loop (SGD). Adam's loop
 * waits on the divider anyway and holds 13 vectors already, so it takes one per sum: with two,
 * and the old θ in a register, it outgrew x64's 16 vector registers and ran slower (~9 %) than
 * the update and a second measuring pass.
 */
function measuredSums(f: FunctionBuilder, perSum: 1 | 2): MeasuredSums {
  const weightPartial = Array.from({ length: perSum }, (_, i) => f.local(`weightPartial${i}`, 'v128'));
  const updatePartial = Array.from({ length: perSum }, (_, i) => f.local(`updatePartial${i}`, 'v128'));
  const weights = [0, 1, 2, 3].map((i) => f.local(`weights${i}`, 'v128'));
  const updates = [0, 1, 2, 3].map((i) => f.local(`updates${i}`, 'v128'));
  for (const acc of [...weights, ...updates]) f.v128Zero().set(acc);
  return {
    partials: [...weightPartial, ...updatePartial], perSum, weights, updates,
    flush: () => widenPartials(f, weightPartial, updatePartial, weights, updates),
  };
}

/**
 * Adds θ after the step (`after`) and the step as stored (after − before, into `delta`) to the
 * half's partial sums; `pushBefore` loads θ before the step, still in memory (the caller stores
 * the new θ after this), so the old value needs no register of its own.
 */
function addStep(f: FunctionBuilder, sums: MeasuredSums, half: number, after: Local, pushBefore: () => void, delta: Local): void {
  f.get(after);
  pushBefore();
  f.op('f32x4.sub').set(delta); // new − old, both float32
  addSquare(f, sums.partials[half % sums.perSum]!, after);
  addSquare(f, sums.partials[sums.perSum + (half % sums.perSum)]!, delta);
}

/**
 * sgdMeasured(param, grad, bytes, updateOut, lr, weightDecay) → f64 (and `sgdMeasuredDecay`):
 * the plain SGD update of `sgd` (`sgdDecay`), in place and in the same float32 operations, that
 * also sums the new weights' squares (returned) and the squares of the steps taken (stored as an
 * f64 at `updateOut`) while both are in registers, chunked as `updateSquares` sums them: a
 * monitor's ‖W‖² and ‖ΔW‖² in the pass that writes the step, instead of a second pass over an
 * out-of-place result.
 */
export function sgdMeasuredFunction(decay: boolean): FunctionDefinition {
  const f = new FunctionBuilder(decay ? 'sgdMeasuredDecay' : 'sgdMeasured');
  const param = f.param('param', 'i32');
  const grad = f.param('grad', 'i32');
  const bytes = f.param('bytes', 'i32');
  const updateOut = f.param('updateOut', 'i32');
  const scalars = sgdScalars(f);
  const sums = measuredSums(f, 2);
  const after = f.local('after', 'v128');
  const delta = f.local('delta', 'v128');
  overChunks(f, bytes, sums.partials, (offset) => {
    [0, 16].forEach((extra, half) => {
      sgdStep(f, param, grad, offset, extra, scalars, decay);
      f.set(after);
      addStep(f, sums, half, after, () => loadAt(f, param, offset, extra), delta);
      f.get(param).get(offset).op('i32.add').get(after).memory('v128.store', extra);
    });
  }, sums.flush);
  storeSums(f, sums.weights, sums.updates, updateOut, after);
  return f.finish(['f64']);
}
