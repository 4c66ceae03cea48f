import { FunctionBuilder, type Local } from './builder.js';
import type { FunctionDefinition } from './encoder.js';
import { loadAt, sgdScalars, sgdStep } from './elementwise-kernel.js';
import { addSquare, overChunks, storeSums, widenPartials } from './squares-kernel.js';

/*
 * The optimizer module's kernels: updates whose arithmetic is heavy enough (Adam) or whose
 * measurement is worth fusing into them (SGD for a watching monitor) to earn a kernel apiece.
 */

/** The scalars of one Adam step (see `AdamStep`), in the order the kernel takes them (all as float32). */
const ADAM_SCALARS = ['shrink', 'l2', 'keep1', 'beta2', 'keep2', 'stepSize', 'bias2Sqrt', 'eps'] as const;

/**
 * adam(param, grad, expAvg, expAvgSq, out, bytes, shrink, l2, keep1, beta2, keep2, stepSize, bias2Sqrt, eps):
 * one step of torch.optim.Adam / AdamW in float32 arithmetic, op by op as PyTorch's single-tensor
 * update, four lanes at a time; the moments in place, the new weights to `out` (in place when it
 * is `param`, else the old ones stay for `updateSquares` to measure the step):
 *   θ ← θ·shrink (AdamW's 1 − lr·λ, else 1);   g ← ∇ + l2·θ (Adam's coupled decay, else 0)
 *   m ← m + keep1·(g − m);   v ← v·β₂ + (keep2·g)·g;   θ ← θ − (stepSize·m) / (√v / bias2Sqrt + ε)
 * why SIMD pays most here: the square root and the division run on the core's divider, which a
 * scalar float64 loop waits on per element; f32x4.sqrt and f32x4.div do four per instruction.
 */
export function adamFunction(): FunctionDefinition {
  const f = new FunctionBuilder('adam');
  const param = f.param('param', 'i32');
  const grad = f.param('grad', 'i32');
  const expAvg = f.param('expAvg', 'i32');
  const expAvgSq = f.param('expAvgSq', 'i32');
  const out = f.param('out', 'i32');
  const bytes = f.param('bytes', 'i32');
  const scalars = ADAM_SCALARS.map((name) => f.param(name, 'f32'));
  // each scalar splatted once into a vector local: [shrink, l2, …, eps] as four-lane vectors
  const [shrink, l2, keep1, beta2, keep2, stepSize, bias2Sqrt, eps] = scalars.map((scalar, i) => {
    const vector = f.local(`${ADAM_SCALARS[i]}Vector`, 'v128');
    f.get(scalar).op('f32x4.splat').set(vector);
    return vector;
  }) as [Local, Local, Local, Local, Local, Local, Local, Local];
  const w = f.local('w', 'v128');
  const g = f.local('g', 'v128');
  const m = f.local('m', 'v128');
  const v = f.local('v', 'v128');
  const change = f.local('change', 'v128');
  const offset = f.local('offset', 'i32');
  const storeTo = (base: Local, value: Local): void => void f.get(base).get(offset).op('i32.add').get(value).memory('v128.store');
  f.i32(0).set(offset);
  f.whileBelow(offset, bytes, 16, () => {
    loadAt(f, param, offset, 0);
    f.get(shrink).op('f32x4.mul').set(w);
    loadAt(f, grad, offset, 0);
    f.get(l2).get(w).op('f32x4.mul').op('f32x4.add').set(g);
    loadAt(f, expAvg, offset, 0);
    f.set(m);
    f.get(m).get(keep1).get(g).get(m).op('f32x4.sub').op('f32x4.mul').op('f32x4.add').set(m); // lerp, as PyTorch
    storeTo(expAvg, m);
    loadAt(f, expAvgSq, offset, 0);
    f.get(beta2).op('f32x4.mul').get(keep2).get(g).op('f32x4.mul').get(g).op('f32x4.mul').op('f32x4.add').set(v);
    storeTo(expAvgSq, v);
    f.get(stepSize).get(m).op('f32x4.mul'); // stepSize·m
    f.get(v).op('f32x4.sqrt').get(bias2Sqrt).op('f32x4.div').get(eps).op('f32x4.add'); // √v / √(1 − β₂ᵗ) + ε
    f.op('f32x4.div').set(change);
    f.get(w).get(change).op('f32x4.sub').set(w);
    storeTo(out, w);
  });
  return f.finish();
}

/**
 * sgdMeasured(param, grad, bytes, updateOut, lr, weightDecay) → f64: the plain SGD update of
 * `sgd`, in place and in the same float32 operations, that also sums the new weights' squares
 * (returned) and the squares of the steps taken (stored as an f64 at `updateOut`) while both are
 * in registers, chunked as `updateSquares` sums them: a monitor's ‖W‖² and ‖ΔW‖² in the pass
 * that writes the step, instead of a second pass over an out-of-place result.
 */
export function sgdMeasuredFunction(): FunctionDefinition {
  const f = new FunctionBuilder('sgdMeasured');
  const param = f.param('param', 'i32');
  const grad = f.param('grad', 'i32');
  const bytes = f.param('bytes', 'i32');
  const updateOut = f.param('updateOut', 'i32');
  const [lrVector, decayVector] = sgdScalars(f);
  const weightPartial = [0, 1].map((i) => f.local(`weightPartial${i}`, 'v128'));
  const updatePartial = [0, 1].map((i) => f.local(`updatePartial${i}`, 'v128'));
  const weights = [0, 1, 2, 3].map((i) => f.local(`weights${i}`, 'v128'));
  const updates = [0, 1, 2, 3].map((i) => f.local(`updates${i}`, 'v128'));
  const after = f.local('after', 'v128');
  const delta = f.local('delta', 'v128');
  for (const acc of [...weights, ...updates]) f.v128Zero().set(acc);
  overChunks(f, bytes, [...weightPartial, ...updatePartial], (offset) => {
    [0, 16].forEach((extra, half) => {
      sgdStep(f, param, grad, offset, extra, lrVector, decayVector);
      f.set(after);
      f.get(after);
      loadAt(f, param, offset, extra);
      f.op('f32x4.sub').set(delta); // the step as stored: new − old, both float32
      f.get(param).get(offset).op('i32.add').get(after).memory('v128.store', extra);
      addSquare(f, weightPartial[half]!, after);
      addSquare(f, updatePartial[half]!, delta);
    });
  }, () => widenPartials(f, weightPartial, updatePartial, weights, updates));
  storeSums(f, weights, updates, updateOut, after);
  return f.finish(['f64']);
}
