import { NON_FINITE_COLOR } from './colors.js';
import { extentOf, linearScale, logScale, type Scale } from './scale.js';
import { axes, element, escapeXml, frame, pathData, px, svgRoot, text, type Frame } from './svg.js';

/** One line of a chart: points in data units, drawn in `color`. */
export interface LineSeries {
  readonly name: string;
  readonly color: string;
  readonly points: ReadonlyArray<readonly [number, number]>;
}

export interface LineChartOptions {
  /** Element id, also used by the page's hover script and by tests. */
  readonly id: string;
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  /** Base-10 log y axis (values ≤ 0 cannot be placed and leave a gap). */
  readonly log: boolean;
  readonly series: readonly LineSeries[];
  readonly width?: number;
  readonly height?: number;
}

/**
 * A line chart as an SVG string: axes with ticks, one path per series (broken where a value
 * cannot be drawn), a cross at the first non-finite value of each series, and a legend.
 * The points also travel in `data-hover`, so the page's script can show values under the mouse.
 * @example
 * lineChart({ id: 'loss', title: 'Loss', xLabel: 'step', yLabel: 'loss', log: true,
 *   series: [{ name: 'none', color: '#d55e00', points: [[0, 2.3], [1, 1.9]] }] });
 */
export function lineChart(options: LineChartOptions): string {
  const legendRows = Math.ceil(options.series.length / 4);
  const f = frame(options.width ?? 720, (options.height ?? 300) + legendRows * 18, { bottom: 40 + legendRows * 18 });
  const xs = options.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = options.series.flatMap((s) => s.points.map((p) => p[1]));
  const xExtent = extentOf(xs) ?? [0, 1];
  const yExtent = extentOf(ys, options.log) ?? (options.log ? [0.1, 10] : [0, 1]);
  const x = linearScale(xExtent, [f.left, f.right], 8);
  const y = options.log ? logScale(yExtent, [f.bottom, f.top]) : linearScale(yExtent, [f.bottom, f.top]);
  const lines = options.series.map((s) =>
    element('path', {
      class: 'series',
      d: pathData(s.points.map(([px0, py]) => [x.at(px0), y.at(py)])),
      stroke: s.color,
      'data-series': s.name,
    }),
  );
  const crosses = options.series.map((s) => nonFiniteCross(s, x, f)).filter((c) => c !== '');
  return svgRoot(
    f,
    { id: options.id, class: 'chart line-chart', 'aria-label': options.title, 'data-hover': hoverData(options.series, x, f) },
    element('title', {}, escapeXml(options.title)),
    axes(f, x, y, { x: options.xLabel, y: options.yLabel }),
    element('g', { class: 'lines' }, ...lines),
    element('g', { class: 'nonfinite-marks' }, ...crosses),
    legend(options.series, f),
    element('line', { class: 'crosshair', x1: f.left, x2: f.left, y1: f.top, y2: f.bottom, visibility: 'hidden' }),
  );
}

/** A ✕ at the top of the plot above the first point whose value is NaN or ±Inf. */
function nonFiniteCross(series: LineSeries, x: Scale, f: Frame): string {
  const first = series.points.find(([, value]) => !Number.isFinite(value));
  if (first === undefined) return '';
  const cx = x.at(first[0]);
  const cy = f.top + 8;
  const label = `${series.name}: first non-finite value at step ${first[0]}`;
  return element(
    'g',
    { class: 'nonfinite', 'data-tip': label },
    element('title', {}, escapeXml(label)),
    element('path', { d: `M${px(cx - 5)} ${px(cy - 5)}L${px(cx + 5)} ${px(cy + 5)}M${px(cx - 5)} ${px(cy + 5)}L${px(cx + 5)} ${px(cy - 5)}`, stroke: series.color, 'stroke-width': 2.5 }),
    element('line', { x1: cx, x2: cx, y1: cy + 6, y2: f.bottom, stroke: NON_FINITE_COLOR, 'stroke-dasharray': '2 3', 'stroke-width': 0.8 }),
  );
}

/**
 * Legend rows under the plot: a swatch and the series name, four to a row.
 * @example
 * legend([{ name: 'none', color: '#d55e00' }], frame(720, 300));
 */
export function legend(series: ReadonlyArray<{ name: string; color: string }>, f: Frame): string {
  const columnWidth = (f.right - f.left) / 4;
  const items = series.map((s, i) => {
    const lx = f.left + (i % 4) * columnWidth;
    const ly = f.bottom + 38 + Math.floor(i / 4) * 18;
    return element(
      'g',
      { class: 'legend-item' },
      element('rect', { x: lx, y: ly - 9, width: 14, height: 4, fill: s.color }),
      text(s.name, { x: lx + 20, y: ly - 3 }),
    );
  });
  return element('g', { class: 'legend' }, ...items);
}

/** The numbers the hover script needs: plot edges, x domain and every series' points. */
function hoverData(series: readonly LineSeries[], x: Scale, f: Frame): string {
  const finiteOrText = (v: number): number | string => (Number.isFinite(v) ? Number(v.toPrecision(5)) : String(v));
  return JSON.stringify({
    left: f.left,
    right: f.right,
    domain: x.domain,
    series: series.map((s) => ({
      name: s.name,
      color: s.color,
      x: s.points.map((p) => p[0]),
      y: s.points.map((p) => finiteOrText(p[1])),
    })),
  });
}
