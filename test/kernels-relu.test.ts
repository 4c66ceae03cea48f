import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Generator, setKernelBackend } from '../src/index.js';
import { relu, reluBackward } from '../src/tensor/kernels/unary.js';

/*
 * The float32 ReLU kernels select on the bits (no branch); float64 uses Math.max. Both must
 * agree with the definitions relu(x) = max(x, 0) (NaN stays NaN, -Inf gives 0) and
 * relu'(x)·g = (x ≤ 0 ? 0 : g) (PyTorch's threshold_backward: a NaN input passes g on).
 */

const generator = new Generator(4242);

beforeAll(() => setKernelBackend('ts'));
afterAll(() => setKernelBackend('auto'));

/** Float32 values that stress every branch of the bit test, including NaNs with the sign bit set. */
function specialValues(): Float32Array {
  const bits = new Int32Array([0x7fc00000, 0xffc00000 | 0, 0x7f800001, 0xff800001 | 0, 0x80000000 | 0, 0x00000001, 0x80000001 | 0]);
  const fromBits = new Float32Array(bits.buffer);
  const plain = [0, 1, -1, Infinity, -Infinity, 3.4e38, -3.4e38, 1e-40, -1e-40, 0.5, -0.5];
  return Float32Array.from([...fromBits, ...plain]);
}

function randomSigned(size: number): Float32Array {
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = generator.normal();
  return data;
}

/** The same value, telling +0 from -0 and accepting any NaN for NaN. */
function same(actual: number, expected: number): boolean {
  return Number.isNaN(expected) ? Number.isNaN(actual) : Object.is(actual, expected);
}

describe('ReLU kernels', () => {
  it('forward equals max(x, 0) on special float32 values, including NaN with either sign', () => {
    const x = specialValues();
    const out = new Float32Array(x.length);
    relu(x, out);
    x.forEach((v, i) => expect(same(out[i]!, Math.fround(Math.max(v, 0))), `relu(${v}) at ${i}`).toBe(true));
  });

  it('forward equals max(x, 0) on random float32 and float64 data of odd length', () => {
    const x32 = randomSigned(1001);
    const out32 = new Float32Array(x32.length);
    relu(x32, out32);
    x32.forEach((v, i) => expect(out32[i]).toBe(Math.max(v, 0)));
    const x64 = Float64Array.from(randomSigned(257));
    const out64 = new Float64Array(x64.length);
    relu(x64, out64);
    x64.forEach((v, i) => expect(out64[i]).toBe(Math.max(v, 0)));
  });

  it('backward passes the gradient where x > 0 or x is NaN and gives +0 elsewhere', () => {
    const x = specialValues();
    const g = randomSigned(x.length);
    g[1] = Number.NaN; // a NaN gradient is passed on where x > 0 … or dropped where x ≤ 0
    const out = new Float32Array(x.length);
    reluBackward(x, g, out);
    x.forEach((v, i) => expect(same(out[i]!, v <= 0 ? 0 : g[i]!), `x=${v} g=${g[i]} at ${i}`).toBe(true));
  });

  it('backward agrees with the definition on random float32 and float64 data', () => {
    const x = randomSigned(999);
    const g = randomSigned(999);
    const out = new Float32Array(999);
    reluBackward(x, g, out);
    x.forEach((v, i) => expect(out[i]).toBe(v <= 0 ? 0 : g[i]!));
    const x64 = Float64Array.from(x);
    const g64 = Float64Array.from(g);
    const out64 = new Float64Array(999);
    reluBackward(x64, g64, out64);
    x64.forEach((v, i) => expect(out64[i]).toBe(v <= 0 ? 0 : g64[i]!));
  });

  it('works on views that do not start at the beginning of their buffer', () => {
    const buffer = randomSigned(20);
    const x = buffer.subarray(3, 17);
    const out = new Float32Array(40).subarray(5, 19);
    relu(x, out);
    x.forEach((v, i) => expect(out[i]).toBe(Math.max(v, 0)));
  });
});
