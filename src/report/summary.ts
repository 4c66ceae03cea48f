import type { RunResult } from './model.js';
import { formatNumber } from './scale.js';

/** One column of the summary table, shared by the terminal and the HTML report. */
export interface SummaryColumn {
  readonly header: string;
  /** Right-align (numbers) or left-align (names). */
  readonly align: 'left' | 'right';
  readonly cell: (run: RunResult) => string;
}

/** The columns of the summary table, in order. */
export const SUMMARY_COLUMNS: readonly SummaryColumn[] = [
  { header: 'guard', align: 'left', cell: (run) => run.name },
  { header: 'final loss', align: 'right', cell: (run) => formatNumber(run.summary.finalLoss) },
  { header: 'test acc', align: 'right', cell: (run) => formatPercent(run.summary.testAccuracy) },
  { header: 'first NaN/Inf', align: 'right', cell: (run) => (run.summary.firstNonFiniteStep === null ? '—' : `step ${run.summary.firstNonFiniteStep}`) },
  { header: 'clipped', align: 'right', cell: (run) => String(run.summary.clippedSteps) },
  { header: 'skipped', align: 'right', cell: (run) => String(run.summary.skippedSteps) },
  { header: 'rollbacks', align: 'right', cell: (run) => String(run.summary.rollbacks) },
  { header: 'peak ‖grad‖', align: 'right', cell: (run) => formatNumber(run.summary.peakGradNorm) },
  { header: 'time', align: 'right', cell: (run) => formatSeconds(run.summary.wallTimeMs) },
];

/**
 * A fraction as a percentage with one decimal; '—' when it is not a number.
 * @example
 * formatPercent(0.9123); // '91.2%'
 */
export function formatPercent(fraction: number): string {
  return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(1)}%` : '—';
}

/**
 * Milliseconds as seconds with one decimal.
 * @example
 * formatSeconds(8421); // '8.4 s'
 */
export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * The table as rows of cells, header first.
 * @example
 * summaryRows(result.runs)[0]; // ['guard', 'final loss', 'test acc', …]
 */
export function summaryRows(runs: readonly RunResult[]): string[][] {
  return [SUMMARY_COLUMNS.map((c) => c.header), ...runs.map((run) => SUMMARY_COLUMNS.map((c) => c.cell(run)))];
}
