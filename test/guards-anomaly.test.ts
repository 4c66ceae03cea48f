import { describe, expect, it } from 'vitest';
import { NonFiniteError, Tensor, guards, isAnomalyEnabled, manualSeed, nn, randn, tensor } from '../src/index.js';

/** The line of this test file that calls `lineHere()`, from the call stack. */
function lineHere(): number {
  const frame = new Error().stack!.split('\n').find((line) => line.includes('guards-anomaly.test.ts') && !line.includes('lineHere'));
  return Number(/guards-anomaly\.test\.ts:(\d+):\d+/.exec(frame ?? '')![1]);
}

function catchNonFinite(fn: () => unknown): NonFiniteError {
  try {
    fn();
  } catch (caught) {
    if (caught instanceof NonFiniteError) return caught;
    throw caught;
  }
  throw new Error('expected a NonFiniteError');
}

/** x / Σx along each row: a division by zero when a row sums to zero. */
class Normalize extends nn.Module {
  forward(x: Tensor): Tensor {
    return x.div(x.sum(1, true));
  }
}

describe('detectAnomaly, forward', () => {
  it('throws at log of 0 with phase forward and op log, and the stack points at the line that called log', () => {
    const x = tensor([1, 0, 2]);
    const expectedLine = lineHere() + 1;
    const error = catchNonFinite(() => guards.detectAnomaly(() => x.log()));
    expect(error.op).toBe('log');
    expect(error.phase).toBe('forward');
    expect(error.module).toBeUndefined();
    expect(error.message).toContain(`guards-anomaly.test.ts:${expectedLine}`);
    expect(error.creationStack).toContain(`guards-anomaly.test.ts:${expectedLine}`);
  });

  it('does not blame an op that merely passes a NaN on', () => {
    const x = tensor([NaN, 1]);
    const y = guards.detectAnomaly(() => x.mul(2).add(1));
    expect(Number.isNaN(y.data[0])).toBe(true);
  });

  it('names the module path of a division by zero in the middle of an MLP', () => {
    manualSeed(3);
    const model = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Linear(4, 4), new Normalize(), new nn.Linear(4, 2));
    const middle = model.at(2) as nn.Linear;
    middle.weight.data.fill(0);
    middle.bias!.data.fill(0);
    const error = catchNonFinite(() => guards.detectAnomaly(() => model.forward(randn([5, 3]))));
    expect(error).toMatchObject({ op: 'div', phase: 'forward', module: '3' });
  });

  it('restores the previous mode afterwards, also after an error', () => {
    expect(isAnomalyEnabled()).toBe(false);
    guards.detectAnomaly(() => expect(isAnomalyEnabled()).toBe(true));
    expect(isAnomalyEnabled()).toBe(false);
    catchNonFinite(() => guards.detectAnomaly(() => tensor([0]).log()));
    expect(isAnomalyEnabled()).toBe(false);
  });

  it('keeps anomaly mode on until an async function settles', async () => {
    const during = guards.detectAnomaly(async () => {
      await Promise.resolve();
      return isAnomalyEnabled();
    });
    expect(await during).toBe(true);
    expect(isAnomalyEnabled()).toBe(false);
  });

  it('offers setDetectAnomaly as a switch', () => {
    guards.setDetectAnomaly(true);
    try {
      expect(() => tensor([-1]).sqrt()).toThrow(NonFiniteError);
    } finally {
      guards.setDetectAnomaly(false);
    }
    expect(Number.isNaN(tensor([-1]).sqrt().data[0])).toBe(true);
  });
});

describe('detectAnomaly, backward', () => {
  it('throws at the producing node with phase backward and the creation line of its forward op', () => {
    const w = tensor([1, 0], { requiresGrad: true });
    const error = catchNonFinite(() =>
      guards.detectAnomaly(() => {
        const expectedLine = lineHere() + 1;
        const root = w.sqrt(); // finite forward, Inf gradient at 0
        try {
          root.sum().backward();
        } catch (caught) {
          expect((caught as Error).message).toContain(`guards-anomaly.test.ts:${expectedLine}`);
          throw caught;
        }
      }),
    );
    expect(error.op).toBe('sqrt');
    expect(error.phase).toBe('backward');
    expect(error.creationStack).toMatch(/guards-anomaly\.test\.ts:\d+/);
    expect(w.grad).toBeNull();
  });

  it('names the module of a backward producer inside a model', () => {
    manualSeed(4);
    /** √(0·h): finite forward (0), but its VJP g/(2√0) is Inf. */
    class SqrtAtZero extends nn.Module {
      forward(h: Tensor): Tensor {
        return h.mul(0).sqrt();
      }
    }
    const net = new nn.Sequential(new nn.Linear(2, 3), new SqrtAtZero(), new nn.Linear(3, 1));
    const error = catchNonFinite(() => guards.detectAnomaly(() => net.forward(randn([4, 2])).sum().backward()));
    expect(error).toMatchObject({ op: 'sqrt', phase: 'backward', module: '1' });
  });
});

describe('checkBatch (data guard)', () => {
  it('returns a clean batch unchanged', () => {
    const batch = tensor([[1, 2], [3, 4]]);
    expect(guards.checkBatch(batch)).toBe(batch);
  });

  it('names the rows that hold NaN or ±Inf', () => {
    const batch = tensor([[1, 2], [3, NaN], [5, 6], [Infinity, 0]]);
    const error = catchNonFinite(() => guards.checkBatch(batch, { name: 'inputs' }));
    expect(error.op).toBe('checkBatch');
    expect(error.message).toContain('inputs of shape [4,2]');
    expect(error.message).toContain('row 1 (column 1 is NaN)');
    expect(error.message).toContain('row 3 (column 0 is Infinity)');
    expect(error.message).not.toContain('row 0');
  });

  it('finds every non-finite entry with its row and column', () => {
    expect(guards.findNonFinite(tensor([[1, -Infinity, 3], [NaN, 0, 0]]))).toEqual([
      { row: 0, column: 1, value: -Infinity },
      { row: 1, column: 0, value: NaN },
    ]);
    expect(guards.findNonFinite(new Float32Array([0, 1, NaN, 3]), { rowSize: 2 })).toEqual([{ row: 1, column: 0, value: NaN }]);
  });

  it('lists at most maxRows rows and says how many more', () => {
    const values = Array.from({ length: 8 }, () => [NaN]);
    expect(() => guards.checkBatch(tensor(values), { maxRows: 2 })).toThrow(/and 6 more row/);
  });
});
