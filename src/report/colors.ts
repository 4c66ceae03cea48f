/** Colours of the report: one per run, and a ramp for heat maps and graph nodes. */

/** Distinct line colours, chosen to stay apart for the usual kinds of colour blindness (Okabe–Ito). */
export const PALETTE = ['#d55e00', '#0072b2', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#7a5195', '#333333'] as const;

/**
 * The colour of the `index`-th series.
 * @example
 * seriesColor(0); // '#d55e00'
 */
export function seriesColor(index: number): string {
  return PALETTE[index % PALETTE.length]!;
}

/** Colour of values that are NaN or ±Inf, wherever they are drawn. */
export const NON_FINITE_COLOR = '#111111';

// why: a perceptually ordered ramp (viridis, sampled at 7 stops) reads correctly as "more" from dark to light.
const RAMP: ReadonlyArray<readonly [number, number, number]> = [
  [68, 1, 84], [68, 57, 131], [49, 104, 142], [33, 145, 140], [53, 183, 121], [144, 215, 67], [253, 231, 37],
];

/**
 * The ramp colour at `t` in [0, 1] (clamped), as `#rrggbb`.
 * @example
 * rampColor(0); // '#440154'
 */
export function rampColor(t: number): string {
  const clamped = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 1;
  const position = clamped * (RAMP.length - 1);
  const index = Math.min(RAMP.length - 2, Math.floor(position));
  const frac = position - index;
  const a = RAMP[index]!;
  const b = RAMP[index + 1]!;
  const mix = (k: 0 | 1 | 2): string =>
    Math.round(a[k] + (b[k] - a[k]) * frac).toString(16).padStart(2, '0');
  return `#${mix(0)}${mix(1)}${mix(2)}`;
}

/**
 * Text colour that stays readable on a ramp colour at `t`.
 * @example
 * inkOnRamp(0.9); // '#111111'
 */
export function inkOnRamp(t: number): string {
  return t > 0.55 ? '#111111' : '#ffffff';
}
