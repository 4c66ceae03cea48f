import { afterEach, describe, expect, it } from 'vitest';
import { NonFiniteError, Tensor, guards, setWarningSink, tensor, withScope } from '../src/index.js';

/*
 * sqrt at 0 is finite forward (√0 = 0) but its VJP, g/(2√x), is Inf: the sqrt node is the
 * producer of the non-finite gradient, and the mul before it only passes it on.
 */

interface Setup {
  w: Tensor;
  other: Tensor;
  loss: Tensor;
}

/** loss = Σ √(2w) (module 'encoder.2') + Σ other·3 (module 'head'); w[1] = 0 makes √ produce Inf. */
function setup(): Setup {
  const w = tensor([1, 0, 4], { requiresGrad: true, dtype: 'float64' });
  const other = tensor([1, 2], { requiresGrad: true, dtype: 'float64' });
  const doubled = withScope('encoder.1', () => w.mul(2));
  const root = withScope('encoder.2', () => doubled.sqrt());
  const head = withScope('head', () => other.mul(3));
  return { w, other, loss: root.sum().add(head.sum()) };
}

function catchError(fn: () => unknown): NonFiniteError {
  try {
    fn();
  } catch (caught) {
    if (caught instanceof NonFiniteError) return caught;
    throw caught;
  }
  throw new Error('expected a NonFiniteError');
}

let restoreSink: ((message: string) => void) | null = null;
afterEach(() => {
  if (restoreSink !== null) setWarningSink(restoreSink);
  restoreSink = null;
});

describe('nanTrap', () => {
  it("'throw' names the producing op, its module and shapes, and leaves every .grad as it was", () => {
    const { w, other, loss } = setup();
    other.grad = tensor([10, 20], { dtype: 'float64' });
    let error: unknown;
    try {
      loss.backward({ guards: [guards.nanTrap()] });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(NonFiniteError);
    const trap = error as NonFiniteError;
    expect(trap.op).toBe('sqrt');
    expect(trap.phase).toBe('backward');
    expect(trap.module).toBe('encoder.2');
    expect(trap.message).toContain('[3]');
    expect(trap.message).toMatch(/incoming gradient norm/);
    expect(w.grad).toBeNull();
    expect(Array.from(other.grad!.data)).toEqual([10, 20]);
  });

  it("'skip' leaves every .grad as it was and fills report.nonFinite", () => {
    const { w, other, loss } = setup();
    other.grad = tensor([10, 20], { dtype: 'float64' });
    const report = loss.backward({ guards: [guards.nanTrap({ action: 'skip' })] });
    expect(report.ok).toBe(false);
    expect(report.skipped).toBe(true);
    expect(report.nonFinite).toMatchObject({ op: 'sqrt', phase: 'backward', module: 'encoder.2' });
    expect(w.grad).toBeNull();
    expect(Array.from(other.grad!.data)).toEqual([10, 20]);
  });

  it("'skip' also leaves a retained non-leaf's .grad as it was", () => {
    const w = tensor([1, 0], { requiresGrad: true, dtype: 'float64' });
    const root = w.mul(2).sqrt().retainGrad(); // its gradient is complete before the sqrt node produces Inf
    const report = root.sum().backward({ guards: [guards.nanTrap({ action: 'skip' })] });
    expect(report.skipped).toBe(true);
    expect(root.grad).toBeNull();
    const again = w.mul(2).sqrt().retainGrad();
    again.sum().backward({ guards: [guards.nanTrap({ action: 'zero' })] });
    expect(Array.from(again.grad!.data)).toEqual([1, 1]);
  });

  it("'zero' replaces the non-finite values where they are produced and goes on", () => {
    const { w, other, loss } = setup();
    const report = loss.backward({ guards: [guards.nanTrap({ action: 'zero' })] });
    // d/dw √(2w) = 1/√(2w): [1/√2, Inf → 0, 1/√8]
    expect(w.grad!.data[0]).toBeCloseTo(1 / Math.SQRT2, 12);
    expect(w.grad!.data[1]).toBe(0);
    expect(w.grad!.data[2]).toBeCloseTo(1 / Math.sqrt(8), 12);
    expect(Array.from(other.grad!.data)).toEqual([3, 3]);
    expect(report.ok).toBe(true);
    expect(report.nonFinite).toMatchObject({ op: 'sqrt', module: 'encoder.2' });
    expect(report.actions).toEqual([expect.objectContaining({ guard: 'nanTrap', kind: 'zero', count: 1, target: 'encoder.2' })]);
  });

  it("'warn' warns once per pass, keeps the values and returns ok false", () => {
    const warnings: string[] = [];
    restoreSink = setWarningSink((message) => warnings.push(message));
    const { w, loss } = setup();
    const report = loss.backward({ guards: [guards.nanTrap({ action: 'warn' })] });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('sqrt');
    expect(warnings[0]).toContain('encoder.2');
    expect(report.ok).toBe(false);
    expect(report.skipped).toBe(false);
    expect(w.grad!.data[1]).toBe(Infinity);
    expect(report.nonFinite).toMatchObject({ op: 'sqrt', module: 'encoder.2' });
  });

  it('reports only the producer, not the nodes that pass the non-finite gradient on', () => {
    restoreSink = setWarningSink(() => undefined);
    const { loss } = setup();
    const report = loss.backward({ guards: [guards.nanTrap({ action: 'warn' })] });
    expect(report.actions.map((action) => action.kind)).toEqual(['warn']);
    expect(report.nonFinite?.op).toBe('sqrt');
  });

  it('tells an overflow from a 0·Inf by the incoming gradient it reports', () => {
    // float32: y = x·1e35 = 1e-3 and z = y·1e35 = 1e32 are finite, but ∂z/∂x = 1e35·1e35 overflows.
    const x = tensor([1e-38], { requiresGrad: true });
    const y = withScope('scale', () => x.mul(1e35));
    const z = y.mul(1e35);
    const overflow = catchError(() => z.sum().backward({ guards: [guards.nanTrap()] }));
    expect(overflow.module).toBe('scale');
    expect(overflow.message).toMatch(/max \|g\| 1\.000e\+35 \(large: likely an overflow\)/);
    const atZero = catchError(() => setup().loss.backward({ guards: [guards.nanTrap()] }));
    expect(atZero.message).toMatch(/max \|g\| 1\.000e\+0 \(moderate/);
  });

  it('lets a finite pass through untouched with ok true and no actions', () => {
    const w = tensor([1, 4], { requiresGrad: true, dtype: 'float64' });
    const report = w.sqrt().sum().backward({ guards: [guards.nanTrap()] });
    expect(report).toMatchObject({ ok: true, nonFinite: null, skipped: false, actions: [] });
    expect(Array.from(w.grad!.data)).toEqual([0.5, 0.25]);
  });

  it('rejects an unknown action', () => {
    expect(() => guards.nanTrap({ action: 'ignore' as 'warn' })).toThrow(/action/);
  });
});
