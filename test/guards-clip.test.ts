import { describe, expect, it } from 'vitest';
import { NonFiniteError, Tensor, guards, manualSeed, randn, tensor } from '../src/index.js';
import { expectAllClose } from './helpers.js';

/*
 * The functional clips against PyTorch's rule, written out here from its documentation:
 *   total = ‖(‖g₁‖ₚ, …, ‖gₙ‖ₚ)‖ₚ (max |g| for p = ∞), coef = min(maxNorm / (total + 1e-6), 1).
 */

/** A parameter whose `.grad` holds `values` (float64 so the reference is exact). */
function withGrad(values: number[], shape: number[], name?: string): Tensor {
  const parameter = tensor(new Float64Array(values.length), { shape, requiresGrad: true, dtype: 'float64' });
  parameter.grad = tensor(Float64Array.from(values), { shape, dtype: 'float64' });
  if (name !== undefined) parameter.name = name;
  return parameter;
}

function referenceTotal(grads: number[][], p: number): number {
  if (p === Infinity) return Math.max(...grads.flat().map(Math.abs));
  const norms = grads.map((g) => Math.pow(g.reduce((s, v) => s + Math.pow(Math.abs(v), p), 0), 1 / p));
  return Math.pow(norms.reduce((s, n) => s + Math.pow(n, p), 0), 1 / p);
}

function randomValues(count: number): number[] {
  return Array.from(randn([count], { dtype: 'float64' }).data);
}

describe('clipGradNorm', () => {
  for (const p of [1, 2, 3, Infinity]) {
    it(`matches PyTorch's rule for p = ${p} over parameters of mixed shapes`, () => {
      manualSeed(10 + (p === Infinity ? 0 : p));
      const values = [randomValues(12), randomValues(5), randomValues(1), randomValues(24)];
      const shapes = [[3, 4], [5], [], [2, 3, 4]];
      const parameters = values.map((v, i) => withGrad(v, shapes[i]!));
      const total = referenceTotal(values, p);
      const maxNorm = total / 3;
      const returned = guards.clipGradNorm(parameters, maxNorm, { normType: p });
      expect(returned).toBeCloseTo(total, 10);
      const coef = maxNorm / (total + 1e-6);
      parameters.forEach((parameter, i) => {
        expectAllClose(parameter.grad!.data, values[i]!.map((v) => v * coef), { rtol: 1e-10 });
      });
    });
  }

  it('includes the 1e-6 term: a total of exactly maxNorm is still scaled by maxNorm/(maxNorm+1e-6)', () => {
    const parameter = withGrad([3, 4], [2]); // norm 5
    const returned = guards.clipGradNorm(parameter, 5);
    expect(returned).toBe(5);
    const coef = 5 / (5 + 1e-6);
    expectAllClose(parameter.grad!, [3 * coef, 4 * coef], { rtol: 1e-12 });
    expect(parameter.grad!.data[0]).not.toBe(3);
  });

  it('leaves gradients below the threshold untouched', () => {
    const parameter = withGrad([0.3, 0.4], [2]);
    expect(guards.clipGradNorm(parameter, 1)).toBeCloseTo(0.5, 12);
    expect(Array.from(parameter.grad!.data)).toEqual([0.3, 0.4]);
  });

  it('returns 0 and changes nothing when every gradient is zero', () => {
    const parameter = withGrad([0, 0, 0], [3]);
    expect(guards.clipGradNorm(parameter, 0)).toBe(0);
    expect(Array.from(parameter.grad!.data)).toEqual([0, 0, 0]);
  });

  it('skips parameters without a gradient', () => {
    const noGrad = tensor([1, 2], { requiresGrad: true });
    const parameter = withGrad([6, 8], [2]);
    expect(guards.clipGradNorm([noGrad, parameter], 1)).toBeCloseTo(10, 12);
    expect(noGrad.grad).toBeNull();
    expectAllClose(parameter.grad!, [0.6 / (1 + 1e-7), 0.8 / (1 + 1e-7)], { rtol: 1e-9 });
  });

  it('matches the rule on float32 gradients to float32 precision', () => {
    const parameter = tensor([0, 0, 0], { requiresGrad: true });
    parameter.grad = tensor([1e3, -2e3, 0.5]);
    const total = Math.hypot(1e3, 2e3, 0.5);
    guards.clipGradNorm(parameter, 1);
    const coef = 1 / (total + 1e-6);
    expectAllClose(parameter.grad!, [1e3 * coef, -2e3 * coef, 0.5 * coef], { rtol: 1e-6 });
  });

  it('returns a non-finite total and leaves every gradient as it was (unlike PyTorch, which writes NaN)', () => {
    const bad = withGrad([1, NaN], [2], 'layer.weight');
    const good = withGrad([3, 4], [2], 'layer.bias');
    const total = guards.clipGradNorm([good, bad], 1);
    expect(Number.isNaN(total)).toBe(true);
    expect(Array.from(good.grad!.data)).toEqual([3, 4]);
    expect(Array.from(bad.grad!.data)).toEqual([1, NaN]);
  });

  it('with errorIfNonfinite throws NonFiniteError naming the non-finite parameters and changes nothing', () => {
    const good = withGrad([3, 4], [2], '0.weight');
    const bad = withGrad([Infinity, 1], [2], '2.bias');
    let error: unknown;
    try {
      guards.clipGradNorm([good, bad], 1, { errorIfNonfinite: true });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(NonFiniteError);
    const nonFinite = error as NonFiniteError;
    expect(nonFinite.op).toBe('clipGradNorm');
    expect(nonFinite.message).toContain('2.bias');
    expect(nonFinite.message).not.toContain('0.weight');
    expect(Array.from(good.grad!.data)).toEqual([3, 4]);
    expect(Array.from(bad.grad!.data)).toEqual([Infinity, 1]);
  });

  it('names unnamed parameters by their position', () => {
    const parameters = [withGrad([1], [1]), withGrad([NaN], [1])];
    expect(() => guards.clipGradNorm(parameters, 1, { errorIfNonfinite: true })).toThrow(/parameter 1/);
  });

  it('gives NaN for the ∞-norm when a gradient holds NaN, as torch.max', () => {
    const parameter = withGrad([NaN, 2], [2]);
    expect(Number.isNaN(guards.clipGradNorm(parameter, 1, { normType: Infinity }))).toBe(true);
  });

  it('rejects a norm type below 1 and a negative maxNorm', () => {
    const parameter = withGrad([1], [1]);
    expect(() => guards.clipGradNorm(parameter, 1, { normType: 0.5 })).toThrow(/normType/);
    expect(() => guards.clipGradNorm(parameter, -1)).toThrow(/maxNorm/);
  });
});

describe('clipGradValue', () => {
  it('clamps every element to [-clipValue, clipValue], infinities included, NaN kept', () => {
    const parameter = withGrad([-3, -0.5, 0.2, 7, Infinity, -Infinity, NaN], [7]);
    guards.clipGradValue([parameter], 1);
    expect(Array.from(parameter.grad!.data)).toEqual([-1, -0.5, 0.2, 1, 1, -1, NaN]);
  });

  it('leaves values at the threshold and below unchanged', () => {
    const parameter = withGrad([1, -1, 0.999], [3]);
    guards.clipGradValue(parameter, 1);
    expect(Array.from(parameter.grad!.data)).toEqual([1, -1, 0.999]);
  });
});
