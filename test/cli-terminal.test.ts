import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../src/cli/files.js';
import { progressView, type Output } from '../src/cli/progress.js';
import { sparkline } from '../src/cli/sparkline.js';
import { stripAnsi, textTable } from '../src/cli/table.js';

function capture(isTTY: boolean): Output & { text: string } {
  const out = { text: '', isTTY, columns: 120, write: (t: string) => (out.text += t) };
  return out;
}

describe('sparkline', () => {
  it('maps decades to evenly spaced blocks on a log scale', () => {
    // log10 values 0, 1, 2, 3 → fractions 0, 1/3, 2/3, 1 of the 8 levels (rounded): levels 0, 2, 5, 7.
    expect(sparkline([1, 10, 100, 1000], { width: 4 })).toBe('▁▃▆█');
  });

  it('shows non-finite values as ×, steps that never ran as blanks, and averages buckets', () => {
    expect(sparkline([1, 2, Number.NaN, null], { width: 4, log: false })).toBe('▁█× ');
    expect(sparkline([1, 3, 5, 7], { width: 2, log: false })).toBe('▁█');
    expect(sparkline([Infinity, Infinity], { width: 2 })).toBe('××');
  });

  it('puts several series on one scale when given a shared extent', () => {
    expect(sparkline([10, 10], { width: 2, extent: [1, 100] })).toBe('▅▅');
  });
});

describe('textTable', () => {
  it('pads columns to their widest cell, numbers right-aligned, with a rule under the header', () => {
    const table = textTable([['guard', 'loss'], ['none', 'NaN'], ['global-norm clip', '0.43']], ['left', 'right']);
    expect(table.split('\n')).toEqual([
      'guard             loss',
      '────────────────  ────',
      'none               NaN',
      'global-norm clip  0.43',
    ]);
  });

  it('measures width without ANSI colour codes', () => {
    expect(stripAnsi('\x1b[1mbold\x1b[0m')).toBe('bold');
    expect(textTable([['\x1b[31mred\x1b[0m', 'x'], ['a', 'y']], ['left', 'left']).split('\n')[2]).toBe('a    y');
  });
});

describe('progressView', () => {
  it('writes plain lines at 0, 25, 50, 75 and 100 % when the output is not a terminal', () => {
    const out = capture(false);
    const view = progressView(out);
    view.start('AGC', 8);
    for (let step = 0; step < 8; step++) view.update({ step, loss: 2 - step / 10, gradNorm: 5 });
    view.finish('finite');
    const lines = out.text.trimEnd().split('\n');
    expect(lines.map((line) => /step +(\d+)\/8/.exec(line)?.[1])).toEqual(['1', '2', '4', '6', '8']);
    expect(lines[4]).toMatch(/^AGC +step 8\/8 +loss +1\.3 +‖grad‖ +5 +\d+ steps\/s  finite$/);
    expect(out.text).not.toContain('\x1b');
  });

  it('redraws one bar in place with ANSI codes on a terminal, and ends it with a newline', () => {
    const out = capture(true);
    const view = progressView(out, { color: true });
    view.start('none', 4);
    for (let step = 0; step < 4; step++) view.update({ step, loss: step === 3 ? Number.NaN : 1, gradNorm: 1 });
    view.finish('NaN/Inf at step 3');
    expect(out.text).toContain('\x1b[2K\r');
    expect(out.text.split('\n')).toHaveLength(2); // one finished line, then nothing
    const last = stripAnsi(out.text.slice(out.text.lastIndexOf('\x1b[2K\r')));
    expect(last).toMatch(/^\r?none +█+ 4\/4 +loss +NaN .*NaN\/Inf at step 3\n$/);
    expect(out.text).toContain('\x1b[31m'); // non-finite figures in red
  });

  it('drops colours but keeps the redraw when asked (NO_COLOR)', () => {
    const out = capture(true);
    const view = progressView(out, { color: false });
    view.start('ZClip', 2);
    view.update({ step: 1, loss: 1, gradNorm: 1 });
    view.finish('finite');
    expect(out.text.replace(/\x1b\[2K\r/g, '')).not.toContain('\x1b');
  });
});

describe('writeFileAtomic', () => {
  it('replaces the file whole and leaves no temporary file behind', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'gradguard-atomic-'));
    const path = join(folder, 'report.html');
    await writeFileAtomic(path, 'old');
    await writeFileAtomic(path, 'new content');
    expect(readFileSync(path, 'utf8')).toBe('new content');
    expect(readdirSync(folder)).toEqual(['report.html']);
  });

  it('writes nothing when the folder does not exist', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'gradguard-atomic-'));
    await expect(writeFileAtomic(join(folder, 'missing', 'r.html'), 'x')).rejects.toThrow(/ENOENT/);
    expect(readdirSync(folder)).toEqual([]);
  });
});
