import { NON_FINITE_COLOR } from './colors.js';
import { legend } from './line-chart.js';
import { extentOf, formatNumber, linearScale, logScale } from './scale.js';
import { element, escapeXml, frame, svgRoot, text } from './svg.js';

/** One set of bars (one per category), drawn side by side with the other sets. */
export interface BarGroup {
  readonly name: string;
  readonly color: string;
  readonly values: readonly number[];
}

export interface BarChartOptions {
  readonly id: string;
  readonly title: string;
  readonly categories: readonly string[];
  readonly groups: readonly BarGroup[];
  readonly xLabel: string;
  readonly yLabel: string;
  readonly log: boolean;
  /** Bars grow from this value up or down (1 for ratios on a log axis, 0 on a linear one). */
  readonly baseline: number;
  readonly width?: number;
  readonly height?: number;
}

/**
 * Grouped vertical bars from a baseline, on a linear or log axis; a value that is not finite
 * gets a black stub labelled "NaN/Inf" instead of a bar.
 * @example
 * barChart({ id: 'amp', title: 'Amplification', categories: ['0', '2'], xLabel: 'layer', yLabel: '×',
 *   log: true, baseline: 1, groups: [{ name: 'none', color: '#d55e00', values: [2.1, 1.9] }] });
 */
export function barChart(options: BarChartOptions): string {
  const legendRows = Math.ceil(options.groups.length / 4);
  const f = frame(options.width ?? 720, (options.height ?? 260) + legendRows * 18, { bottom: 40 + legendRows * 18 });
  const values = [options.baseline, ...options.groups.flatMap((g) => g.values)];
  const extent = extentOf(values, options.log) ?? [options.baseline, options.baseline + 1];
  const y = options.log ? logScale(extent, [f.bottom, f.top]) : linearScale(extent, [f.bottom, f.top]);
  const slot = (f.right - f.left) / Math.max(1, options.categories.length);
  const barWidth = (slot * 0.8) / Math.max(1, options.groups.length);
  const bars: string[] = [];
  options.categories.forEach((category, c) => {
    options.groups.forEach((group, g) => {
      const value = group.values[c] ?? Number.NaN;
      const x = f.left + c * slot + slot * 0.1 + g * barWidth;
      bars.push(bar(x, barWidth, value, y.at(value), y.at(options.baseline), f.top, group, category));
    });
  });
  const ticks = y.ticks.map((t) => [
    element('line', { class: 'grid', x1: f.left, x2: f.right, y1: y.at(t), y2: y.at(t) }),
    text(formatNumber(t), { class: 'tick', x: f.left - 6, y: y.at(t) + 4, 'text-anchor': 'end' }),
  ].join(''));
  const labels = options.categories.map((category, c) =>
    text(category, { class: 'tick', x: f.left + (c + 0.5) * slot, y: f.bottom + 16, 'text-anchor': 'middle' }),
  );
  const midY = (f.top + f.bottom) / 2;
  return svgRoot(
    f,
    { id: options.id, class: 'chart bar-chart', 'aria-label': options.title },
    element('title', {}, escapeXml(options.title)),
    element('g', { class: 'axes' }, ...ticks, ...labels,
      element('line', { class: 'baseline', x1: f.left, x2: f.right, y1: y.at(options.baseline), y2: y.at(options.baseline) }),
      text(options.xLabel, { class: 'axis-title', x: (f.left + f.right) / 2, y: f.bottom + 32, 'text-anchor': 'middle' }),
      text(options.yLabel, { class: 'axis-title', x: 14, y: midY, 'text-anchor': 'middle', transform: `rotate(-90 14 ${midY})` })),
    element('g', { class: 'bars' }, ...bars),
    legend(options.groups, f),
  );
}

function bar(x: number, width: number, value: number, valueY: number, baseY: number, top: number, group: BarGroup, category: string): string {
  const tip = `${group.name} · ${category}: ${formatNumber(value)}`;
  if (!Number.isFinite(valueY)) {
    if (Number.isFinite(value)) return ''; // a finite value a log axis cannot place (≤ 0): no bar
    return element('rect', { class: 'bar nonfinite', x, y: top, width: width * 0.9, height: 6, fill: NON_FINITE_COLOR, 'data-tip': tip });
  }
  const y = Math.min(valueY, baseY);
  const height = Math.max(1, Math.abs(baseY - valueY));
  return element('rect', { class: 'bar', x, y, width: width * 0.9, height, fill: group.color, 'data-tip': tip });
}
