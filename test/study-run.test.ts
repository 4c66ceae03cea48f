import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';

/*
 * A tiny study through the real command: a 10-layer ReLU MLP whose weights are 2.5 × He's std
 * (each block multiplies the gradient by ~2.5), trained on spirals for 30 steps without a guard
 * and under two clipping guards.
 */

interface StepLine {
  run: string;
  step: number;
  loss: number | string;
  gradNorm: number | string;
  clipScale: number | string;
  skipped: boolean;
  rolledBack: boolean;
  layers?: Record<string, number | string>;
}

const STEPS = 30;
let folder = '';
let stdout = '';
let code = -1;
let lines: StepLine[] = [];
let html = '';

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'gradguard-study-'));
  code = await main(
    ['study', '--dataset', 'spirals', '--steps', String(STEPS), '--depth', '10', '--width', '16', '--train-size', '150', '--test-size', '60',
      '--batch', '16', '--guards', 'none,global-norm,agc', '--corrupt', 'none', '--init-gain', '2.5', '--out', 'report.html', '--json', 'steps.jsonl'],
    { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: () => true }, cwd: folder },
  );
  lines = readFileSync(join(folder, 'steps.jsonl'), 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as StepLine);
  html = readFileSync(join(folder, 'report.html'), 'utf8');
}, 120_000);

const finite = (v: number | string): v is number => typeof v === 'number' && Number.isFinite(v);
/** The lines of the summary table (after the live progress lines). */
const tableLines = () => stdout.slice(stdout.indexOf('\nguard ')).split('\n');
const ofRun = (run: string) => lines.filter((line) => line.run === run);

describe('gradguard study on a tiny configuration', () => {
  it('finishes with exit code 0 and writes exactly the report and the JSON lines, no temporary file', () => {
    expect(code).toBe(0);
    expect(readdirSync(folder).sort()).toEqual(['report.html', 'steps.jsonl']);
    expect(stdout).toContain(`Report: ${join(folder, 'report.html')}`);
    expect(stdout).toContain(`Per-step metrics (JSON lines): ${join(folder, 'steps.jsonl')}`);
  });

  it('prints plain progress lines (no ANSI codes) when the output is not a terminal', () => {
    expect(stdout).not.toContain('\x1b[');
    expect(stdout).toMatch(/^global-norm clip +step +1\/30 +loss +[\d.e]+ +‖grad‖ +[\d.e]+ +\d+ steps\/s$/m);
    expect(stdout).toMatch(/^global-norm clip +step 30\/30 .* finite$/m);
  });

  it('reports the first non-finite step of the unguarded run, in the table and in the JSON lines', () => {
    const none = ofRun('none');
    const first = none.findIndex((line) => !finite(line.loss) || !finite(line.gradNorm));
    expect(first).toBeGreaterThanOrEqual(0);
    expect(none.length).toBeLessThanOrEqual(STEPS);
    const row = tableLines().find((line) => line.startsWith('none '))!;
    expect(row).toMatch(new RegExp(`^none +NaN +— +step ${none[first]!.step} `));
    expect(stdout).toMatch(/Diagnosis of the unguarded run: exploding/);
  });

  it('keeps the guarded runs finite for every step, and says they clipped', () => {
    for (const run of ['global-norm', 'agc']) {
      const steps = ofRun(run);
      expect(steps.map((line) => line.step)).toEqual(Array.from({ length: STEPS }, (_, i) => i));
      for (const line of steps) {
        expect(finite(line.loss), `${run} step ${line.step}`).toBe(true);
        expect(finite(line.gradNorm), `${run} step ${line.step}`).toBe(true);
      }
    }
    expect(ofRun('global-norm').filter((line) => finite(line.clipScale) && line.clipScale < 1).length).toBeGreaterThan(0);
    const table = tableLines();
    expect(table.find((line) => line.startsWith('global-norm clip '))).toMatch(/^global-norm clip +[\d.e]+ +[\d.]+% +— /);
    expect(table.find((line) => line.startsWith('AGC '))).toMatch(/^AGC +[\d.e]+ +[\d.]+% +— /);
  });

  it('draws each run\'s recorded losses as the points of its path in the loss chart', () => {
    const chart = html.slice(html.indexOf('id="chart-loss"'), html.indexOf('</svg>', html.indexOf('id="chart-loss"')));
    for (const [run, name] of [['none', 'none'], ['global-norm', 'global-norm clip'], ['agc', 'AGC']] as const) {
      const d = new RegExp(`<path class="series" d="([^"]*)" stroke="[^"]*" data-series="${name}"`).exec(chart)![1]!;
      const points = [...d.matchAll(/[ML](-?[\d.]+) (-?[\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])] as const);
      const recorded = ofRun(run).filter((line) => finite(line.loss) && (line.loss as number) > 0);
      expect(points).toHaveLength(recorded.length);
      // x affine in the step and y affine in log10(loss): calibrate on the first and last point, check every one.
      const [a, b] = [recorded[0]!, recorded[recorded.length - 1]!];
      const [pa, pb] = [points[0]!, points[points.length - 1]!];
      recorded.forEach((line, i) => {
        const t = (line.step - a.step) / (b.step - a.step || 1);
        const u = (Math.log10(line.loss as number) - Math.log10(a.loss as number)) / (Math.log10(b.loss as number) - Math.log10(a.loss as number) || 1);
        expect(points[i]![0]).toBeCloseTo(pa[0] + t * (pb[0] - pa[0]), 1);
        if (b.loss !== a.loss) expect(points[i]![1]).toBeCloseTo(pa[1] + u * (pb[1] - pa[1]), 1);
      });
    }
  });

  it('keeps per-layer gradient norms for every step: the heat map and the JSON lines agree on the layers', () => {
    const layers = Object.keys(ofRun('agc')[0]!.layers ?? {});
    expect(layers).toEqual(['0', '2', '4', '6', '8', '10', '12', '14', '16', '18']);
    const heat = html.slice(html.indexOf('id="chart-heat-none"'), html.indexOf('</svg>', html.indexOf('id="chart-heat-none"')));
    expect(heat.match(/<rect class="cell"/g)).toHaveLength(layers.length * ofRun('none').length);
  });
});
