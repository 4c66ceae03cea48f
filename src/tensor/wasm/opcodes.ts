/*
 * The WebAssembly instructions our kernels use, keyed by their text-format names so that kernel
 * code reads like a `.wat` listing. Numbers are from the WebAssembly core specification (binary
 * format, §5.4) and the fixed-width SIMD proposal merged into it; SIMD instructions are the byte
 * 0xFD followed by their number as an unsigned LEB128.
 */

/** Value types and their one-byte codes. */
export const VALUE_TYPES = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b } as const;
export type ValueType = keyof typeof VALUE_TYPES;

/** Control and variable instructions whose immediates the builder writes itself. */
export const CONTROL = {
  block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, brIf: 0x0d, return: 0x0f,
  localGet: 0x20, localSet: 0x21, localTee: 0x22,
  i32Const: 0x41, f32Const: 0x43, f64Const: 0x44,
  simdPrefix: 0xfd, v128Const: 0x0c, shuffle: 0x0d,
} as const;

/** Instructions without immediates: operands come from the stack. */
export const PLAIN = {
  'drop': 0x1a,
  'select': 0x1b,
  'i32.eqz': 0x45,
  'i32.eq': 0x46,
  'i32.ne': 0x47,
  'i32.lt_s': 0x48,
  'i32.lt_u': 0x49,
  'i32.gt_s': 0x4a,
  'i32.gt_u': 0x4b,
  'i32.le_s': 0x4c,
  'i32.le_u': 0x4d,
  'i32.ge_s': 0x4e,
  'i32.ge_u': 0x4f,
  'i32.add': 0x6a,
  'i32.sub': 0x6b,
  'i32.mul': 0x6c,
  'i32.and': 0x71,
  'i32.or': 0x72,
  'i32.shl': 0x74,
  'i32.shr_u': 0x76,
  'f32.add': 0x92,
  'f32.mul': 0x94,
  'f32.neg': 0x8c,
  'f32.min': 0x96,
  'f32.max': 0x97,
  'f64.add': 0xa0,
  'f64.promote_f32': 0xbb,
} as const;
export type PlainInstruction = keyof typeof PLAIN;

/** 0xFD-prefixed SIMD instructions without immediates. */
export const SIMD = {
  'f32x4.splat': 0x13,
  'f32x4.le': 0x45,
  'v128.andnot': 0x4f,
  'f64x2.promote_low_f32x4': 0x5f,
  'f32x4.add': 0xe4,
  'f32x4.sub': 0xe5,
  'f32x4.mul': 0xe6,
  'f32x4.div': 0xe7,
  'f32x4.sqrt': 0xe3,
  'f32x4.max': 0xe9,
  'f32x4.abs': 0xe0,
  'f32x4.pmin': 0xea,
  'f32x4.pmax': 0xeb,
  'f64x2.mul': 0xf2,
  'f64x2.add': 0xf0,
  'f64x2.sub': 0xf1,
} as const;
export type SimdInstruction = keyof typeof SIMD;

/** SIMD instructions with one lane-index immediate. */
export const SIMD_LANE = {
  'f32x4.extract_lane': 0x1f,
  'f64x2.extract_lane': 0x21,
} as const;
export type LaneInstruction = keyof typeof SIMD_LANE;

/**
 * Loads and stores: opcode, whether it is SIMD-prefixed, and log2 of the natural alignment
 * (the alignment hint in the memory immediate; misaligned accesses still work, only slower).
 */
export const MEMORY = {
  'i32.load': { code: 0x28, simd: false, alignLog2: 2 },
  'f32.load': { code: 0x2a, simd: false, alignLog2: 2 },
  'f64.load': { code: 0x2b, simd: false, alignLog2: 3 },
  'i32.store': { code: 0x36, simd: false, alignLog2: 2 },
  'f32.store': { code: 0x38, simd: false, alignLog2: 2 },
  'f64.store': { code: 0x39, simd: false, alignLog2: 3 },
  'v128.load': { code: 0x00, simd: true, alignLog2: 4 },
  'v128.load32_splat': { code: 0x09, simd: true, alignLog2: 2 },
  'v128.store': { code: 0x0b, simd: true, alignLog2: 4 },
} as const;
export type MemoryInstruction = keyof typeof MEMORY;

/** Section ids of the module sections we emit, in the order the format requires. */
export const SECTION = { type: 1, function: 3, memory: 5, export: 7, code: 10 } as const;

/** Export kinds. */
export const EXPORT_KIND = { function: 0x00, memory: 0x02 } as const;
