import { formatShape } from '../errors.js';
import type { NodeGradientEvent } from './hooks.js';

/**
 * The rule both the backward NaN trap and anomaly mode use: a node *produced* a non-finite
 * gradient when the gradient that came in was finite but one it sent to an input is not.
 * Nodes that merely pass on an earlier NaN are not producers.
 */
export function isNonFiniteProducer(event: NodeGradientEvent): boolean {
  if (!event.gradOut.finite) return false;
  return event.inputGrads.some((g) => g !== null && !g.finite);
}

/** One sentence for a person: which op, where, the shapes, and the incoming gradient's statistics. */
export function describeProducer(event: NodeGradientEvent): string {
  const where = event.module === undefined ? 'outside any module' : event.module === '' ? 'in the root module' : `in module '${event.module}'`;
  const bad = event.inputGrads
    .map((g, i) => (g !== null && !g.finite ? `input ${i} ${formatShape(event.inputShapes[i]!)} (${g.stats.nonFiniteCount} of ${g.data.length} values)` : null))
    .filter((s) => s !== null)
    .join(', ');
  const stats = event.gradOut.stats;
  return (
    `the vector-Jacobian product produced NaN/Inf from a finite incoming gradient ${where}: ` +
    `non-finite gradient for ${bad}; output shape ${formatShape(event.outputShape)}; ` +
    `incoming gradient norm ${Math.sqrt(stats.sumOfSquares).toExponential(3)}, max |g| ${stats.maxAbs.toExponential(3)}` +
    (stats.maxAbs > 1e30 ? ' (large: likely an overflow)' : ' (moderate: likely 0·Inf, division by 0 or log/sqrt at 0 in the saved values)')
  );
}
