/**
 * The smallest SVG writer that serves the report: elements as strings with escaped attributes,
 * path data with gaps at missing values, and the axis frame every chart shares.
 * Everything returns strings; nothing here touches the DOM, so it runs in Node and in browsers.
 */
import { formatNumber, type Scale } from './scale.js';

/** Attribute values; `undefined` leaves the attribute out. */
export type Attrs = Record<string, string | number | undefined>;

/**
 * Escapes text for use in XML/HTML content and attribute values.
 * @example
 * escapeXml('a < b'); // 'a &lt; b'
 */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/**
 * One element as a string; `children` are already-serialised strings.
 * @example
 * element('circle', { cx: 1, cy: 2, r: 3 }); // '<circle cx="1" cy="2" r="3"/>'
 */
export function element(tag: string, attrs: Attrs = {}, ...children: string[]): string {
  let open = `<${tag}`;
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined) continue;
    open += ` ${name}="${escapeXml(typeof value === 'number' ? px(value) : value)}"`;
  }
  return children.length === 0 ? `${open}/>` : `${open}>${children.join('')}</${tag}>`;
}

/**
 * A text element with escaped content.
 * @example
 * text('loss', { x: 10, y: 20 }); // '<text x="10" y="20">loss</text>'
 */
export function text(content: string, attrs: Attrs = {}): string {
  return element('text', attrs, escapeXml(content));
}

/**
 * Pixel coordinates with two decimals at most, no trailing zeros.
 * @example
 * px(3.14159); // '3.14'
 */
export function px(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/**
 * Path data through the points, lifting the pen over points that cannot be placed (NaN), so a
 * series with missing or non-finite values is drawn as separate pieces.
 * @example
 * pathData([[0, 0], [1, NaN], [2, 2], [3, 3]]); // 'M0 0M2 2L3 3'
 */
export function pathData(points: ReadonlyArray<readonly [number, number]>): string {
  let d = '';
  let penDown = false;
  for (const [x, y] of points) {
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      penDown = false;
      continue;
    }
    d += `${penDown ? 'L' : 'M'}${px(x)} ${px(y)}`;
    penDown = true;
  }
  return d;
}

/** The plot area of a chart inside its SVG. */
export interface Frame {
  readonly width: number;
  readonly height: number;
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}

/**
 * A frame of `width × height` with room for axis labels on the left and at the bottom.
 * @example
 * frame(720, 300).left; // 62
 */
export function frame(width: number, height: number, margins: Partial<{ left: number; right: number; top: number; bottom: number }> = {}): Frame {
  const left = margins.left ?? 62;
  const right = width - (margins.right ?? 16);
  const top = margins.top ?? 12;
  const bottom = height - (margins.bottom ?? 40);
  return { width, height, left, right, top, bottom };
}

/**
 * Grid lines, ticks, tick labels and axis titles of an x/y chart.
 * @example
 * axes(f, linearScale([0, 100], [f.left, f.right]), logScale([0.1, 10], [f.bottom, f.top]), { x: 'step', y: 'loss' });
 */
export function axes(f: Frame, x: Scale, y: Scale, labels: { x: string; y: string }): string {
  const parts: string[] = [];
  for (const tick of y.ticks) {
    const ty = y.at(tick);
    parts.push(element('line', { class: 'grid', x1: f.left, x2: f.right, y1: ty, y2: ty }));
    parts.push(text(formatNumber(tick), { class: 'tick', x: f.left - 6, y: ty + 4, 'text-anchor': 'end' }));
  }
  for (const tick of x.ticks) {
    const tx = x.at(tick);
    parts.push(element('line', { class: 'grid', x1: tx, x2: tx, y1: f.top, y2: f.bottom }));
    parts.push(text(formatNumber(tick), { class: 'tick', x: tx, y: f.bottom + 16, 'text-anchor': 'middle' }));
  }
  parts.push(element('rect', { class: 'plot-border', x: f.left, y: f.top, width: f.right - f.left, height: f.bottom - f.top }));
  parts.push(text(labels.x, { class: 'axis-title', x: (f.left + f.right) / 2, y: f.height - 6, 'text-anchor': 'middle' }));
  const midY = (f.top + f.bottom) / 2;
  parts.push(text(labels.y, { class: 'axis-title', x: 14, y: midY, 'text-anchor': 'middle', transform: `rotate(-90 14 ${px(midY)})` }));
  return element('g', { class: 'axes' }, ...parts);
}

/**
 * An `<svg>` root with a viewBox, scaled by CSS to its container's width.
 * @example
 * svgRoot(frame(200, 100), { id: 'demo' }, element('circle', { cx: 50, cy: 50, r: 10 }));
 */
export function svgRoot(f: Frame, attrs: Attrs, ...children: string[]): string {
  return element(
    'svg',
    { xmlns: 'http://www.w3.org/2000/svg', viewBox: `0 0 ${f.width} ${f.height}`, role: 'img', ...attrs },
    ...children,
  );
}
