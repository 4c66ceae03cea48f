import type { StudyResult } from './model.js';

/** A number for JSON: finite numbers as they are, NaN and ±Infinity as the strings 'NaN', 'Infinity', '-Infinity'. */
function jsonNumber(value: number): number | string {
  return Number.isFinite(value) ? value : String(value);
}

/**
 * The per-step metrics of every run as JSON lines: one object per step, with the run's id, the
 * loss, the global gradient norm before clipping, the clip factor, whether the update was skipped
 * or rolled back, and the per-layer gradient norms when the run kept them.
 * Non-finite numbers are written as strings ('NaN', 'Infinity'), since JSON has no literal for them.
 * @example
 * studyToJSONLines(result).split('\n')[0];
 * // '{"run":"none","step":0,"loss":2.31,"gradNorm":41.7,"clipScale":1,"skipped":false,"rolledBack":false,"layers":{…}}'
 */
export function studyToJSONLines(study: StudyResult): string {
  const lines: string[] = [];
  for (const run of study.runs) {
    const norms = run.layerNorms;
    run.steps.forEach((record, i) => {
      const layers = norms === undefined ? undefined : Object.fromEntries(norms.layers.map((layer, l) => [layer, jsonNumber(norms.norms[l]?.[i] ?? Number.NaN)]));
      lines.push(JSON.stringify({
        run: run.id, step: record.step, loss: jsonNumber(record.loss), gradNorm: jsonNumber(record.gradNorm),
        clipScale: jsonNumber(record.clipScale), skipped: record.skipped, rolledBack: record.rolledBack,
        ...(layers === undefined ? {} : { layers }),
      }));
    });
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
