import { NON_FINITE_COLOR, rampColor } from './colors.js';
import type { LayerNorms } from './model.js';
import { formatNumber, linearScale } from './scale.js';
import { element, escapeXml, frame, px, svgRoot, text } from './svg.js';

export interface HeatMapOptions {
  readonly id: string;
  readonly title: string;
  readonly data: LayerNorms;
  /** Colour range in data units (log-spaced); share it between maps that are compared. */
  readonly extent?: readonly [number, number];
  /** Steps are grouped into at most this many columns; each cell shows its group's largest value. */
  readonly maxColumns?: number;
  /** Steps the x axis spans (default: the steps in `data`); a run that stopped early leaves the rest empty, so maps line up. */
  readonly stepCount?: number;
  readonly width?: number;
}

/**
 * A layers × steps heat map of gradient norms on a log colour scale: one row per layer (input
 * layer at the bottom, as gradients flow upward from the loss), black where a norm is NaN/±Inf.
 * @example
 * heatMap({ id: 'heat-none', title: 'unguarded', data: { layers: ['0', '2'], steps: [0, 1], norms: [[1, 2], [3, 4]] } });
 */
export function heatMap(options: HeatMapOptions): string {
  const { layers, steps, norms } = options.data;
  const rowHeight = Math.max(10, Math.min(24, 260 / Math.max(1, layers.length)));
  const f = frame(options.width ?? 720, layers.length * rowHeight + 78, { left: 74, right: 100, bottom: 58 });
  const stepCount = Math.max(options.stepCount ?? 0, steps.length);
  const groups = groupSteps(stepCount, options.maxColumns ?? 120);
  const extent = options.extent ?? layerNormExtent([options.data]);
  const [logMin, logMax] = [Math.log10(extent[0]), Math.log10(extent[1])];
  const toT = (v: number): number => (logMax > logMin ? (Math.log10(v) - logMin) / (logMax - logMin) : 0.5);
  const cellWidth = (f.right - f.left) / Math.max(1, groups.length);
  const cells: string[] = [];
  layers.forEach((layer, row) => {
    const y = f.bottom - (row + 1) * rowHeight;
    groups.forEach(([start, groupEnd], column) => {
      const end = Math.min(groupEnd, steps.length);
      if (start >= end) return; // the run had stopped
      const value = groupMax(norms[row] ?? [], start, end);
      const fill = Number.isFinite(value) ? rampColor(toT(Math.max(value, extent[0]))) : NON_FINITE_COLOR;
      const stepLabel = start === end - 1 ? `step ${steps[start]}` : `steps ${steps[start]}–${steps[end - 1]}`;
      cells.push(element('rect', {
        class: 'cell', x: f.left + column * cellWidth, y, width: cellWidth + 0.3, height: rowHeight - 1, fill,
        'data-tip': `layer ${layer} · ${stepLabel} · ‖grad‖ ${formatNumber(value)}`,
      }));
    });
  });
  return svgRoot(
    f,
    { id: options.id, class: 'chart heat-map', 'aria-label': options.title },
    element('title', {}, escapeXml(options.title)),
    element('g', { class: 'cells' }, ...cells),
    rowLabels(layers, f.left, f.bottom, rowHeight),
    stepAxis(stepCount, f.left, f.right, f.bottom),
    colorBar(f.right + 18, f.top, f.bottom, extent),
  );
}

/**
 * The colour range of several maps, shared so they can be compared: from the 2nd to the 98th
 * percentile of their positive finite norms. A few exploding steps would otherwise take the whole
 * ramp and leave every other cell the same dark colour; cells beyond the range take its end colour.
 * @example
 * layerNormExtent([none.layerNorms, clipped.layerNorms]); // [0.31, 14.8]
 */
export function layerNormExtent(maps: readonly LayerNorms[]): [number, number] {
  const values = maps.flatMap((m) => m.norms.flatMap((row) => row.filter((v) => Number.isFinite(v) && v > 0))).sort((a, b) => a - b);
  if (values.length === 0) return [1e-3, 1];
  const at = (q: number): number => values[Math.min(values.length - 1, Math.floor(q * (values.length - 1)))]!;
  const [lo, hi] = [at(0.02), at(0.98)];
  return hi > lo ? [lo, hi] : [lo / 10, lo * 10];
}

/**
 * Splits `count` steps into at most `maxGroups` consecutive `[start, end)` ranges of equal size.
 * @example
 * groupSteps(10, 4); // [[0, 3], [3, 6], [6, 9], [9, 10]]
 */
export function groupSteps(count: number, maxGroups: number): Array<[number, number]> {
  const size = Math.max(1, Math.ceil(count / maxGroups));
  const groups: Array<[number, number]> = [];
  for (let start = 0; start < count; start += size) groups.push([start, Math.min(count, start + size)]);
  return groups;
}

// why: a spike must stay visible after grouping, so a cell shows its group's worst value; non-finite wins.
function groupMax(values: readonly number[], start: number, end: number): number {
  let max = 0;
  for (let i = start; i < end; i++) {
    const v = values[i] ?? 0;
    if (!Number.isFinite(v)) return v;
    if (v > max) max = v;
  }
  return max;
}

function rowLabels(layers: readonly string[], left: number, bottom: number, rowHeight: number): string {
  const labels = layers.map((layer, row) =>
    text(layer, { class: 'tick', x: left - 6, y: bottom - row * rowHeight - rowHeight / 2 + 3, 'text-anchor': 'end' }),
  );
  const midY = bottom - (layers.length * rowHeight) / 2;
  labels.push(text('layer (input ↓)', { class: 'axis-title', x: 14, y: midY, 'text-anchor': 'middle', transform: `rotate(-90 14 ${px(midY)})` }));
  return element('g', { class: 'row-labels' }, ...labels);
}

function stepAxis(stepCount: number, left: number, right: number, bottom: number): string {
  // why: cells divide [0, stepCount) exactly, so ticks use that interval, not the scale's rounded-out domain.
  const ticks = linearScale([0, stepCount], [left, right], 8).ticks.filter((t) => t <= stepCount);
  const at = (t: number): number => left + (t / Math.max(1, stepCount)) * (right - left);
  const marks = ticks.map((t) => text(formatNumber(t), { class: 'tick', x: at(t), y: bottom + 16, 'text-anchor': 'middle' }));
  marks.push(text('step', { class: 'axis-title', x: (left + right) / 2, y: bottom + 34, 'text-anchor': 'middle' }));
  return element('g', { class: 'step-axis' }, ...marks);
}

/** A vertical colour bar with labelled decades, and the black swatch for NaN/Inf. */
function colorBar(x: number, top: number, bottom: number, extent: readonly [number, number]): string {
  const stops = Array.from({ length: 9 }, (_, i) => element('stop', { offset: `${i * 12.5}%`, 'stop-color': rampColor(1 - i / 8) }));
  const id = `ramp-${Math.round(x)}-${Math.round(bottom)}`;
  const height = Math.max(20, bottom - top - 22);
  const labels = [extent[1], Math.sqrt(extent[0] * extent[1]), extent[0]].map((v, i) =>
    text(`${i === 0 ? '≥ ' : i === 2 ? '≤ ' : ''}${formatNumber(v)}`, { class: 'tick', x: x + 16, y: top + 4 + (i * height) / 2, 'text-anchor': 'start' }),
  );
  return element(
    'g',
    { class: 'color-bar' },
    element('defs', {}, element('linearGradient', { id, x1: 0, x2: 0, y1: 0, y2: 1 }, ...stops)),
    element('rect', { x, y: top, width: 12, height, fill: `url(#${id})` }),
    ...labels,
    element('rect', { x, y: top + height + 8, width: 12, height: 10, fill: NON_FINITE_COLOR }),
    text('NaN/Inf', { class: 'tick', x: x + 16, y: top + height + 17, 'text-anchor': 'start' }),
  );
}
