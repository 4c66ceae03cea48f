import { afterEach, describe, expect, it } from 'vitest';
import { Generator, Tensor, setKernelBackend } from '../src/index.js';
import { binary } from '../src/tensor/kernels/binary.js';
import { sumAll } from '../src/tensor/kernels/reduce.js';
import { relu, reluBackward, scaleInPlace } from '../src/tensor/kernels/unary.js';
import {
  BINARY_WASM_LIMIT, ELEMENTWISE_WASM_THRESHOLD, SUM_WASM_THRESHOLD, tryBinaryWasm, tryReluBackwardWasm, tryReluWasm, tryScaleWasm, trySgdWasm, trySumWasm,
} from '../src/tensor/wasm/backend.js';
import { binaryWasm, needsExactSums, reluBackwardWasm, reluWasm, sgdWasm, sumWasm } from '../src/tensor/wasm/elementwise.js';
import { sgdUpdate } from '../src/tensor/kernels/optim.js';
import { loadKernels, loadOptimizerKernels, type WasmKernels } from '../src/tensor/wasm/runtime.js';
import { sgdMeasuredWasm } from '../src/tensor/wasm/optimizer-updates.js';
import { expectAllClose } from './helpers.js';

const generator = new Generator(11);

function random(size: number): Float32Array {
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = generator.uniform() * 2 - 1;
  return data;
}

function kernels(): WasmKernels {
  const loaded = loadKernels();
  if (loaded === undefined) throw new Error('WebAssembly SIMD is expected on Node 20');
  return loaded;
}

// Lengths around the 8-float block: empty, shorter than a block, exact blocks, ragged tails, large.
const LENGTHS = [0, 1, 3, 7, 8, 9, 16, 31, 257, 1000, 4099];
/** Relative error allowed for sums of squares from float32 partial sums (each square rounds at ~6e-8). */
const SQUARES_RTOL = 1e-6;

afterEach(() => setKernelBackend('auto'));

describe('WebAssembly SIMD elementwise kernels', () => {
  it('add and mul match the TypeScript kernels exactly on every length', () => {
    setKernelBackend('ts');
    for (const n of LENGTHS) {
      const a = random(n);
      const b = random(n);
      for (const name of ['add', 'mul'] as const) {
        const expected = new Float32Array(n);
        binary(name, a, [n], b, [n], expected, [n]);
        const actual = new Float32Array(n);
        binaryWasm(kernels(), name, a, b, actual);
        expect(Array.from(actual), `${name} length ${n}`).toEqual(Array.from(expected));
      }
    }
  });

  it('relu and its backward match the TypeScript kernels, including kinks, ±0, ±Inf and NaN', () => {
    setKernelBackend('ts');
    const special = [-1, 0, 1, -0, Infinity, -Infinity, NaN, 1e-45, -1e-45];
    for (const n of LENGTHS) {
      const x = random(n);
      x.set(special.slice(0, Math.min(n, special.length)));
      const gradOut = random(n);
      if (n > 2) gradOut[2] = NaN;
      const expected = new Float32Array(n);
      const actual = new Float32Array(n);
      relu(x, expected);
      reluWasm(kernels(), x, actual);
      expectAllClose(actual, expected, { rtol: 0, atol: 0, message: `relu length ${n}` });
      reluBackward(x, gradOut, expected);
      reluBackwardWasm(kernels(), x, gradOut, actual);
      expectAllClose(actual, expected, { rtol: 0, atol: 0, message: `reluBackward length ${n}` });
    }
  });

  it('relu gives relu(0) = 0, relu(NaN) = NaN, a zero gradient at x = 0 and passes the gradient at NaN', () => {
    const x = Float32Array.from([-1, 0, 1, NaN, 2, -3, 0.5, -0.5, 4]);
    const out = new Float32Array(x.length);
    reluWasm(kernels(), x, out);
    expect(Array.from(out)).toEqual([0, 0, 1, NaN, 2, 0, 0.5, 0, 4]);
    reluBackwardWasm(kernels(), x, new Float32Array(x.length).fill(3), out);
    expect(Array.from(out)).toEqual([0, 0, 3, 3, 3, 0, 3, 0, 3]);
  });

  it('sum accumulates in float64 and agrees with the direct float64 sum', () => {
    for (const n of LENGTHS) {
      const x = random(n);
      let direct = 0;
      for (let i = 0; i < n; i++) direct += x[i]!;
      expectAllClose([sumWasm(kernels(), x)], [direct], { rtol: 1e-12, atol: 1e-12, message: `length ${n}` });
      expectAllClose([sumWasm(kernels(), x)], [sumAll(x)], { rtol: 1e-12, atol: 1e-12, message: `length ${n}` });
    }
    // 2^24 + 1 ones: a float32 accumulator would stop at 2^24.
    expect(sumWasm(kernels(), new Float32Array(2 ** 24 + 1).fill(1))).toBe(2 ** 24 + 1);
  });

  it('sum propagates NaN and infinities', () => {
    expect(sumWasm(kernels(), Float32Array.from([1, NaN, 2]))).toBeNaN();
    expect(sumWasm(kernels(), Float32Array.from([1, Infinity, 2]))).toBe(Infinity);
  });
});

describe('elementwise dispatch hooks', () => {
  it('take float32 work at or above the threshold and leave float64 and small work to TypeScript', () => {
    setKernelBackend('auto');
    const n = ELEMENTWISE_WASM_THRESHOLD;
    const a = random(n);
    const b = random(n);
    const out = new Float32Array(n);
    expect(tryBinaryWasm('add', a, b, out)).toBe(true);
    expect(tryReluWasm(a, out)).toBe(true);
    expect(tryReluBackwardWasm(a, b, out)).toBeNull(); // ran, no statistics asked
    expect(trySumWasm(a.subarray(0, SUM_WASM_THRESHOLD - 1))).toBeUndefined();
    expect(trySumWasm(random(SUM_WASM_THRESHOLD))).toBeTypeOf('number');
    expect(tryBinaryWasm('add', a.subarray(0, 4), b.subarray(0, 4), out.subarray(0, 4))).toBe(false);
    expect(tryReluWasm(Float64Array.from(a), new Float64Array(n))).toBe(false);
    expect(trySumWasm(Float64Array.from(a))).toBeUndefined();
  });

  it('leave add and mul above BINARY_WASM_LIMIT to TypeScript, which then gives the same sums', () => {
    setKernelBackend('auto');
    const a = random(BINARY_WASM_LIMIT + 1);
    const b = random(BINARY_WASM_LIMIT + 1);
    const out = new Float32Array(BINARY_WASM_LIMIT + 1);
    expect(tryBinaryWasm('add', a, b, out)).toBe(false);
    expect(tryBinaryWasm('mul', a.subarray(1), b.subarray(1), out.subarray(1))).toBe(true);
    const big = new Tensor(a, [a.length]).add(new Tensor(b, [b.length])).data;
    for (const i of [0, 1, 4095, BINARY_WASM_LIMIT]) expect(big[i]).toBe(Math.fround(a[i]! + b[i]!));
  });

  it("take even tiny float32 work when 'wasm' is forced, and none when 'ts' is forced", () => {
    const a = random(4);
    setKernelBackend('wasm');
    expect(tryReluWasm(a, new Float32Array(4))).toBe(true);
    setKernelBackend('ts');
    expect(tryReluWasm(random(4096), new Float32Array(4096))).toBe(false);
  });
});

describe('TypeScript kernels dispatching to WebAssembly', () => {
  it("binary, relu, reluBackward and sumAll give the TypeScript path's results when the WebAssembly one runs", () => {
    const n = 1031;
    const a = random(n);
    const b = random(n);
    const run = (): Float32Array[] => {
      const outs = [0, 1, 2, 3].map(() => new Float32Array(n));
      binary('add', a, [n], b, [n], outs[0]!, [n]);
      binary('mul', a, [n], b, [n], outs[1]!, [n]);
      relu(a, outs[2]!);
      reluBackward(a, b, outs[3]!);
      return outs;
    };
    setKernelBackend('ts');
    const expected = run();
    const expectedSum = sumAll(a);
    setKernelBackend('wasm');
    const actual = run();
    actual.forEach((out, i) => expect(Array.from(out), `kernel ${i}`).toEqual(Array.from(expected[i]!)));
    expect(sumAll(a)).toBeCloseTo(expectedSum, 10);
  });
});

describe('the SGD update kernel', () => {
  /** θ − lr·(g + λ·θ) evaluated in float32 arithmetic, one rounding per operation, as the SIMD lanes do. */
  function float32Reference(param: Float32Array, grad: Float32Array, lr: number, weightDecay: number): Float32Array {
    const f = Math.fround;
    const decayed = (theta: number, g: number): number => (weightDecay === 0 ? g : f(g + f(f(weightDecay) * theta))); // PyTorch adds no zero decay
    return param.map((theta, i) => f(theta - f(f(lr) * decayed(theta, grad[i]!))));
  }

  /** Σw² after the step and Σ(Δw)² in float64, from the float32 values as stored. */
  function stepSize(after: Float32Array, before: Float32Array): [number, number] {
    let weight = 0;
    let update = 0;
    after.forEach((w, i) => {
      weight += w * w;
      update += (w - before[i]!) ** 2;
    });
    return [weight, update];
  }

  it('computes θ − lr·(g + λ·θ) in float32 arithmetic on every length, bit for bit, measuring the step or not', () => {
    for (const n of LENGTHS) {
      for (const [lr, weightDecay] of [[0.1, 0], [0.03, 1e-2]] as const) {
        const param = random(n);
        const grad = random(n);
        const expected = float32Reference(param, grad, lr, weightDecay);
        const before = param.slice();
        const label = `length ${n}, lr ${lr}, weightDecay ${weightDecay}`;
        if (n % 2 === 0) {
          sgdWasm(kernels(), param, grad, lr, weightDecay);
          expect(Array.from(param), label).toEqual(Array.from(expected));
        } else {
          // the fused kernel of the optimizer module: the same update, and Σw² and Σ(Δw)² in the same pass
          const size = sgdMeasuredWasm(loadOptimizerKernels()!, param, grad, lr, weightDecay);
          expect(Array.from(param), `measured, ${label}`).toEqual(Array.from(expected));
          expectAllClose([size.weight, size.update], stepSize(expected, before), { rtol: SQUARES_RTOL, atol: 0, message: `measured, ${label}` });
        }
      }
    }
  });

  it('agrees with the float64 TypeScript loop to float32 rounding, and leaves the gradient alone', () => {
    const n = 4099;
    const param = random(n);
    const grad = random(n);
    const gradBefore = grad.slice();
    setKernelBackend('ts');
    const viaTypeScript = param.slice();
    sgdUpdate(viaTypeScript, grad, 0.1, 1e-3);
    setKernelBackend('wasm');
    const viaWasm = param.slice();
    expect(trySgdWasm(viaWasm, grad, 0.1, 1e-3, false)).toBe('done');
    expectAllClose(viaWasm, viaTypeScript, { rtol: 1e-6, atol: 1e-7 });
    expect(Array.from(grad)).toEqual(Array.from(gradBefore));
  });

  it('measures a step of huge weights exactly (the float64 loop takes over from the float32 sums)', () => {
    const param = random(1000);
    param[10] = 1e20; // its square overflows float32
    const grad = random(1000);
    const before = param.slice();
    const size = sgdMeasuredWasm(loadOptimizerKernels()!, param, grad, 0.1, 0);
    expect(Number.isFinite(size.weight)).toBe(true);
    expectAllClose([size.weight, size.update], stepSize(param, before), { rtol: 1e-12, atol: 0 });
  });

  it('measures tiny weights and tiny steps exactly, whose squares float32 holds only as subnormals or not at all', () => {
    // weights ~1e-22 (squares ~1e-44, subnormal) with steps ~1e-26 (squares below float32's
    // smallest); no step at all; weights ~1e-13 (normal squares) with steps ~1e-20 (subnormal squares)
    for (const [scale, lr] of [[1e-22, 1e-26], [1e-3, 0], [1e-13, 1e-20]] as const) {
      const param = random(1000).map((v) => v * scale);
      const grad = random(1000);
      const before = param.slice();
      const size = sgdMeasuredWasm(loadOptimizerKernels()!, param, grad, lr, 0);
      expect(Array.from(param)).toEqual(Array.from(float32Reference(before, grad, lr, 0)));
      const [weight, update] = stepSize(param, before);
      expect(weight, `scale ${scale}`).toBeGreaterThan(0);
      expectAllClose([size.weight, size.update], [weight, update], { rtol: SQUARES_RTOL, atol: 0, message: `scale ${scale}, lr ${lr}` });
    }
  });

  it('redoes the float32 sums in float64 exactly when they are not finite or too small to trust', () => {
    expect(needsExactSums(1, 1e-6, 4096)).toBe(false);
    expect(needsExactSums(1, 0, 4096)).toBe(false); // no step at all: exact
    expect(needsExactSums(Infinity, 1, 8)).toBe(true);
    expect(needsExactSums(1, NaN, 8)).toBe(true);
    expect(needsExactSums(4096 * 2 ** -101, 0, 4096)).toBe(true);
    expect(needsExactSums(1, 4096 * 2 ** -101, 4096)).toBe(true);
    expect(needsExactSums(4096 * 2 ** -99, 4096 * 2 ** -99, 4096)).toBe(false);
  });

  it('leaves float64 and lengths below the threshold to TypeScript', () => {
    setKernelBackend('auto');
    expect(trySgdWasm(new Float64Array(4096), new Float64Array(4096), 0.1, 0, false)).toBeUndefined();
    expect(trySgdWasm(new Float32Array(ELEMENTWISE_WASM_THRESHOLD - 1), new Float32Array(ELEMENTWISE_WASM_THRESHOLD - 1), 0.1, 0, true)).toBeUndefined();
    expect(trySgdWasm(new Float32Array(4096), new Float32Array(4095), 0.1, 0, false)).toBeUndefined();
  });
});

describe('the in-place scaling kernel (a clip rescaling a gradient)', () => {
  it('gives the float32 product by the float32 nearest the factor, bit for bit on both paths and every length', () => {
    for (const n of LENGTHS) {
      const x = random(n);
      const factor = 0.123456789;
      const expected = x.map((v) => Math.fround(v * Math.fround(factor)));
      setKernelBackend('wasm');
      const viaWasm = x.slice();
      scaleInPlace(viaWasm, factor);
      setKernelBackend('ts');
      const viaTypeScript = x.slice();
      scaleInPlace(viaTypeScript, factor);
      expect(Array.from(viaWasm), `length ${n}`).toEqual(Array.from(expected));
      expect(Array.from(viaTypeScript), `length ${n}`).toEqual(Array.from(expected));
    }
  });

  it('scales float64 by the factor itself and leaves it to TypeScript; float32 goes to WebAssembly from the threshold', () => {
    setKernelBackend('auto');
    const x64 = Float64Array.from([1, -2, 3]);
    scaleInPlace(x64, 0.1);
    expect(Array.from(x64)).toEqual([0.1, -0.2, 3 * 0.1]);
    expect(tryScaleWasm(new Float64Array(4096), 0.5)).toBe(false);
    expect(tryScaleWasm(new Float32Array(ELEMENTWISE_WASM_THRESHOLD - 1), 0.5)).toBe(false);
    expect(tryScaleWasm(new Float32Array(ELEMENTWISE_WASM_THRESHOLD), 0.5)).toBe(true);
  });
});
