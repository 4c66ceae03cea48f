import { afterEach, describe, expect, it } from 'vitest';
import { Generator, setKernelBackend } from '../src/index.js';
import { adamUpdate, type AdamStep } from '../src/tensor/kernels/optim.js';
import { ELEMENTWISE_WASM_THRESHOLD, tryAdamWasm } from '../src/tensor/wasm/backend.js';
import { adamWasm } from '../src/tensor/wasm/optimizer-updates.js';
import { loadOptimizerKernels, optimizerModuleBytes, type WasmKernels } from '../src/tensor/wasm/runtime.js';
import { expectAllClose } from './helpers.js';

const generator = new Generator(29);

function random(size: number, scale = 1): Float32Array {
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = (generator.uniform() * 2 - 1) * scale;
  return data;
}

function kernels(): WasmKernels {
  const loaded = loadOptimizerKernels();
  if (loaded === undefined) throw new Error('WebAssembly SIMD is expected on Node 20');
  return loaded;
}

/** Adam's scalars at step t, as Adam.update makes them. */
function stepAt(t: number, { lr = 1e-2, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0, decoupled = false } = {}): AdamStep {
  return {
    shrink: decoupled ? 1 - lr * weightDecay : 1,
    l2: decoupled ? 0 : weightDecay,
    keep1: 1 - beta1,
    beta2,
    keep2: 1 - beta2,
    stepSize: lr / (1 - beta1 ** t),
    bias2Sqrt: Math.sqrt(1 - beta2 ** t),
    eps,
  };
}

/** The kernel's update evaluated in float32 arithmetic, one rounding per operation, as the SIMD lanes do. */
function float32Reference(param: Float32Array, grad: Float32Array, expAvg: Float32Array, expAvgSq: Float32Array, step: AdamStep): void {
  const f = Math.fround;
  const s = { shrink: f(step.shrink), l2: f(step.l2), keep1: f(step.keep1), beta2: f(step.beta2), keep2: f(step.keep2), stepSize: f(step.stepSize), bias2Sqrt: f(step.bias2Sqrt), eps: f(step.eps) };
  for (let i = 0; i < param.length; i++) {
    const w = f(param[i]! * s.shrink);
    const g = s.l2 === 0 ? grad[i]! : f(grad[i]! + f(s.l2 * w)); // PyTorch adds no zero decay
    const m = f(expAvg[i]! + f(s.keep1 * f(g - expAvg[i]!)));
    const v = f(f(expAvgSq[i]! * s.beta2) + f(f(s.keep2 * g) * g));
    const denominator = f(f(f(Math.sqrt(v)) / s.bias2Sqrt) + s.eps);
    expAvg[i] = m;
    expAvgSq[i] = v;
    param[i] = f(w - f(f(s.stepSize * m) / denominator));
  }
}

// Lengths around the 4-float vector and the 8-float slot: shorter than a vector, ragged tails, large.
const LENGTHS = [1, 3, 4, 5, 8, 9, 31, 257, 1000, 4099];

afterEach(() => setKernelBackend('auto'));

describe('the Adam update kernel', () => {
  it('computes Adam and AdamW op by op in float32 arithmetic on every length, bit for bit, over several steps', () => {
    const variants = [{}, { weightDecay: 1e-2 }, { weightDecay: 1e-2, decoupled: true, lr: 3e-3 }];
    for (const n of LENGTHS) {
      for (const options of variants) {
        const param = random(n);
        const [expAvg, expAvgSq] = [new Float32Array(n), new Float32Array(n)];
        const [refParam, refExpAvg, refExpAvgSq] = [param.slice(), expAvg.slice(), expAvgSq.slice()];
        for (let t = 1; t <= 3; t++) {
          const grad = random(n, 0.5);
          const gradBefore = grad.slice();
          const measure = (n + t) % 2 === 1; // both ways on every length
          const size = adamWasm(kernels(), param, grad, expAvg, expAvgSq, stepAt(t, options), measure);
          const before = refParam.slice();
          float32Reference(refParam, grad, refExpAvg, refExpAvgSq, stepAt(t, options));
          const label = `length ${n}, step ${t}, ${JSON.stringify(options)}`;
          if (!measure) expect(size).toBeUndefined();
          else {
            // measured: Σw² after the step and Σ(Δw)², from the float32 values as stored
            let weight = 0;
            let update = 0;
            refParam.forEach((w, i) => {
              weight += w * w;
              update += (w - before[i]!) ** 2;
            });
            expectAllClose([size!.weight, size!.update], [weight, update], { rtol: 1e-6, atol: 0, message: `measured, ${label}` });
          }
          expect(Array.from(param), label).toEqual(Array.from(refParam));
          expect(Array.from(expAvg), label).toEqual(Array.from(refExpAvg));
          expect(Array.from(expAvgSq), label).toEqual(Array.from(refExpAvgSq));
          expect(Array.from(grad)).toEqual(Array.from(gradBefore));
        }
      }
    }
  });

  it('measures the step of tiny weights exactly (float32 squares of them are subnormal: the float64 loop takes over)', () => {
    const n = 1000;
    const param = random(n, 1e-22);
    const [expAvg, expAvgSq] = [new Float32Array(n), new Float32Array(n)];
    const [refParam, refExpAvg, refExpAvgSq] = [param.slice(), expAvg.slice(), expAvgSq.slice()];
    const grad = random(n, 0.5);
    const step = stepAt(1, { lr: 1e-27 }); // steps of ~1e-27: squares below float32's smallest
    const size = adamWasm(kernels(), param, grad, expAvg, expAvgSq, step, true)!;
    const before = refParam.slice();
    float32Reference(refParam, grad, refExpAvg, refExpAvgSq, step);
    expect(Array.from(param)).toEqual(Array.from(refParam));
    let weight = 0;
    let update = 0;
    refParam.forEach((w, i) => {
      weight += w * w;
      update += (w - before[i]!) ** 2;
    });
    expect(update).toBeGreaterThan(0);
    expectAllClose([size.weight, size.update], [weight, update], { rtol: 1e-12, atol: 0 });
  });

  it('agrees with the float64 TypeScript loop to float32 rounding', () => {
    const n = 4099;
    const start = random(n);
    const grads = [random(n, 0.3), random(n, 0.3), random(n, 0.3)];
    const run = (backend: 'ts' | 'wasm'): Float32Array[] => {
      setKernelBackend(backend);
      const [param, expAvg, expAvgSq] = [start.slice(), new Float32Array(n), new Float32Array(n)];
      grads.forEach((grad, t) => adamUpdate(param, grad, expAvg, expAvgSq, null, stepAt(t + 1, { weightDecay: 1e-3 })));
      return [param, expAvg, expAvgSq];
    };
    const viaTypeScript = run('ts');
    const viaWasm = run('wasm');
    // why the absolute tolerance: a weight that a step brings near 0 keeps the rounding error of its O(1) operands
    viaWasm.forEach((values, k) => expectAllClose(values, viaTypeScript[k]!, { rtol: 1e-5, atol: 3e-7, message: ['param', 'expAvg', 'expAvgSq'][k]! }));
  });

  it('leaves float64, AMSGrad and lengths below the threshold to TypeScript', () => {
    const step = stepAt(1);
    const f32 = (n: number): Float32Array => new Float32Array(n);
    expect(tryAdamWasm(new Float64Array(4096), new Float64Array(4096), new Float64Array(4096), new Float64Array(4096), step)).toBeUndefined();
    const small = ELEMENTWISE_WASM_THRESHOLD - 1;
    expect(tryAdamWasm(f32(small), f32(small), f32(small), f32(small), step, true)).toBeUndefined();
    setKernelBackend('ts');
    expect(tryAdamWasm(f32(4096), f32(4096), f32(4096), f32(4096), step)).toBeUndefined();
    setKernelBackend('auto');
    expect(tryAdamWasm(f32(4096), f32(4096), f32(4096), f32(4096), step)).toBe('done');
    // AMSGrad keeps its running maximum in TypeScript: the same values whichever backend is chosen
    const n = 4096;
    const start = random(n);
    const grad = random(n, 0.5);
    const withMaximum = (backend: 'ts' | 'auto'): number[] => {
      setKernelBackend(backend);
      const [param, expAvg, expAvgSq, maxExpAvgSq] = [start.slice(), f32(n), f32(n), f32(n)];
      for (let t = 1; t <= 3; t++) adamUpdate(param, grad, expAvg, expAvgSq, maxExpAvgSq, stepAt(t));
      return [...param, ...maxExpAvgSq];
    };
    expect(withMaximum('auto')).toEqual(withMaximum('ts'));
  });

  it('lives in a module of its own that stays under 4 KB, so browsers may compile it synchronously', () => {
    const bytes = optimizerModuleBytes();
    expect(WebAssembly.validate(bytes)).toBe(true);
    expect(bytes.length).toBeLessThan(4096);
  });
});
