import { NON_FINITE_COLOR } from './colors.js';
import type { EventKind, RunEvent } from './model.js';
import { formatNumber, linearScale } from './scale.js';
import { element, escapeXml, frame, px, svgRoot, text, type Attrs } from './svg.js';

/** One row of the timeline: a run and its events. */
export interface TimelineRow {
  readonly name: string;
  readonly events: readonly RunEvent[];
}

export interface TimelineOptions {
  readonly id: string;
  readonly title: string;
  readonly rows: readonly TimelineRow[];
  /** Steps shown: `[first, last]`. */
  readonly steps: readonly [number, number];
  readonly width?: number;
}

/** How each kind of event is drawn, and what the legend calls it. */
const MARKS: Record<EventKind, { color: string; label: string }> = {
  corrupt: { color: '#7a5195', label: 'corrupted' },
  clip: { color: '#56b4e9', label: 'clipped' },
  spike: { color: '#e69f00', label: 'spike' },
  skip: { color: '#999999', label: 'skipped' },
  rollback: { color: '#cc79a7', label: 'rollback' },
  nonfinite: { color: NON_FINITE_COLOR, label: 'first NaN/Inf' },
};

/**
 * The event timeline: one row per run, steps across; clips as thin ticks, corrupted batches as bars, spikes as triangles,
 * skips as squares, rollbacks as diamonds and the first non-finite value as a large cross.
 * @example
 * timeline({ id: 'events', title: 'Events', steps: [0, 100],
 *   rows: [{ name: 'none', events: [{ step: 40, kind: 'nonfinite', message: 'Inf in matmul' }] }] });
 */
export function timeline(options: TimelineOptions): string {
  const rowHeight = 28;
  const f = frame(options.width ?? 720, options.rows.length * rowHeight + 80, { left: 110, bottom: 62 });
  const x = linearScale(options.steps, [f.left, f.right], 8);
  const rows = options.rows.map((row, r) => {
    const cy = f.top + r * rowHeight + rowHeight / 2;
    const marks = [...row.events].sort(byDrawingOrder).map((event) => mark(event, x.at(event.step), cy, row.name));
    return element(
      'g',
      { class: 'timeline-row', 'data-run': row.name },
      element('line', { class: 'grid', x1: f.left, x2: f.right, y1: cy, y2: cy }),
      text(row.name, { class: 'tick', x: f.left - 8, y: cy + 4, 'text-anchor': 'end' }),
      ...marks,
    );
  });
  const rowsBottom = f.top + options.rows.length * rowHeight;
  const ticks = x.ticks.map((t) => text(formatNumber(t), { class: 'tick', x: x.at(t), y: rowsBottom + 16, 'text-anchor': 'middle' }));
  return svgRoot(
    f,
    { id: options.id, class: 'chart timeline', 'aria-label': options.title },
    element('title', {}, escapeXml(options.title)),
    ...rows,
    element('g', { class: 'axes' }, ...ticks, text('step', { class: 'axis-title', x: (f.left + f.right) / 2, y: rowsBottom + 32, 'text-anchor': 'middle' })),
    timelineLegend(f.left, rowsBottom + 52, (f.right - f.left) / 6),
  );
}

// why: frequent clip ticks are drawn first so that rarer, more important marks stay on top.
const ORDER: Record<EventKind, number> = { clip: 0, corrupt: 1, skip: 2, spike: 3, rollback: 4, nonfinite: 5 };
function byDrawingOrder(a: RunEvent, b: RunEvent): number {
  return ORDER[a.kind] - ORDER[b.kind] || a.step - b.step;
}

function mark(event: RunEvent, cx: number, cy: number, run: string): string {
  const tip = `${run} · step ${event.step} · ${event.message}`;
  return shape(event.kind, cx, cy, { class: `event ${event.kind}`, 'data-tip': tip, 'data-step': event.step });
}

function shape(kind: EventKind, cx: number, cy: number, attrs: Attrs): string {
  const { color } = MARKS[kind];
  switch (kind) {
    case 'clip':
      return element('line', { ...attrs, x1: cx, x2: cx, y1: cy - 8, y2: cy + 8, stroke: color, 'stroke-width': 1.5, 'stroke-opacity': 0.6 });
    case 'skip':
      return element('rect', { ...attrs, x: cx - 4, y: cy - 4, width: 8, height: 8, fill: color });
    case 'corrupt':
      return element('rect', { ...attrs, x: cx - 1.5, y: cy - 11, width: 3, height: 22, fill: color, 'fill-opacity': 0.8 });
    case 'spike':
      return element('path', { ...attrs, d: `M${px(cx)} ${px(cy - 7)}L${px(cx + 6)} ${px(cy + 5)}L${px(cx - 6)} ${px(cy + 5)}Z`, fill: color });
    case 'rollback':
      return element('path', { ...attrs, d: `M${px(cx)} ${px(cy - 7)}L${px(cx + 7)} ${px(cy)}L${px(cx)} ${px(cy + 7)}L${px(cx - 7)} ${px(cy)}Z`, fill: color });
    case 'nonfinite':
      return element('path', {
        ...attrs, d: `M${px(cx - 7)} ${px(cy - 7)}L${px(cx + 7)} ${px(cy + 7)}M${px(cx - 7)} ${px(cy + 7)}L${px(cx + 7)} ${px(cy - 7)}`,
        stroke: color, 'stroke-width': 3,
      });
  }
}

function timelineLegend(left: number, y: number, columnWidth: number): string {
  const kinds = Object.keys(MARKS) as EventKind[];
  const items = kinds.map((kind, i) =>
    element('g', { class: 'legend-item' },
      shape(kind, left + i * columnWidth + 8, y - 4, { class: 'legend-mark' }),
      text(MARKS[kind].label, { x: left + i * columnWidth + 20, y })),
  );
  return element('g', { class: 'legend' }, ...items);
}
