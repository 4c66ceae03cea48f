import { describe, expect, it } from 'vitest';
import { FunctionBuilder } from '../src/tensor/wasm/builder.js';
import { ByteWriter, encodeModule, type FunctionDefinition } from '../src/tensor/wasm/encoder.js';
import { kernelModuleBytes, simdProbeBytes } from '../src/tensor/wasm/runtime.js';

/** Instantiates a module made of `functions` and returns its exports. */
function instantiate(functions: FunctionDefinition[], memoryPages = 1): WebAssembly.Exports {
  const bytes = encodeModule({ functions, memoryPages });
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports;
}

function callable(value: unknown): (...args: number[]) => number {
  if (typeof value !== 'function') throw new Error('not a function export');
  return (...args) => Number(value(...args));
}

describe('LEB128 encoding', () => {
  it('writes unsigned values 7 bits at a time, low group first (the spec and Wikipedia examples)', () => {
    expect(Array.from(new ByteWriter().u32(0).toBytes())).toEqual([0x00]);
    expect(Array.from(new ByteWriter().u32(127).toBytes())).toEqual([0x7f]);
    expect(Array.from(new ByteWriter().u32(128).toBytes())).toEqual([0x80, 0x01]);
    expect(Array.from(new ByteWriter().u32(624485).toBytes())).toEqual([0xe5, 0x8e, 0x26]);
    expect(Array.from(new ByteWriter().u32(0xffffffff).toBytes())).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
  });

  it('writes signed values until the rest is pure sign extension', () => {
    expect(Array.from(new ByteWriter().s32(-1).toBytes())).toEqual([0x7f]);
    expect(Array.from(new ByteWriter().s32(63).toBytes())).toEqual([0x3f]);
    expect(Array.from(new ByteWriter().s32(64).toBytes())).toEqual([0xc0, 0x00]);
    expect(Array.from(new ByteWriter().s32(-64).toBytes())).toEqual([0x40]);
    expect(Array.from(new ByteWriter().s32(-65).toBytes())).toEqual([0xbf, 0x7f]);
    expect(Array.from(new ByteWriter().s32(-123456).toBytes())).toEqual([0xc0, 0xbb, 0x78]);
  });

  it('round-trips i32 constants through a compiled function', () => {
    for (const value of [0, 1, -1, 63, 64, -64, -65, 127, 128, 8191, -8192, 2 ** 31 - 1, -(2 ** 31)]) {
      const f = new FunctionBuilder('constant');
      f.i32(value);
      expect(callable(instantiate([f.finish(['i32'])])['constant'])()).toBe(value);
    }
  });
});

describe('module encoder', () => {
  it('starts with the magic number and version 1', () => {
    const bytes = encodeModule({ functions: [], memoryPages: 1 });
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    expect(WebAssembly.validate(bytes)).toBe(true);
  });

  it('emits loops and branches that compute a sum of 1..n', () => {
    const f = new FunctionBuilder('triangle');
    const n = f.param('n', 'i32');
    const i = f.local('i', 'i32');
    const total = f.local('total', 'i32');
    f.i32(1).set(i);
    f.get(n).i32(1).op('i32.add').set(n);
    f.whileBelow(i, n, 1, () => {
      f.get(total).get(i).op('i32.add').set(total);
    });
    f.get(total);
    const triangle = callable(instantiate([f.finish(['i32'])])['triangle']);
    expect(triangle(0)).toBe(0);
    expect(triangle(1)).toBe(1);
    expect(triangle(100)).toBe(5050);
  });

  it('emits 0xFD-prefixed SIMD instructions: loads, splats, mul, add and stores on f32x4', () => {
    const f = new FunctionBuilder('axpy4');
    const scale = f.param('scale', 'f32');
    f.i32(32);
    f.get(scale).op('f32x4.splat');
    f.i32(0).memory('v128.load').op('f32x4.mul');
    f.i32(16).memory('v128.load').op('f32x4.add');
    f.memory('v128.store');
    const exports = instantiate([f.finish()]);
    const memory = exports['memory'];
    if (!(memory instanceof WebAssembly.Memory)) throw new Error('no memory');
    const floats = new Float32Array(memory.buffer);
    floats.set([1, 2, 3, 4, 10, 20, 30, 40]);
    callable(exports['axpy4'])(0.5);
    expect(Array.from(floats.subarray(8, 12))).toEqual([10.5, 21, 31.5, 42]);
  });

  it('builds a SIMD probe that validates on this engine', () => {
    expect(WebAssembly.validate(simdProbeBytes())).toBe(true);
  });

  it('keeps the kernel module under 4 KB, so browsers may compile it synchronously on the main thread', () => {
    const bytes = kernelModuleBytes();
    expect(WebAssembly.validate(bytes)).toBe(true);
    expect(bytes.length).toBeLessThan(4096);
  });
});
