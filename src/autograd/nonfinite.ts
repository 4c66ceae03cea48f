import { formatShape } from '../errors.js';
import { describeModule } from './graph.js';
import type { GradientView, NodeGradientEvent } from './hooks.js';

/**
 * The rule both the backward NaN trap and anomaly mode use: a node *produced* a non-finite
 * gradient when the gradient that came in was finite but one it sent to an input is not.
 * Nodes that merely pass on an earlier NaN are not producers. Takes the views themselves, so the
 * engine can ask before it builds an event.
 */
export function producesNonFinite(gradOut: GradientView, inputGrads: ReadonlyArray<GradientView | null>): boolean {
  if (!gradOut.finite) return false;
  for (let i = 0; i < inputGrads.length; i++) {
    const grad = inputGrads[i];
    if (grad !== null && grad !== undefined && !grad.finite) return true;
  }
  return false;
}

/** One sentence for a person: which op, where, the shapes, and the incoming gradient's statistics. */
export function describeProducer(event: NodeGradientEvent): string {
  const where = describeModule(event.module);
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

// The directory this library's sources live in, found from this module's own stack frame, so
// that a creation stack can be searched for the first frame that belongs to the user's code.
const libraryRoot: string | undefined = /([^\s(]*?)autograd[\\/]nonfinite\.[cm]?[jt]s/.exec(new Error().stack ?? '')?.[1];

/** Frames kept in a creation stack: deep enough to get past nested modules to the user's line. */
const CREATION_STACK_FRAMES = 64;

/**
 * The current call stack as an Error whose `.stack` is formatted on first read, for anomaly
 * mode's creation stacks. V8 keeps 10 frames by default, which nested modules
 * (`Sequential` → `Linear` → `linear` → `apply`) can use up before reaching the user's line.
 */
export function captureTrace(): Error {
  const previous = Error.stackTraceLimit;
  Error.stackTraceLimit = CREATION_STACK_FRAMES;
  try {
    return new Error('created here');
  } finally {
    Error.stackTraceLimit = previous;
  }
}

/**
 * The first frame of a creation stack outside gradguard's own files: the user's line that
 * created the op (`"at train (/app/train.ts:42:17)"`), or undefined when there is none.
 */
export function creationSite(stack: string | undefined): string | undefined {
  if (stack === undefined) return undefined;
  const frames = stack.split('\n').filter((line) => line.trimStart().startsWith('at '));
  const user = frames.find((line) => libraryRoot === undefined || !line.includes(libraryRoot));
  return user?.trim();
}

/** `"; created at <user frame>"` for an error message, or '' when the stack is unknown. */
export function createdAt(stack: string | undefined): string {
  const site = creationSite(stack);
  return site === undefined ? '' : `; the op was created ${site}`;
}
