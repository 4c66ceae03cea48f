import { ArgumentError, NonFiniteError, checkOptions, countOf, describeValue } from '../errors.js';
import { describeModule } from '../autograd/graph.js';
import type { GradientView, Guard, NodeGradientEvent, NonFiniteInfo, PassControl } from '../autograd/hooks.js';
import { createdAt, describeProducer } from '../autograd/nonfinite.js';

/** What `nanTrap` does at the first node whose VJP turns finite gradients into NaN/±Inf. */
export type NanTrapAction = 'throw' | 'skip' | 'zero' | 'warn';

/** Options of `nanTrap`. */
export interface NanTrapOptions {
  /** Default `'throw'`. */
  action?: NanTrapAction;
}

const ACTIONS: readonly NanTrapAction[] = ['throw', 'skip', 'zero', 'warn'];

/**
 * A backward-pass guard that stops at the *producer* of a non-finite gradient: the first node
 * whose vector-Jacobian product yields NaN or ±Inf although the gradient that came in was
 * finite (not the nodes that merely pass the NaN on). It names the op, the module path, the
 * shapes and the incoming gradient's norm and max, so an overflow can be told from a 0·Inf.
 * It reuses the statistics the engine computes once per buffer, so it is cheap to leave on.
 *
 * - `'throw'`: throws `NonFiniteError` (phase `'backward'`); no `.grad` changes.
 * - `'skip'`: abandons the pass; no `.grad` changes; `report.ok === false`, `report.skipped`,
 *   `report.nonFinite` filled.
 * - `'zero'`: replaces the non-finite values with 0 where they are produced and goes on;
 *   `report.nonFinite` and `report.actions` record it, `report.ok` stays true (what reaches
 *   `.grad` is finite).
 * - `'warn'`: one warning per pass, values kept, `report.ok === false`.
 *
 * @example
 * const report = loss.backward({ guards: [nanTrap({ action: 'skip' })] });
 * if (report.ok) optimizer.step();
 * else console.log(report.nonFinite); // { op: 'log', phase: 'backward', module: '2', … }
 */
export function nanTrap(options: NanTrapOptions = {}): Guard {
  const action = checkOptions('nanTrap', options).action ?? 'throw';
  if (!ACTIONS.includes(action)) {
    throw new ArgumentError('nanTrap', `action must be one of ${ACTIONS.join(', ')}, got ${describeValue(action)}`);
  }
  return {
    name: 'nanTrap',
    // why this hook and not onNodeGradient: the engine calls it only for the node where a NaN/Inf
    // is born (producesNonFinite), so a healthy pass costs the trap no event at all
    onNonFiniteGradient(event, control) {
      const info = describe(event);
      if (action === 'throw') {
        const stack = event.node.creationStack;
        throw new NonFiniteError(event.op, 'backward', event.module, info.detail + createdAt(stack), stack);
      }
      const first = control.report.nonFinite === null;
      if (first) control.report.nonFinite = info;
      if (action === 'skip') skip(info, control);
      else if (action === 'zero') zero(event, control);
      else if (first) warn(info, control);
    },
  };
}

function describe(event: NodeGradientEvent): NonFiniteInfo & { detail: string } {
  const detail = describeProducer(event);
  return event.module === undefined
    ? { op: event.op, phase: 'backward', detail }
    : { op: event.op, phase: 'backward', module: event.module, detail };
}

function skip(info: NonFiniteInfo, control: PassControl): void {
  control.report.actions.push({
    guard: 'nanTrap', kind: 'skip', ...target(info), message: `nanTrap: ${info.op} ${info.detail ?? ''}; pass skipped`,
  });
  control.stop();
}

function warn(info: NonFiniteInfo, control: PassControl): void {
  control.report.ok = false;
  control.report.actions.push({ guard: 'nanTrap', kind: 'warn', ...target(info), message: `nanTrap: ${info.op} ${info.detail ?? ''}` });
  control.warn(`gradguard nanTrap: ${info.op}: ${info.detail ?? ''}`);
}

/** Replaces NaN and ±Inf by 0 in every gradient this node produced. */
function zero(event: NodeGradientEvent, control: PassControl): void {
  let count = 0;
  for (const view of event.inputGrads) if (view !== null && !view.finite) count += zeroNonFinite(view);
  control.report.actions.push({
    guard: 'nanTrap',
    kind: 'zero',
    ...(event.module === undefined ? {} : { target: event.module }),
    count,
    message: `nanTrap: zeroed ${countOf(count, 'non-finite gradient value')} produced by ${event.op} ${describeModule(event.module)}`,
  });
}

function zeroNonFinite(view: GradientView): number {
  const data = view.data;
  let count = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v - v !== 0) {
      data[i] = 0;
      count++;
    }
  }
  view.changed();
  return count;
}

function target(info: NonFiniteInfo): { target?: string } {
  return info.module === undefined ? {} : { target: info.module };
}
