import type { StudyResult } from '../../report/model.js';
import { formatNumber } from '../../report/scale.js';
import { SUMMARY_COLUMNS, summaryRows } from '../../report/summary.js';
import { sparkline } from '../sparkline.js';
import { textTable } from '../table.js';

/**
 * Wraps `text` at `width` columns, keeping its own line breaks.
 * @example
 * wrap('a b c', 3); // 'a b\nc'
 */
export function wrap(text: string, width: number, indent = ''): string {
  return text.split('\n').map((paragraph) => {
    const lines: string[] = [];
    let line = '';
    for (const word of paragraph.split(' ')) {
      if (line !== '' && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else line = line === '' ? word : `${line} ${word}`;
    }
    lines.push(line);
    return lines.map((l) => indent + l).join('\n');
  }).join('\n');
}

/** "2.3 → 0.41": the first and last value of a series. */
function range(values: readonly number[]): string {
  if (values.length === 0) return '';
  return `${formatNumber(values[0]!)} → ${formatNumber(values[values.length - 1]!)}`;
}

/**
 * What the study prints at the end: the summary table, sparklines of the loss and the gradient
 * norm of every run (each on its own log scale, × where a value was NaN/Inf, blank after a run stopped),
 * and the diagnosis of the unguarded run in plain words.
 * @example
 * console.log(studySummary(result)); // table, sparklines, diagnosis
 */
export function studySummary(study: StudyResult, options: { color?: boolean; sparkWidth?: number } = {}): string {
  const table = textTable(summaryRows(study.runs), SUMMARY_COLUMNS.map((c) => c.align));
  const width = options.sparkWidth ?? 32;
  const nameWidth = Math.max(...study.runs.map((run) => run.name.length), 5);
  const padded = (values: readonly number[]): Array<number | null> =>
    Array.from({ length: study.config.steps }, (_, i) => values[i] ?? null);
  const spark = study.runs.map((run) => {
    const loss = sparkline(padded(run.steps.map((s) => s.loss)), { width });
    const norm = sparkline(padded(run.steps.map((s) => s.gradNorm)), { width });
    return `${run.name.padEnd(nameWidth)}  ${loss}  ${range(run.steps.map((s) => s.loss)).padEnd(16)}  ${norm}  ${range(run.steps.map((s) => s.gradNorm))}`;
  });
  const header = `${''.padEnd(nameWidth)}  ${'loss (log scale)'.padEnd(width)}  ${'first → last'.padEnd(16)}  ${'‖grad‖ (log scale)'.padEnd(width)}  first → last`;
  const parts = [table, '', header, ...spark];
  const d = study.diagnosis;
  if (d !== null) {
    const title = `Diagnosis of the ${d.run} run: ${d.verdict}`;
    const bold = options.color === true ? `\x1b[1m${title}\x1b[0m` : title;
    parts.push('', bold, wrap(d.summary, 96, '  '));
  }
  return parts.join('\n');
}
