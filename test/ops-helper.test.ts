import { describe, expect, it } from 'vitest';
import { tensor } from '../src/index.js';
import { checkOp, expectAllClose, refMap, refZip } from './helpers.js';

// The op tests are only as strong as the helper they share: these show it fails when it should.
describe('checkOp', () => {
  it('fails when the forward differs from the reference', () => {
    expect(() =>
      checkOp({ op: (a, b) => a!.mul(b!), reference: (a, b) => refZip(a!, b!, (x, y) => x + y), shapes: [[[2], [2]]] }),
    ).toThrow(/float64 forward/);
  });

  it('fails when the gradient is wrong although the forward is right', () => {
    // x·detach(x) computes x² but differentiates as x.
    expect(() => checkOp({ op: (x) => x!.mul(x!.detach()), reference: (x) => refMap(x!, (v) => v * v), shapes: [[[3]]] })).toThrow(
      /gradcheck: gradient of input 0/,
    );
  });

  it('fails when an op turns a NaN into a number where the reference keeps it', () => {
    // pow(0) maps NaN to 1 (as Math.pow does); this reference claims NaN must survive.
    expect(() => checkOp({ op: (x) => x!.pow(0), reference: (x) => refMap(x!, (v) => v * 0 + 1), shapes: [[[3]]] })).toThrow(
      /NaN in input 0/,
    );
  });

  it('fails when the output shape is wrong', () => {
    expect(() => checkOp({ op: (x) => x!.sum(0, true), reference: (x) => ({ data: Float64Array.of(x!.data.reduce((a, b) => a + b, 0)), shape: [] }), shapes: [[[3]]] })).toThrow(
      /shape/,
    );
  });
});

describe('expectAllClose', () => {
  it('treats NaN as equal to NaN but not to a number', () => {
    expectAllClose([NaN, 1], [NaN, 1]);
    expect(() => expectAllClose([NaN], [0])).toThrow(/element 0/);
  });

  it('uses |a − e| ≤ atol + rtol·|e|', () => {
    expectAllClose([1.000009], [1], { rtol: 1e-5, atol: 0 });
    expect(() => expectAllClose([1.0001], [1], { rtol: 1e-5, atol: 0 })).toThrow(/actual 1.0001, expected 1/);
  });

  it('requires infinities to match exactly and shapes to agree', () => {
    expectAllClose([Infinity], [Infinity]);
    expect(() => expectAllClose([Infinity], [-Infinity])).toThrow();
    expect(() => expectAllClose(tensor([[1, 2]]), [1, 2])).toThrow(/shape/);
  });
});
