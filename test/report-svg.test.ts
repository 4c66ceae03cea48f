import { describe, expect, it } from 'vitest';
import { barChart } from '../src/report/bar-chart.js';
import { groupSteps, heatMap } from '../src/report/heat-map.js';
import { lineChart } from '../src/report/line-chart.js';
import { formatNumber, linearScale, logScale, niceStep } from '../src/report/scale.js';
import { element, escapeXml, pathData } from '../src/report/svg.js';
import { timeline } from '../src/report/timeline.js';

/** The [x, y] pairs of an SVG path's M/L commands, one array per pen-down piece. */
function pathPieces(d: string): Array<Array<[number, number]>> {
  const pieces: Array<Array<[number, number]>> = [];
  for (const match of d.matchAll(/([ML])(-?[\d.]+) (-?[\d.]+)/g)) {
    const point: [number, number] = [Number(match[2]), Number(match[3])];
    if (match[1] === 'M') pieces.push([point]);
    else pieces[pieces.length - 1]!.push(point);
  }
  return pieces;
}

function attribute(svg: string, selector: RegExp): string[] {
  return [...svg.matchAll(selector)].map((m) => m[1]!);
}

describe('scales', () => {
  it('picks ticks at 1, 2 or 5 times a power of ten that cover the data', () => {
    expect(niceStep(17)).toBe(20);
    expect(niceStep(0.3)).toBe(0.5);
    expect(niceStep(100)).toBe(100);
    expect(linearScale([0, 97], [0, 400]).ticks).toEqual([0, 20, 40, 60, 80, 100]);
    expect(linearScale([0.1, 0.7], [0, 1], 3).ticks).toEqual([0, 0.2, 0.4, 0.6, 0.8]);
  });

  it('maps the ends of a linear domain to the ends of the pixel range', () => {
    const x = linearScale([0, 100], [50, 450]);
    expect(x.at(0)).toBe(50);
    expect(x.at(100)).toBe(450);
    expect(x.at(25)).toBe(150);
  });

  it('spaces decades equally on a log scale and cannot place values ≤ 0 or non-finite', () => {
    const y = logScale([0.03, 250], [300, 0]);
    expect(y.ticks).toEqual([0.01, 0.1, 1, 10, 100, 1000]);
    expect(y.at(1) - y.at(10)).toBeCloseTo(y.at(10) - y.at(100), 9);
    expect(y.at(0.01)).toBe(300);
    expect(y.at(1000)).toBe(0);
    for (const bad of [0, -1, Number.NaN, Infinity]) expect(Number.isNaN(y.at(bad))).toBe(true);
  });

  it('thins log ticks to every other decade when the data spans many', () => {
    const y = logScale([1e-3, 1e30], [0, 1]);
    expect(y.ticks.length).toBeLessThanOrEqual(7);
    expect(y.ticks[0]).toBeLessThanOrEqual(1e-3);
    expect(y.ticks[y.ticks.length - 1]).toBeGreaterThanOrEqual(1e30);
  });

  it('formats numbers short, with exponents far from 1 and words for non-finite values', () => {
    expect(formatNumber(1234.5)).toBe('1235');
    expect(formatNumber(2.345)).toBe('2.35');
    expect(formatNumber(0.012345)).toBe('0.0123');
    expect(formatNumber(1e-7)).toBe('1e-7');
    expect(formatNumber(4.95e33)).toBe('4.95e33');
    expect(formatNumber(Number.NaN)).toBe('NaN');
    expect(formatNumber(-Infinity)).toBe('-Inf');
  });
});

describe('svg writer', () => {
  it('escapes markup in text and attributes', () => {
    expect(escapeXml('<b a="1">&\'')).toBe('&lt;b a=&quot;1&quot;&gt;&amp;&#39;');
    expect(element('text', { 'data-x': '"><script>' }, escapeXml('<x>'))).toBe('<text data-x="&quot;&gt;&lt;script&gt;">&lt;x&gt;</text>');
  });

  it('lifts the pen over points that cannot be placed', () => {
    expect(pathData([[0, 0], [1, Number.NaN], [2, 2], [3, 3]])).toBe('M0 0M2 2L3 3');
    expect(pathData([[0.123, 4.5678], [1, 2]])).toBe('M0.12 4.57L1 2');
  });
});

describe('lineChart', () => {
  const losses = [2.3, 1.1, 0.52, 7.9, 0.25];
  const svg = lineChart({
    id: 'loss', title: 'Loss', xLabel: 'step', yLabel: 'loss', log: true,
    series: [
      { name: 'guarded', color: '#0072b2', points: losses.map((v, i) => [i, v] as const) },
      { name: 'none <unguarded>', color: '#d55e00', points: [[0, 2.3], [1, 40], [2, Infinity], [3, Number.NaN]] },
    ],
  });

  it('draws one path per series whose points are the recorded values on the log axis', () => {
    const paths = attribute(svg, /<path class="series" d="([^"]*)"/g);
    expect(paths).toHaveLength(2);
    const [piece] = pathPieces(paths[0]!);
    expect(piece).toHaveLength(losses.length);
    // x is affine in the step, y affine in log10(loss): recover both maps from two points, check the rest.
    const [x0, y0] = piece![0]!;
    const [x1, y1] = piece![1]!;
    const xPerStep = x1 - x0;
    const yPerDecade = (y1 - y0) / (Math.log10(losses[1]!) - Math.log10(losses[0]!));
    expect(yPerDecade).toBeLessThan(0); // larger values are higher up
    piece!.forEach(([x, y], i) => {
      expect(x).toBeCloseTo(x0 + i * xPerStep, 1);
      expect(y).toBeCloseTo(y0 + yPerDecade * (Math.log10(losses[i]!) - Math.log10(losses[0]!)), 1);
    });
  });

  it('stops a series at its first non-finite value and marks that step with a cross', () => {
    const paths = attribute(svg, /<path class="series" d="([^"]*)"/g);
    const pieces = pathPieces(paths[1]!);
    expect(pieces).toHaveLength(1);
    expect(pieces[0]).toHaveLength(2);
    expect(svg).toContain('none &lt;unguarded&gt;: first non-finite value at step 2');
    expect(svg.match(/class="nonfinite"/g)).toHaveLength(1);
  });

  it('carries the points for the hover script and names every series in the legend', () => {
    const hover = JSON.parse(attribute(svg, /data-hover="([^"]*)"/g)[0]!.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')) as {
      series: Array<{ name: string; x: number[]; y: Array<number | string> }>;
    };
    expect(hover.series[0]!.y).toEqual(losses);
    expect(hover.series[1]!.y).toEqual([2.3, 40, 'Infinity', 'NaN']);
    expect(svg).toContain('>guarded</text>');
    expect(svg).toContain('>none &lt;unguarded&gt;</text>');
  });
});

describe('heatMap', () => {
  it('groups steps into columns and shows each group at its largest value, black for NaN/Inf', () => {
    expect(groupSteps(10, 4)).toEqual([[0, 3], [3, 6], [6, 9], [9, 10]]);
    expect(groupSteps(3, 120)).toEqual([[0, 1], [1, 2], [2, 3]]);
    const svg = heatMap({
      id: 'heat', title: 'norms',
      data: { layers: ['0', '2', '4'], steps: [0, 1, 2, 3], norms: [[1, 2, 3, 4], [10, 20, 30, 40], [100, 1000, Infinity, Number.NaN]] },
      maxColumns: 2,
    });
    const tips = attribute(svg, /<rect [^>]*data-tip="([^"]*)"/g);
    expect(tips).toHaveLength(3 * 2);
    expect(tips).toContain('layer 0 · steps 0–1 · ‖grad‖ 2');
    expect(tips).toContain('layer 2 · steps 2–3 · ‖grad‖ 40');
    expect(tips).toContain('layer 4 · steps 2–3 · ‖grad‖ Inf');
    expect(svg).toMatch(/fill="#111111" data-tip="layer 4 · steps 2–3/);
  });
});

describe('barChart', () => {
  it('draws bars from the baseline up or down on a log axis, and a stub for non-finite values', () => {
    const svg = barChart({
      id: 'amp', title: 'amplification', xLabel: 'block', yLabel: '×', log: true, baseline: 1, categories: ['2+3', '4+5'],
      groups: [{ name: 'none', color: '#d55e00', values: [4, 0.25] }, { name: 'clip', color: '#0072b2', values: [1, Number.NaN] }],
    });
    const bars = [...svg.matchAll(/<rect class="bar[^"]*" x="[^"]*" y="([^"]*)" width="[^"]*" height="([^"]*)"[^>]*data-tip="([^"]*)"/g)];
    expect(bars.map((b) => b[3])).toEqual(['none · 2+3: 4', 'clip · 2+3: 1', 'none · 4+5: 0.25', 'clip · 4+5: NaN']);
    // ×4 and ×0.25 are the same number of decades from 1, so the same height, on opposite sides.
    expect(Number(bars[0]![2])).toBeCloseTo(Number(bars[2]![2]), 1);
    expect(Number(bars[0]![1]) + Number(bars[0]![2])).toBeCloseTo(Number(bars[2]![1]), 1);
    expect(svg).toContain('class="bar nonfinite"');
  });
});

describe('timeline', () => {
  it('draws one mark per event in the row of its run, with its message as hover text', () => {
    const svg = timeline({
      id: 'events', title: 'events', steps: [0, 100],
      rows: [
        { name: 'none', events: [{ step: 40, kind: 'spike', message: 'loss spike: 41' }, { step: 47, kind: 'nonfinite', message: "first NaN/Inf: forward op 'linear' in module 14" }] },
        { name: 'clip', events: [{ step: 3, kind: 'clip', message: 'clipped' }, { step: 9, kind: 'rollback', message: 'restored' }] },
      ],
    });
    expect(svg.match(/class="event /g)).toHaveLength(4);
    expect(svg).toContain("none · step 47 · first NaN/Inf: forward op &#39;linear&#39; in module 14");
    expect(svg).toContain('data-run="clip"');
  });
});
