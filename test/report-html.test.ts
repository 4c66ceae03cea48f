import { describe, expect, it } from 'vitest';
import { buildReport } from '../src/report/html.js';
import { studyToJSONLines } from '../src/report/jsonl.js';
import type { RunResult, StepRecord, StudyResult } from '../src/report/model.js';

function steps(losses: readonly number[], norms: readonly number[]): StepRecord[] {
  return losses.map((loss, step) => ({ step, loss, gradNorm: norms[step]!, clipScale: 1, skipped: false, rolledBack: false }));
}

function run(id: string, name: string, losses: number[], norms: number[], extra: Partial<RunResult> = {}): RunResult {
  const firstBad = losses.findIndex((v) => !Number.isFinite(v));
  return {
    id, name, setting: `guards.${id}()`, steps: steps(losses, norms), events: [],
    summary: {
      finalLoss: losses[losses.length - 1]!, testAccuracy: firstBad === -1 ? 0.875 : Number.NaN, firstNonFiniteStep: firstBad === -1 ? null : firstBad,
      clippedSteps: 0, skippedSteps: 0, rollbacks: 0, peakGradNorm: Math.max(...norms.filter(Number.isFinite)), wallTimeMs: 1234,
    },
    ...extra,
  };
}

const layerNorms = (scale: number) => ({ layers: ['0', '2', '4'], steps: [0, 1, 2, 3], norms: [[1, 2, 3, 4], [2, 4, 6, 8], [4, 8, 12, 16]].map((row) => row.map((v) => v * scale)) });

const study: StudyResult = {
  title: 'Study <test>',
  version: '9.9.9',
  config: {
    dataset: 'spirals', datasetNote: 'spirals instead of MNIST: package missing', trainSize: 90, testSize: 30, depth: 3, width: 8,
    activation: 'relu', initGain: 1.5, optimizer: 'sgd', lr: 0.1, steps: 4, batchSize: 8, seed: 1,
  },
  runs: [
    run('none', 'none', [2.3, 40, Infinity, Number.NaN], [5, 900, Infinity, Number.NaN], {
      layerNorms: layerNorms(100),
      amplification: [{ module: '2+3', value: 3.5 }, { module: '4', value: 1.2 }],
      events: [{ step: 2, kind: 'nonfinite', message: "first NaN/Inf: forward op 'linear' in module 4", op: 'linear', module: '4' }],
    }),
    run('global-norm', 'global-norm <clip>', [2.3, 1.9, 1.5, 1.2], [5, 6, 4, 3], {
      layerNorms: layerNorms(1),
      amplification: [{ module: '2+3', value: 0.9 }, { module: '4', value: 1.1 }],
      events: [{ step: 1, kind: 'clip', message: 'clipped: gradients scaled by 0.17' }],
    }),
  ],
  diagnosis: { run: 'unguarded', verdict: 'exploding', summary: 'Gradients are exploding: <every> block multiplies by 3.5.' },
  wallTimeMs: 2500,
};

describe('buildReport', () => {
  const html = buildReport(study);

  it('is one self-contained page: no external script, style sheet, image or font', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<link\b/);
    expect(html).not.toMatch(/\bsrc=/);
    expect(html).not.toMatch(/@import|url\(\s*['"]?http/);
    const urls = [...html.matchAll(/https?:\/\/[^\s"'<>)]+/g)].map((m) => m[0]);
    expect(new Set(urls)).toEqual(new Set(['http://www.w3.org/2000/svg']));
  });

  it('contains every chart: loss, gradient norm, two heat maps, amplification bars and the timeline', () => {
    for (const id of ['chart-loss', 'chart-grad-norm', 'chart-heat-none', 'chart-heat-global-norm', 'chart-amplification', 'chart-events']) {
      expect(html).toContain(`id="${id}"`);
    }
  });

  it('draws the heat maps of the unguarded run and of the first guarded run on one colour scale', () => {
    const heat = (id: string) => html.slice(html.indexOf(`id="${id}"`), html.indexOf('</svg>', html.indexOf(`id="${id}"`)));
    const cellsNone = heat('chart-heat-none').match(/<rect class="cell"/g) ?? [];
    expect(cellsNone).toHaveLength(3 * 4);
    // One scale for both maps: the smallest norm (1, guarded) takes the darkest colour, the largest (1600, unguarded) the brightest.
    expect(heat('chart-heat-global-norm')).toContain('fill="#440154" data-tip="layer 0 · step 0 · ‖grad‖ 1"');
    expect(heat('chart-heat-none')).toContain('fill="#fde725" data-tip="layer 4 · step 3 · ‖grad‖ 1600"');
  });

  it('shows the summary table with one row per run, and the diagnosis, escaped', () => {
    const table = html.slice(html.indexOf('<table class="summary"'), html.indexOf('</table>'));
    expect(table.match(/<tr/g)).toHaveLength(3);
    expect(table).toContain('global-norm &lt;clip&gt;');
    expect(table).toContain('<tr class="exploded">');
    expect(table).toContain('step 2');
    expect(table).toContain('87.5%');
    expect(html).toContain('Diagnosis of the unguarded run: exploding');
    expect(html).toContain('Gradients are exploding: &lt;every&gt; block multiplies by 3.5.');
    expect(html).toContain('<title>Study &lt;test&gt;</title>');
    expect(html).toContain('Note: spirals instead of MNIST: package missing');
  });

  it('marks the first non-finite value with its op and module on the timeline', () => {
    expect(html).toContain("none · step 2 · first NaN/Inf: forward op &#39;linear&#39; in module 4");
  });
});

describe('studyToJSONLines', () => {
  it('writes one JSON object per step and run, with non-finite numbers as strings', () => {
    const lines = studyToJSONLines(study).trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(8);
    expect(lines[0]).toEqual({ run: 'none', step: 0, loss: 2.3, gradNorm: 5, clipScale: 1, skipped: false, rolledBack: false, layers: { 0: 100, 2: 200, 4: 400 } });
    expect(lines[2]!.loss).toBe('Infinity');
    expect(lines[3]!.gradNorm).toBe('NaN');
    expect(lines[7]!.run).toBe('global-norm');
  });
});
