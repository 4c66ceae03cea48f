import { describe, expect, it } from 'vitest';
import { ArgumentError, ShapeError, Tensor, nn, optim, setKernelBackend, tensor } from '../src/index.js';
import { expectAllClose } from './helpers.js';

/*
 * Each optimizer runs a few steps on a float64 parameter with fixed gradients; the expected
 * values come from the update equations in the torch.optim documentation, written out here
 * element by element (or in closed form), independently of the library.
 */

const start = [0.5, -1.2, 2.0];
const grads = [[0.1, -0.4, 1.5], [-0.3, 0.2, 0.9], [0.05, -0.6, -1.1]];

type Make = (params: Tensor[]) => optim.Optimizer<optim.BaseOptions>;

/** Parameter values after each step, with `grads[t]` as the gradient of step t. */
function trajectory(make: Make): number[][] {
  const param = tensor(start, { dtype: 'float64', requiresGrad: true });
  const optimizer = make([param]);
  return grads.map((g) => {
    optimizer.zeroGrad();
    param.grad = tensor(g, { dtype: 'float64' });
    optimizer.step();
    return Array.from(param.data);
  });
}

/** The same trajectory by a per-element reference `rule(θ, g, state, t)` (t from 1). */
function reference(rule: (theta: number, g: number, state: Record<string, number>, t: number) => number): number[][] {
  const theta = start.slice();
  const states = start.map(() => ({}) as Record<string, number>);
  return grads.map((g, step) => {
    for (let i = 0; i < theta.length; i++) theta[i] = rule(theta[i]!, g[i]!, states[i]!, step + 1);
    return theta.slice();
  });
}

function expectSame(actual: number[][], expected: number[][]): void {
  actual.forEach((row, t) => expectAllClose(row, expected[t]!, { rtol: 1e-12, atol: 1e-15, message: `step ${t + 1}` }));
}

describe('optim.SGD', () => {
  it('plain: θ ← θ − lr·g', () => {
    expectSame(trajectory((p) => new optim.SGD(p, { lr: 0.1 })), reference((th, g) => th - 0.1 * g));
  });

  it('weight decay adds λθ to the gradient', () => {
    expectSame(trajectory((p) => new optim.SGD(p, { lr: 0.1, weightDecay: 0.01 })), reference((th, g) => th - 0.1 * (g + 0.01 * th)));
  });

  it('momentum: b₁ = g₁, then b ← μb + (1 − τ)g; θ ← θ − lr·b', () => {
    const rule = (dampening: number) => (th: number, g: number, s: Record<string, number>, t: number): number => {
      s.b = t === 1 ? g : 0.9 * s.b! + (1 - dampening) * g;
      return th - 0.1 * s.b;
    };
    expectSame(trajectory((p) => new optim.SGD(p, { lr: 0.1, momentum: 0.9 })), reference(rule(0)));
    expectSame(trajectory((p) => new optim.SGD(p, { lr: 0.1, momentum: 0.9, dampening: 0.5 })), reference(rule(0.5)));
  });

  it('Nesterov: θ ← θ − lr·(g + μb), with weight decay', () => {
    const rule = (th: number, g0: number, s: Record<string, number>, t: number): number => {
      const g = g0 + 0.05 * th;
      s.b = t === 1 ? g : 0.8 * s.b! + g;
      return th - 0.1 * (g + 0.8 * s.b);
    };
    expectSame(trajectory((p) => new optim.SGD(p, { lr: 0.1, momentum: 0.8, nesterov: true, weightDecay: 0.05 })), reference(rule));
  });

  it('rejects Nesterov without momentum or with dampening, and a negative lr', () => {
    const p = [tensor([1], { requiresGrad: true })];
    expect(() => new optim.SGD(p, { lr: 0.1, nesterov: true })).toThrow(ArgumentError);
    expect(() => new optim.SGD(p, { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true })).toThrow(/Nesterov/);
    expect(() => new optim.SGD(p, { lr: -1 })).toThrow(/lr/);
  });

  it('rejects a dampening that is not a number in [0, 1], a BigInt 0n included', () => {
    const p = [tensor([1], { requiresGrad: true })];
    for (const dampening of [0n, '0', -0.1, 1.5, NaN]) {
      expect(() => new optim.SGD(p, { lr: 0.1, momentum: 0.9, dampening: dampening as never })).toThrow(ArgumentError);
      expect(() => new optim.SGD(p, { lr: 0.1, momentum: 0.9, dampening: dampening as never })).toThrow(/dampening must be a number/);
    }
    expect(() => new optim.SGD(p, { lr: 0.1, momentum: 0.9, dampening: 0n as never })).toThrow('got 0n');
    expect(() => new optim.SGD(p, { lr: 0.1, momentum: 0.9, dampening: 1 })).not.toThrow();
  });
});

describe('optimizer state buffers', () => {
  function stepped(make: Make, steps: number): optim.OptimizerStateDict {
    const param = tensor(start, { dtype: 'float64', requiresGrad: true });
    const optimizer = make([param]);
    for (let t = 0; t < steps; t++) {
      param.grad = tensor(grads[t]!, { dtype: 'float64' });
      optimizer.step();
    }
    return optimizer.stateDict();
  }

  it('SGD keeps the momentum buffer b₃ = μ²g₁ + μ(1 − τ)g₂ + (1 − τ)g₃', () => {
    const state = stepped((p) => new optim.SGD(p, { lr: 0.1, momentum: 0.9, dampening: 0.2 }), 3).state[0]!;
    expect(state.step).toBe(3);
    const expected = start.map((_, i) => 0.81 * grads[0]![i]! + 0.9 * 0.8 * grads[1]![i]! + 0.8 * grads[2]![i]!);
    expectAllClose(state.buffers.momentumBuffer!.data, expected, { rtol: 1e-12 });
  });

  it('Adam keeps m₁ = (1 − β₁)g and v₁ = (1 − β₂)g² after step 1', () => {
    const state = stepped((p) => new optim.Adam(p), 1).state[0]!;
    expectAllClose(state.buffers.expAvg!.data, grads[0]!.map((g) => 0.1 * g), { rtol: 1e-12 });
    expectAllClose(state.buffers.expAvgSq!.data, grads[0]!.map((g) => 0.001 * g * g), { rtol: 1e-12 });
  });
});

describe('optim.Adam', () => {
  it('moves each element by lr·sign(g) (up to ε) at step 1: the bias correction', () => {
    const [first] = trajectory((p) => new optim.Adam(p, { lr: 0.01 }));
    // m̂₁ = g, v̂₁ = g²  ⇒  θ₁ = θ₀ − lr·g/(|g| + ε)
    expectAllClose(first!, start.map((th, i) => th - (0.01 * grads[0]![i]!) / (Math.abs(grads[0]![i]!) + 1e-8)), { rtol: 1e-12 });
  });

  it('matches the closed form of m and v at step 3', () => {
    const [b1, b2, lr, eps] = [0.9, 0.999, 0.01, 1e-8];
    const expected = start.map((th0, i) => {
      let th = th0;
      for (let t = 1; t <= 3; t++) {
        const gs = grads.slice(0, t).map((g) => g[i]!);
        // m_t = (1 − β₁)·Σ_k β₁^(t−k)·g_k, v_t likewise with g²
        const m = (1 - b1) * gs.reduce((s, g, k) => s + b1 ** (t - 1 - k) * g, 0);
        const v = (1 - b2) * gs.reduce((s, g, k) => s + b2 ** (t - 1 - k) * g * g, 0);
        th -= (lr * (m / (1 - b1 ** t))) / (Math.sqrt(v / (1 - b2 ** t)) + eps);
      }
      return th;
    });
    expectAllClose(trajectory((p) => new optim.Adam(p, { lr }))[2]!, expected, { rtol: 1e-12 });
  });

  /** Adam per the torch.optim.Adam algorithm box; `decoupled` for AdamW. */
  function adamRule(o: { lr: number; wd: number; amsgrad: boolean; decoupled: boolean; b1?: number; b2?: number; eps?: number }) {
    const { lr, wd, amsgrad, decoupled, b1 = 0.9, b2 = 0.999, eps = 1e-8 } = o;
    return (th0: number, g0: number, s: Record<string, number>, t: number): number => {
      const th = decoupled ? th0 * (1 - lr * wd) : th0;
      const g = decoupled ? g0 : g0 + wd * th0;
      s.m = b1 * (s.m ?? 0) + (1 - b1) * g;
      s.v = b2 * (s.v ?? 0) + (1 - b2) * g * g;
      s.vmax = Math.max(s.vmax ?? 0, s.v);
      const vHat = (amsgrad ? s.vmax : s.v) / (1 - b2 ** t);
      return th - (lr * (s.m / (1 - b1 ** t))) / (Math.sqrt(vHat) + eps);
    };
  }

  it('adds L2 weight decay to the gradient, and amsgrad uses max v', () => {
    expectSame(
      trajectory((p) => new optim.Adam(p, { lr: 0.05, weightDecay: 0.1, betas: [0.8, 0.99], eps: 1e-6 })),
      reference(adamRule({ lr: 0.05, wd: 0.1, amsgrad: false, decoupled: false, b1: 0.8, b2: 0.99, eps: 1e-6 })),
    );
    expectSame(
      trajectory((p) => new optim.Adam(p, { lr: 0.05, amsgrad: true })),
      reference(adamRule({ lr: 0.05, wd: 0, amsgrad: true, decoupled: false })),
    );
  });

  it('AdamW decays the weights directly, default λ = 0.01', () => {
    expect(new optim.AdamW([tensor([1], { requiresGrad: true })]).defaults.weightDecay).toBe(0.01);
    expectSame(trajectory((p) => new optim.AdamW(p, { lr: 0.05 })), reference(adamRule({ lr: 0.05, wd: 0.01, amsgrad: false, decoupled: true })));
    expectSame(
      trajectory((p) => new optim.AdamW(p, { lr: 0.05, weightDecay: 0.3, amsgrad: true })),
      reference(adamRule({ lr: 0.05, wd: 0.3, amsgrad: true, decoupled: true })),
    );
  });

  it('has the defaults of torch.optim.Adam', () => {
    const adam = new optim.Adam([tensor([1], { requiresGrad: true })]);
    expect(adam.defaults).toEqual({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false });
  });
});

describe('optim.RMSprop', () => {
  /** RMSprop per the torch.optim.RMSprop algorithm box. */
  function rmsRule(o: { lr: number; alpha: number; eps: number; wd: number; momentum: number; centered: boolean }) {
    return (th: number, g0: number, s: Record<string, number>): number => {
      const g = g0 + o.wd * th;
      s.v = o.alpha * (s.v ?? 0) + (1 - o.alpha) * g * g;
      let vHat = s.v;
      if (o.centered) {
        s.gAvg = o.alpha * (s.gAvg ?? 0) + (1 - o.alpha) * g;
        vHat = s.v - s.gAvg * s.gAvg;
      }
      const d = g / (Math.sqrt(vHat) + o.eps);
      if (o.momentum > 0) {
        s.b = o.momentum * (s.b ?? 0) + d;
        return th - o.lr * s.b;
      }
      return th - o.lr * d;
    };
  }

  it('plain, with default alpha 0.99 and eps 1e-8', () => {
    expectSame(trajectory((p) => new optim.RMSprop(p, { lr: 0.01 })), reference(rmsRule({ lr: 0.01, alpha: 0.99, eps: 1e-8, wd: 0, momentum: 0, centered: false })));
  });

  it('centered, with momentum and weight decay', () => {
    const o = { lr: 0.02, alpha: 0.9, eps: 1e-6, wd: 0.1, momentum: 0.5, centered: true };
    expectSame(
      trajectory((p) => new optim.RMSprop(p, { lr: o.lr, alpha: o.alpha, eps: o.eps, weightDecay: o.wd, momentum: o.momentum, centered: true })),
      reference(rmsRule(o)),
    );
  });
});

describe('optimizers', () => {
  it('skip parameters whose grad is null', () => {
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([3], { requiresGrad: true });
    const sgd = new optim.SGD([a, b], { lr: 0.5 });
    a.grad = tensor([1, 1]);
    sgd.step();
    expect(Array.from(a.data)).toEqual([0.5, 1.5]);
    expect(Array.from(b.data)).toEqual([3]);
    sgd.zeroGrad();
    expect(a.grad).toBeNull();
  });

  it('use each parameter group’s own options', () => {
    const a = tensor([1], { requiresGrad: true });
    const b = tensor([1], { requiresGrad: true });
    const sgd = new optim.SGD([{ params: [a] }, { params: [b], lr: 0.5 }], { lr: 0.1 });
    a.grad = tensor([1]);
    b.grad = tensor([1]);
    sgd.step();
    expectAllClose([a.data[0]!, b.data[0]!], [0.9, 0.5], { rtol: 1e-6 });
  });

  it('resume from stateDict exactly as an uninterrupted run', () => {
    const full = trajectory((p) => new optim.Adam(p, { lr: 0.05 }));
    const param = tensor(start, { dtype: 'float64', requiresGrad: true });
    const first = new optim.Adam([param], { lr: 0.05 });
    param.grad = tensor(grads[0]!, { dtype: 'float64' });
    first.step();
    const saved = first.stateDict();
    first.step(); // changes `first`'s state after saving: the copy must not follow
    param.data.set(full[0]!);
    const resumed = new optim.Adam([param], { lr: 0.05 });
    resumed.loadStateDict(saved);
    for (const t of [1, 2]) {
      param.grad = tensor(grads[t]!, { dtype: 'float64' });
      resumed.step();
      expect(Array.from(param.data)).toEqual(full[t]);
    }
  });

  it('reject a state whose buffers do not fit, changing nothing', () => {
    const model = nn.mlp([2, 3, 1]);
    const sgd = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    model.forward(tensor([[1, 2]])).sum().backward();
    sgd.step();
    const other = new optim.SGD(nn.mlp([2, 4, 1]).parameters(), { lr: 0.1, momentum: 0.9 });
    expect(() => other.loadStateDict(sgd.stateDict())).toThrow(ShapeError);
    expect(other.stateDict().state).toEqual({});
    const fewer = new optim.SGD([model.parameters()[0]!], { lr: 0.1 });
    expect(() => fewer.loadStateDict(sgd.stateDict())).toThrow(/groups have sizes \[1\] but the state has \[4\]/);
  });
});

describe('a zero weight decay is skipped, as in PyTorch', () => {
  // why it matters: g + 0·θ is NaN for an infinite θ, which would turn a weight PyTorch keeps at
  // ±Inf into NaN. Lengths below and above the WebAssembly threshold, float32 and float64, both paths.
  const makers: Array<[string, Make]> = [
    ['SGD', (p) => new optim.SGD(p, { lr: 0.1 })],
    ['SGD with momentum', (p) => new optim.SGD(p, { lr: 0.1, momentum: 0.9 })],
    ['Adam', (p) => new optim.Adam(p, { lr: 0.1 })],
    ['AdamW without decay', (p) => new optim.AdamW(p, { lr: 0.1, weightDecay: 0 })],
    ['RMSprop', (p) => new optim.RMSprop(p, { lr: 0.1 })],
  ];
  it.each(['ts', 'auto'] as const)('keeps an infinite weight infinite and the finite ones finite (%s kernels)', (backend) => {
    setKernelBackend(backend);
    try {
      for (const [name, make] of makers) {
        for (const [size, dtype] of [[8, 'float64'], [8, 'float32'], [4096, 'float32']] as const) {
          const values = new Array<number>(size).fill(0.5);
          values[1] = Infinity;
          values[size - 1] = -Infinity;
          const param = tensor(values, { dtype, requiresGrad: true });
          const optimizer = make([param]);
          for (let t = 0; t < 2; t++) {
            param.grad = tensor(new Array<number>(size).fill(0.25), { dtype });
            optimizer.step();
          }
          const label = `${name}, ${size} ${dtype}`;
          expect(param.data[1], label).toBe(Infinity);
          expect(param.data[size - 1], label).toBe(-Infinity);
          expect(Number.isFinite(param.data[0]!) && param.data[0]! < 0.5, label).toBe(true);
        }
      }
    } finally {
      setKernelBackend('auto');
    }
  });

  it('still decays when the decay is not zero: an infinite weight then meets λ·θ (NaN for SGD, as in PyTorch: Inf − lr·(g + λ·Inf))', () => {
    const param = tensor([Infinity, 0.5], { dtype: 'float64', requiresGrad: true });
    const optimizer = new optim.SGD([param], { lr: 0.1, weightDecay: 0.01 });
    param.grad = tensor([0.25, 0.25], { dtype: 'float64' });
    optimizer.step();
    expect(param.data[0]).toBeNaN(); // Inf − Inf
    expect(param.data[1]).toBeCloseTo(0.5 - 0.1 * (0.25 + 0.005), 12);
  });
});
