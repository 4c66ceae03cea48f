import { describe, expect, it } from 'vitest';
import { linear, tensor, type Tensor } from '../src/index.js';
import { checkOp, expectAllClose, refMatmul, refOf, refTranspose, refZip, seeded, type Ref } from './helpers.js';

describe('matmul', () => {
  it('matches the triple loop and passes gradcheck at square, thin, vector-like and 1×1 shapes', () => {
    checkOp({
      op: (a, b) => a!.matmul(b!),
      reference: (a, b) => refMatmul(a!, b!),
      shapes: [
        [[2, 3], [3, 4]],
        [[1, 5], [5, 1]],
        [[4, 1], [1, 3]],
        [[1, 1], [1, 1]],
        [[5, 2], [2, 7]],
      ],
    });
  });

  it.each([
    [7, 130, 9],
    [33, 17, 260],
    [5, 3, 5],
    [130, 129, 3],
  ])('matches the triple loop at m=%i, k=%i, n=%i, sizes that cross the kernel blocks and unroll remainders', (m, k, n) => {
    for (const dtype of ['float32', 'float64'] as const) {
      const a = seeded([m, k], undefined, { seed: 1, dtype, requiresGrad: true });
      const b = seeded([k, n], undefined, { seed: 2, dtype, requiresGrad: true });
      const g = seeded([m, n], undefined, { seed: 3, dtype });
      const tolerance = dtype === 'float64' ? { rtol: 1e-10, atol: 1e-12 } : { rtol: 1e-5, atol: 1e-4 };
      const out = a.matmul(b);
      expectAllClose(out, refMatmul(refOf(a), refOf(b)), { ...tolerance, message: `${dtype} forward` });
      out.backward({ grad: g });
      // dA = G·Bᵀ, dB = Aᵀ·G
      expectAllClose(a.grad!, refMatmul(refOf(g), refTranspose(refOf(b))), { ...tolerance, message: `${dtype} dA` });
      expectAllClose(b.grad!, refMatmul(refTranspose(refOf(a)), refOf(g)), { ...tolerance, message: `${dtype} dB` });
    }
  });

  it('propagates NaN and Inf through zero entries (0·NaN is NaN), as PyTorch', () => {
    const c = tensor([[0, 0], [1, 0]]).matmul(tensor([[NaN, 1], [Infinity, 2]]));
    // row 0: 0·NaN + 0·Inf = NaN and 0·1 + 0·2 = 0; row 1: 1·NaN + 0·Inf = NaN and 1·1 + 0·2 = 1
    expect(Array.from(c.data)).toEqual([NaN, 0, NaN, 1]);
  });

  it.each([8, 70, 200])('keeps a NaN of B in every output column it touches at size %i, even where A is all zeros', (n) => {
    for (const dtype of ['float32', 'float64'] as const) {
      const a = tensor(new Float64Array(n * n), { shape: [n, n], dtype });
      const bValues = new Float64Array(n * n).fill(1);
      bValues[3 * n + 5] = NaN;
      const b = tensor(bValues, { shape: [n, n], dtype });
      const expected = refMatmul(refOf(a), refOf(b));
      expectAllClose(a.matmul(b), expected, { rtol: 0, message: `${dtype} A·B` });
      expectAllClose(linear(a, b.transpose()), expected, { rtol: 0, message: `${dtype} linear` });
    }
  });

  it('differentiates both sides of a product of one matrix with itself', () => {
    const a = seeded([3, 3], undefined, { requiresGrad: true });
    a.matmul(a).sum().backward();
    // d Σ(A·A) / dA = 1·Aᵀ + Aᵀ·1, with 1 the all-ones matrix
    const ones: Ref = { data: new Float64Array(9).fill(1), shape: [3, 3] };
    const at = refTranspose({ data: Float64Array.from(a.data), shape: [3, 3] });
    const expected = refZip(refMatmul(ones, at), refMatmul(at, ones), (x, y) => x + y);
    expectAllClose(a.grad!, expected, { rtol: 1e-12 });
  });
});

describe('transpose', () => {
  it('swaps rows and columns and passes gradcheck', () => {
    checkOp({ op: (x) => x!.transpose(), reference: (x) => refTranspose(x!), shapes: [[[2, 3]], [[1, 4]], [[5, 1]], [[1, 1]]] });
  });
});

describe('reshape', () => {
  it('keeps the row-major order and passes gradcheck, with an inferred -1 dimension', () => {
    checkOp({ op: (x) => x!.reshape([3, 2]), reference: (x) => ({ data: x!.data, shape: [3, 2] }), shapes: [[[2, 3]], [[6]], [[1, 6, 1]]] });
    checkOp({ op: (x) => x!.reshape([-1, 4]), reference: (x) => ({ data: x!.data, shape: [2, 4] }), shapes: [[[8]], [[2, 2, 2]]] });
  });

  it('reshapes to and from a 0-d tensor', () => {
    checkOp({ op: (x) => x!.reshape([]), reference: (x) => ({ data: x!.data, shape: [] }), shapes: [[[1]], [[1, 1]]] });
    checkOp({ op: (x) => x!.reshape([1, 1]), reference: (x) => ({ data: x!.data, shape: [1, 1] }), shapes: [[[]]] });
  });

  it('shares storage with its input, as torch.reshape of a contiguous tensor', () => {
    const x = tensor([1, 2, 3, 4]);
    const y = x.reshape([2, 2]);
    x.data[0] = 10;
    expect(y.data[0]).toBe(10);
  });
});

/** The composite the fused op must equal: x·Wᵀ + b. */
function composite(x: Tensor, w: Tensor, b?: Tensor): Tensor {
  const product = x.matmul(w.transpose());
  return b === undefined ? product : product.add(b);
}

describe('linear (fused)', () => {
  it('matches x·Wᵀ + b by direct loops and passes gradcheck', () => {
    checkOp({
      op: (x, w, b) => linear(x!, w!, b!),
      reference: (x, w, b) => refZip(refMatmul(x!, refTranspose(w!)), b!, (p, q) => p + q),
      shapes: [
        [[4, 3], [2, 3], [2]],
        [[1, 5], [1, 5], [1]],
        [[6, 1], [3, 1], [3]],
      ],
    });
  });

  it('works without a bias', () => {
    checkOp({
      op: (x, w) => linear(x!, w!),
      reference: (x, w) => refMatmul(x!, refTranspose(w!)),
      shapes: [[[4, 3], [2, 3]], [[1, 1], [5, 1]]],
    });
  });

  it('equals matmul(x, Wᵀ) + b in value and in every gradient', () => {
    const inputs = (): Tensor[] => [
      seeded([5, 4], undefined, { seed: 1, requiresGrad: true }),
      seeded([3, 4], undefined, { seed: 2, requiresGrad: true }),
      seeded([3], undefined, { seed: 3, requiresGrad: true }),
    ];
    const [x1, w1, b1] = inputs() as [Tensor, Tensor, Tensor];
    const [x2, w2, b2] = inputs() as [Tensor, Tensor, Tensor];
    const fused = linear(x1, w1, b1);
    const reference = composite(x2, w2, b2);
    expectAllClose(fused, reference, { rtol: 1e-12 });
    const weights = seeded([5, 3], undefined, { seed: 4 });
    fused.backward({ grad: weights });
    reference.backward({ grad: weights });
    expectAllClose(x1.grad!, x2.grad!, { rtol: 1e-12 });
    expectAllClose(w1.grad!, w2.grad!, { rtol: 1e-12 });
    expectAllClose(b1.grad!, b2.grad!, { rtol: 1e-12 });
  });

  it('is one node in the graph', () => {
    const y = linear(tensor([[1, 2]], { requiresGrad: true }), tensor([[3, 4]]), tensor([5]));
    expect(y.node?.op).toBe('linear');
    expect(y.node?.inputs.length).toBe(3);
  });
});
