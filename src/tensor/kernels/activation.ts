import type { TypedArray } from '../dtype.js';

/*
 * Smooth activations that need special functions: GELU (the exact erf form, PyTorch's default
 * `approximate='none'`) and softplus (the stable form behind binary cross-entropy with logits),
 * with the elementwise products their derivatives need. JavaScript has no Math.erf, so the
 * normal CDF is computed here to about 1e-15.
 */

const TWO_OVER_SQRT_PI = 1.1283791670955126; // 2/√π
const ONE_OVER_SQRT_PI = 0.5641895835477563; // 1/√π
const ONE_OVER_SQRT_2PI = 0.3989422804014327; // 1/√(2π)
const SQRT_HALF = 0.7071067811865476; // 1/√2

/** erf(z) for |z| < 2.5: (2/√π)·e^(−z²)·Σₙ (2z²)ⁿ·z / (1·3·…·(2n+1)); all terms share z's sign, so no cancellation. */
function erfSeries(z: number): number {
  const twoZ2 = 2 * z * z;
  let term = z;
  let sum = z;
  for (let n = 1; n < 200; n++) {
    term *= twoZ2 / (2 * n + 1);
    sum += term;
    if (Math.abs(term) <= Math.abs(sum) * 1e-17) break;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-z * z) * sum;
}

/** erfc(z) for z ≥ 2.5 by its continued fraction e^(−z²)/√π · 1/(z + ½/(z + 1/(z + 3/2/(z + …)))), Lentz's method. */
function erfcContinuedFraction(z: number): number {
  if (z > 27) return 0; // why: e^(−27²) underflows float64
  let f = z;
  let c = z;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    d = 1 / (z + a * d);
    c = z + a / c;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return (ONE_OVER_SQRT_PI * Math.exp(-z * z)) / f;
}

/**
 * Φ(x), the standard normal CDF: ½·(1 + erf(x/√2)), accurate in both tails.
 * @example
 * normalCdf(0); // 0.5
 */
export function normalCdf(x: number): number {
  const z = x * SQRT_HALF;
  if (z > -2.5 && z < 2.5) return 0.5 * (1 + erfSeries(z));
  if (z >= 2.5) return 1 - 0.5 * erfcContinuedFraction(z);
  if (z <= -2.5) return 0.5 * erfcContinuedFraction(-z);
  return z; // NaN
}

/**
 * erf(z), exported for tests and for readers.
 * @example
 * erf(1); // 0.8427007929497149
 */
export function erf(z: number): number {
  return 2 * normalCdf(z / SQRT_HALF) - 1;
}

/** out = x·Φ(x). */
export function gelu(x: TypedArray, out: TypedArray): void {
  for (let i = 0; i < x.length; i++) out[i] = x[i]! * normalCdf(x[i]!);
}

/** out = gradOut · (Φ(x) + x·φ(x)), with φ(x) = e^(−x²/2)/√(2π). */
export function geluBackward(x: TypedArray, gradOut: TypedArray, out: TypedArray): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    out[i] = gradOut[i]! * (normalCdf(v) + v * ONE_OVER_SQRT_2PI * Math.exp(-0.5 * v * v));
  }
}

/** out = log(1 + eˣ). */
export function softplus(x: TypedArray, out: TypedArray): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    // why: max(x, 0) + log(1 + e^(−|x|)) never overflows, and log1p keeps tiny tails exact
    out[i] = Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
  }
}

/** out = gradOut · σ(x), with σ written to stay finite for large |x|. */
export function softplusBackward(x: TypedArray, gradOut: TypedArray, out: TypedArray): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    const sigma = v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v));
    out[i] = gradOut[i]! * sigma;
  }
}
