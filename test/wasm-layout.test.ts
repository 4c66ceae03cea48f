import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { areaStart } from '../src/tensor/wasm/runtime.js';

// The placement rule of kernel-memory areas that JavaScript copies into or out of (see areaStart):
// 64 bytes (16 floats) past a 4 KiB (1,024-float) boundary, at or after where the area could start.
describe('areaStart', () => {
  it('gives the first offset at or after `from` that is 16 floats past a multiple of 1,024', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 1 << 26 }), (from) => {
      const start = areaStart(from);
      expect(start).toBeGreaterThanOrEqual(from);
      expect(start % 1024).toBe(16);
      expect(start - 1024).toBeLessThan(from); // no earlier offset qualifies
    }));
  });

  it('keeps an offset that already qualifies and moves the ones just past it by a whole span', () => {
    expect(areaStart(0)).toBe(16);
    expect(areaStart(16)).toBe(16);
    expect(areaStart(17)).toBe(1040);
    expect(areaStart(1024)).toBe(1040);
    expect(areaStart(2040)).toBe(2064);
  });
});
