/**
 * Terminal sparklines: a series squeezed into a few block characters, on a log scale for
 * losses and gradient norms. Non-finite values show as `×`, so "where it blew up" is visible.
 */

const BLOCKS = '▁▂▃▄▅▆▇█';

/** Options of `sparkline`. */
export interface SparklineOptions {
  /** Characters wide (the series is split into this many buckets, each shown by its mean). */
  readonly width?: number;
  /** Log scale (values ≤ 0 are treated as missing). Default true. */
  readonly log?: boolean;
  /** Shared `[min, max]`, so several sparklines can be compared; default the series' own range. */
  readonly extent?: readonly [number, number];
}

/**
 * One line of block characters for `values`; `null` marks a step that did not happen (blank).
 * @example
 * sparkline([1, 10, 100, 1000], { width: 4 }); // '▁▃▆█'
 * sparkline([1, 2, NaN, null], { width: 4, log: false }); // '▁█× '
 */
export function sparkline(values: ReadonlyArray<number | null>, options: SparklineOptions = {}): string {
  const log = options.log ?? true;
  const width = Math.max(1, Math.min(options.width ?? 40, values.length));
  const transform = (v: number): number => (log ? (v > 0 ? Math.log10(v) : Number.NaN) : v);
  const buckets = bucketMeans(values, width, transform);
  const extent = options.extent === undefined ? finiteExtent(buckets) : [transform(options.extent[0]), transform(options.extent[1])] as const;
  if (extent === null) return '×'.repeat(buckets.length);
  const [lo, hi] = extent;
  return buckets
    .map((b) => {
      if (b === null) return '×';
      if (Number.isNaN(b)) return ' ';
      const t = hi > lo ? (b - lo) / (hi - lo) : 0.5;
      return BLOCKS[Math.min(BLOCKS.length - 1, Math.max(0, Math.round(t * (BLOCKS.length - 1))))]!;
    })
    .join('');
}

/** Mean of each bucket after `transform`; null for a bucket holding a non-finite value, NaN for one with no value. */
function bucketMeans(values: ReadonlyArray<number | null>, width: number, transform: (v: number) => number): Array<number | null> {
  const buckets: Array<number | null> = [];
  for (let b = 0; b < width; b++) {
    const start = Math.floor((b * values.length) / width);
    const end = Math.floor(((b + 1) * values.length) / width);
    let sum = 0;
    let count = 0;
    let nonFinite = false;
    for (let i = start; i < end; i++) {
      const v = values[i] ?? null;
      if (v === null) continue;
      if (!Number.isFinite(v)) nonFinite = true;
      const t = transform(v);
      if (Number.isFinite(t)) {
        sum += t;
        count++;
      }
    }
    buckets.push(nonFinite ? null : count === 0 ? Number.NaN : sum / count);
  }
  return buckets;
}

function finiteExtent(values: ReadonlyArray<number | null>): readonly [number, number] | null {
  const finite = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return finite.length === 0 ? null : [Math.min(...finite), Math.max(...finite)];
}
