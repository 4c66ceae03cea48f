/**
 * Scales map data values to pixel positions, and pick the tick marks an axis shows.
 * Two kinds: linear (steps, accuracy) and base-10 logarithmic (losses and gradient norms,
 * which span many decades when a run explodes).
 */

/** A map from data values to pixels, with the ticks its axis should show. */
export interface Scale {
  readonly kind: 'linear' | 'log';
  /** Pixel position of `value`; NaN for values the scale cannot place (≤ 0 on a log scale, non-finite). */
  at(value: number): number;
  /** Values at which the axis draws a tick and a label. */
  readonly ticks: readonly number[];
  /** The data interval drawn, after rounding to ticks. */
  readonly domain: readonly [number, number];
}

/**
 * A linear scale from `[min, max]` (widened to round tick values) to pixels `[from, to]`.
 * @example
 * linearScale([0, 97], [0, 400]).ticks; // [0, 20, 40, 60, 80, 100]
 */
export function linearScale(extent: readonly [number, number], range: readonly [number, number], tickCount = 5): Scale {
  let [min, max] = extent;
  if (!(max > min)) {
    min = min - 1;
    max = max + 1;
  }
  const step = niceStep((max - min) / tickCount);
  const lo = Math.floor(min / step) * step;
  const hi = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  for (let i = 0; lo + i * step <= hi + step * 1e-9; i++) ticks.push(roundTo(lo + i * step, step));
  const [from, to] = range;
  const at = (value: number): number => (Number.isFinite(value) ? from + ((value - lo) / (hi - lo)) * (to - from) : Number.NaN);
  return { kind: 'linear', at, ticks, domain: [lo, hi] };
}

/**
 * A base-10 log scale over the decades that contain `[min, max]` (both > 0); ticks at powers of 10,
 * thinned to at most `maxTicks`.
 * @example
 * logScale([0.03, 250], [300, 0]).ticks; // [0.01, 0.1, 1, 10, 100, 1000]
 */
export function logScale(extent: readonly [number, number], range: readonly [number, number], maxTicks = 7): Scale {
  const [min, max] = extent;
  let loExp = Math.floor(Math.log10(min > 0 && Number.isFinite(min) ? min : 1));
  let hiExp = Math.ceil(Math.log10(max > 0 && Number.isFinite(max) ? max : 10));
  if (hiExp <= loExp) hiExp = loExp + 1;
  const stride = Math.max(1, Math.ceil((hiExp - loExp) / (maxTicks - 1)));
  loExp = Math.floor(loExp / stride) * stride;
  hiExp = Math.ceil(hiExp / stride) * stride;
  const ticks: number[] = [];
  for (let e = loExp; e <= hiExp; e += stride) ticks.push(10 ** e);
  const [from, to] = range;
  const at = (value: number): number =>
    value > 0 && Number.isFinite(value) ? from + ((Math.log10(value) - loExp) / (hiExp - loExp)) * (to - from) : Number.NaN;
  return { kind: 'log', at, ticks, domain: [10 ** loExp, 10 ** hiExp] };
}

/**
 * The smallest of 1, 2, 5 × 10ᵏ that is at least `rough`.
 * @example
 * niceStep(17); // 20
 */
export function niceStep(rough: number): number {
  if (!(rough > 0) || !Number.isFinite(rough)) return 1;
  const power = 10 ** Math.floor(Math.log10(rough));
  for (const factor of [1, 2, 5, 10]) {
    if (factor * power >= rough * (1 - 1e-12)) return factor * power;
  }
  return 10 * power;
}

// why: 0.1 + 0.2 must label as 0.3, not 0.30000000000000004.
function roundTo(value: number, step: number): number {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Number(value.toFixed(Math.min(decimals, 20)));
}

/**
 * The finite extent of `values` (positive values only when `positive`), or null when there is none.
 * @example
 * extentOf([3, NaN, -1, 7], true); // [3, 7]
 */
export function extentOf(values: Iterable<number>, positive = false): [number, number] | null {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v) || (positive && v <= 0)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min <= max ? [min, max] : null;
}

/**
 * Formats a number for a tick label or a tooltip: short, with an exponent for very large or small values.
 * @example
 * formatNumber(1234.5); // '1235'
 * formatNumber(1e-7);   // '1e-7'
 */
export function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Inf' : '-Inf';
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e5 || abs < 1e-3) {
    const [mantissa, exponent] = value.toExponential(2).split('e');
    return `${Number(mantissa)}e${Number(exponent)}`;
  }
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 1) return String(Number(value.toFixed(2)));
  return String(Number(value.toPrecision(3)));
}
