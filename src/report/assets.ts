/**
 * The report's inline style sheet and its one small script. The page is complete without the
 * script; with it, hovering a chart shows the values under the mouse.
 */

export const REPORT_CSS = `
:root { --ink: #1d2330; --muted: #5b6475; --line: #e3e6ec; --bg: #ffffff; --panel: #f7f8fa; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 980px; margin: 0 auto; padding: 28px 24px 60px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 36px 0 6px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
p.lede, .caption { color: var(--muted); margin: 4px 0 12px; }
code { font: 13px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--panel); padding: 1px 4px; border-radius: 3px; }
.config { display: grid; grid-template-columns: repeat(auto-fill, minmax(210px, 1fr)); gap: 4px 18px; background: var(--panel); padding: 12px 16px; border-radius: 6px; font-size: 14px; }
.config b { font-weight: 600; }
.diagnosis { border-left: 4px solid #d55e00; background: #fff6f0; padding: 10px 16px; border-radius: 0 6px 6px 0; white-space: pre-wrap; }
.diagnosis.healthy { border-color: #009e73; background: #f0fbf6; }
table.summary { border-collapse: collapse; width: 100%; font-size: 14px; font-variant-numeric: tabular-nums; }
table.summary th, table.summary td { padding: 5px 8px; border-bottom: 1px solid var(--line); }
table.summary th { text-align: right; color: var(--muted); font-weight: 600; }
table.summary td { text-align: right; }
table.summary th:first-child, table.summary td:first-child { text-align: left; }
table.summary tr.exploded td { color: #b03a00; }
table.summary td .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; }
figure { margin: 8px 0 0; }
svg.chart { width: 100%; height: auto; display: block; font-size: 11px; }
svg .grid { stroke: var(--line); stroke-width: 1; }
svg .plot-border { fill: none; stroke: #c8cdd6; }
svg .tick { fill: var(--muted); }
svg .axis-title { fill: var(--ink); font-size: 12px; }
svg .series { fill: none; stroke-width: 1.6; stroke-linejoin: round; }
svg .baseline { stroke: var(--ink); stroke-width: 1; }
svg .legend text { fill: var(--ink); font-size: 12px; }
svg .crosshair { stroke: #8a93a3; stroke-dasharray: 3 3; }
.heat-maps { display: grid; grid-template-columns: 1fr; gap: 10px; }
.tooltip { position: fixed; pointer-events: none; background: rgba(29, 35, 48, 0.94); color: #fff; font-size: 12px; padding: 6px 9px; border-radius: 5px; max-width: 360px; z-index: 10; display: none; }
.tooltip .row { display: flex; gap: 6px; align-items: center; white-space: nowrap; }
.tooltip .dot { width: 8px; height: 8px; border-radius: 50%; display: inline-block; }
footer { margin-top: 40px; color: var(--muted); font-size: 13px; }
`;

/** Hover values: `data-tip` elements show their text; line charts show every series at the step under the mouse. */
export const REPORT_SCRIPT = `
(function () {
  var tip = document.createElement('div');
  tip.className = 'tooltip';
  document.body.appendChild(tip);
  var cache = new WeakMap();
  function place(ev) {
    tip.style.display = 'block';
    var x = Math.min(ev.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
    tip.style.left = x + 'px';
    tip.style.top = (ev.clientY + 14) + 'px';
  }
  function hide() {
    tip.style.display = 'none';
    document.querySelectorAll('.crosshair').forEach(function (line) { line.setAttribute('visibility', 'hidden'); });
  }
  function row(color, label) {
    var div = document.createElement('div');
    div.className = 'row';
    if (color) { var dot = document.createElement('span'); dot.className = 'dot'; dot.style.background = color; div.appendChild(dot); }
    div.appendChild(document.createTextNode(label));
    return div;
  }
  function nearest(xs, x) {
    var lo = 0, hi = xs.length - 1;
    while (hi - lo > 1) { var mid = (lo + hi) >> 1; if (xs[mid] < x) lo = mid; else hi = mid; }
    return Math.abs(xs[lo] - x) <= Math.abs(xs[hi] - x) ? lo : hi;
  }
  function lineHover(svg, ev) {
    var data = cache.get(svg);
    if (!data) { data = JSON.parse(svg.getAttribute('data-hover')); cache.set(svg, data); }
    var point = svg.createSVGPoint();
    point.x = ev.clientX; point.y = ev.clientY;
    var p = point.matrixTransform(svg.getScreenCTM().inverse());
    if (p.x < data.left || p.x > data.right) { hide(); return; }
    var step = data.domain[0] + (p.x - data.left) / (data.right - data.left) * (data.domain[1] - data.domain[0]);
    tip.textContent = '';
    var shown = null;
    data.series.forEach(function (s) {
      if (s.x.length === 0) return;
      var i = nearest(s.x, step);
      if (shown === null) { shown = s.x[i]; tip.appendChild(row(null, 'step ' + shown)); }
      tip.appendChild(row(s.color, s.name + ': ' + s.y[i]));
    });
    if (shown === null) { hide(); return; }
    var cx = data.left + (shown - data.domain[0]) / (data.domain[1] - data.domain[0]) * (data.right - data.left);
    var line = svg.querySelector('.crosshair');
    line.setAttribute('x1', cx); line.setAttribute('x2', cx); line.setAttribute('visibility', 'visible');
    place(ev);
  }
  document.addEventListener('mousemove', function (ev) {
    var target = ev.target;
    if (!(target instanceof Element)) { hide(); return; }
    var withTip = target.closest('[data-tip]');
    if (withTip) { tip.textContent = withTip.getAttribute('data-tip'); place(ev); return; }
    var chart = target.closest('svg[data-hover]');
    if (chart) { lineHover(chart, ev); return; }
    hide();
  });
  document.addEventListener('mouseleave', hide);
})();
`;
