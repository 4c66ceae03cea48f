import { ArgumentError, describeValue } from '../errors.js';
/**
 * The one seeded random generator. Algorithm: xoshiro128** (Blackman & Vigna 2018), 32-bit
 * state words, seeded through SplitMix32 so that nearby seeds give unrelated streams.
 * Uniforms take the top 24 bits (exact in float32 and float64); normals use Box–Muller and
 * keep the second value of each pair. Only 32-bit integer arithmetic is used, so the stream is
 * identical on every machine and JavaScript engine.
 * @example
 * const generator = new Generator(42);
 * generator.uniform(); // the same number on every machine, in [0, 1)
 */
export class Generator {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spareNormal = 0;
  private hasSpareNormal = false;

  constructor(seed = 0) {
    this.seed(seed);
  }

  /** Resets the stream; the same seed always gives the same numbers. */
  seed(seed: number): void {
    let state = (Math.trunc(seed) ^ Math.trunc(seed / 0x100000000)) >>> 0;
    const next = (): number => {
      // SplitMix32 (Steele, Lea & Flood), as recommended for seeding xoshiro.
      state = (state + 0x9e3779b9) >>> 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    this.hasSpareNormal = false;
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1), 24 random bits. */
  uniform(): number {
    return (this.nextUint32() >>> 8) * 5.960464477539063e-8; // 2^-24
  }

  /** Standard normal by Box–Muller: two uniforms give two independent normals. */
  normal(): number {
    if (this.hasSpareNormal) {
      this.hasSpareNormal = false;
      return this.spareNormal;
    }
    const u1 = 1 - this.uniform(); // in (0, 1], so log(u1) is finite
    const u2 = this.uniform();
    const radius = Math.sqrt(-2 * Math.log(u1));
    const angle = 2 * Math.PI * u2;
    this.spareNormal = radius * Math.sin(angle);
    this.hasSpareNormal = true;
    return radius * Math.cos(angle);
  }

  /** An integer in [0, n). */
  integer(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Fisher–Yates shuffle of 0..n-1. */
  permutation(n: number): Int32Array {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.integer(i + 1);
      const tmp = out[i]!;
      out[i] = out[j]!;
      out[j] = tmp;
    }
    return out;
  }

  /** The generator's full state, to checkpoint a run. */
  getState(): number[] {
    return [this.s0, this.s1, this.s2, this.s3, this.hasSpareNormal ? 1 : 0, this.spareNormal];
  }

  setState(state: readonly number[]): void {
    [this.s0, this.s1, this.s2, this.s3] = state.map((v) => v >>> 0) as [number, number, number, number];
    this.hasSpareNormal = state[4] === 1;
    this.spareNormal = state[5] ?? 0;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * The global generator behind `rand`, `randn`, init and shuffling; `manualSeed` reseeds it.
 * @example
 * globalGenerator.permutation(4); // a shuffle of [0, 1, 2, 3], fixed by the last manualSeed
 */
export const globalGenerator = new Generator(0);

/**
 * Seeds the global generator. The same seed gives bit-identical runs on every machine.
 * @example
 * manualSeed(42); const a = randn([3]);
 * manualSeed(42); const b = randn([3]); // same numbers as a
 */
export function manualSeed(seed: number): void {
  // why: a NaN, fractional or non-number seed would be truncated to some other seed without a word
  if (typeof seed !== 'number' || !Number.isInteger(seed)) throw new ArgumentError('manualSeed', `seed must be an integer, got ${describeValue(seed)}`);
  globalGenerator.seed(seed);
}

/** Fills `out` with uniforms in [low, high). */
export function fillUniform(out: Float32Array | Float64Array, low = 0, high = 1, gen = globalGenerator): void {
  const span = high - low;
  for (let i = 0; i < out.length; i++) out[i] = low + span * gen.uniform();
}

/** Fills `out` with normals of the given mean and standard deviation. */
export function fillNormal(out: Float32Array | Float64Array, mean = 0, std = 1, gen = globalGenerator): void {
  for (let i = 0; i < out.length; i++) out[i] = mean + std * gen.normal();
}
