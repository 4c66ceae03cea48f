import { EXPORT_KIND, SECTION, VALUE_TYPES, type ValueType } from './opcodes.js';

/**
 * A growable byte buffer that writes the encodings of the WebAssembly binary format:
 * LEB128 integers (7 bits per byte, high bit set on every byte but the last), little-endian
 * floats, and length-prefixed vectors and names.
 */
export class ByteWriter {
  private buffer: Uint8Array<ArrayBuffer> = new Uint8Array(256);
  private length = 0;

  byte(value: number): this {
    if (this.length === this.buffer.length) {
      const bigger = new Uint8Array(this.buffer.length * 2);
      bigger.set(this.buffer);
      this.buffer = bigger;
    }
    this.buffer[this.length++] = value & 0xff;
    return this;
  }

  bytes(values: ArrayLike<number>): this {
    for (let i = 0; i < values.length; i++) this.byte(values[i]!);
    return this;
  }

  /** Unsigned LEB128 (used for counts, indices, sizes and SIMD opcodes). */
  u32(value: number): this {
    let rest = value >>> 0;
    do {
      const low = rest & 0x7f;
      rest >>>= 7;
      this.byte(rest === 0 ? low : low | 0x80);
    } while (rest !== 0);
    return this;
  }

  /** Signed LEB128 (used for `i32.const`): stop once the remaining bits are all copies of the sign bit. */
  s32(value: number): this {
    let rest = value | 0;
    for (;;) {
      const low = rest & 0x7f;
      rest >>= 7;
      const signBitOfLow = (low & 0x40) !== 0;
      const done = (rest === 0 && !signBitOfLow) || (rest === -1 && signBitOfLow);
      this.byte(done ? low : low | 0x80);
      if (done) return this;
    }
  }

  f32(value: number): this {
    const view = new DataView(new ArrayBuffer(4));
    view.setFloat32(0, value, true);
    return this.bytes(new Uint8Array(view.buffer));
  }

  f64(value: number): this {
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, value, true);
    return this.bytes(new Uint8Array(view.buffer));
  }

  /** A name: its UTF-8 byte length, then the bytes. */
  name(text: string): this {
    const utf8 = new TextEncoder().encode(text);
    return this.u32(utf8.length).bytes(utf8);
  }

  /** A vector: its element count, then each element. */
  vector<T>(items: readonly T[], writeItem: (item: T) => void): this {
    this.u32(items.length);
    for (const item of items) writeItem(item);
    return this;
  }

  get size(): number {
    return this.length;
  }

  toBytes(): Uint8Array<ArrayBuffer> {
    return this.buffer.slice(0, this.length);
  }
}

/** One function of a module: its signature, its extra locals, and its encoded body (ending in `end`). */
export interface FunctionDefinition {
  name: string;
  params: readonly ValueType[];
  results: readonly ValueType[];
  locals: readonly ValueType[];
  body: Uint8Array;
}

/** A module of exported functions sharing one exported, growable linear memory named `memory`. */
export interface ModuleDefinition {
  functions: readonly FunctionDefinition[];
  memoryPages: number;
}

const MAGIC_AND_VERSION = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/** Encodes a module: magic, version, then each section as id, byte length, contents. */
export function encodeModule(module: ModuleDefinition): Uint8Array<ArrayBuffer> {
  const out = new ByteWriter().bytes(MAGIC_AND_VERSION);
  const functions = module.functions;
  section(out, SECTION.type, (s) => s.vector(functions, (f) => {
    s.byte(0x60);
    s.vector(f.params, (t) => s.byte(VALUE_TYPES[t]));
    s.vector(f.results, (t) => s.byte(VALUE_TYPES[t]));
  }));
  // why: function i simply uses type i; a few duplicate signatures cost a few bytes and no lookups.
  section(out, SECTION.function, (s) => s.vector(functions.map((_, index) => index), (index) => s.u32(index)));
  section(out, SECTION.memory, (s) => s.u32(1).byte(0x00).u32(module.memoryPages));
  section(out, SECTION.export, (s) => {
    s.u32(functions.length + 1);
    functions.forEach((f, index) => s.name(f.name).byte(EXPORT_KIND.function).u32(index));
    s.name('memory').byte(EXPORT_KIND.memory).u32(0);
  });
  section(out, SECTION.code, (s) => s.vector(functions, (f) => {
    const code = new ByteWriter();
    encodeLocals(code, f.locals);
    code.bytes(f.body);
    s.u32(code.size).bytes(code.toBytes());
  }));
  return out.toBytes();
}

function section(out: ByteWriter, id: number, writeContents: (contents: ByteWriter) => void): void {
  const contents = new ByteWriter();
  writeContents(contents);
  out.byte(id).u32(contents.size).bytes(contents.toBytes());
}

/** Locals are declared as runs of (count, type); consecutive locals of one type share a run. */
function encodeLocals(code: ByteWriter, locals: readonly ValueType[]): void {
  const runs: Array<{ count: number; type: ValueType }> = [];
  for (const type of locals) {
    const last = runs[runs.length - 1];
    if (last !== undefined && last.type === type) last.count++;
    else runs.push({ count: 1, type });
  }
  code.vector(runs, (run) => code.u32(run.count).byte(VALUE_TYPES[run.type]));
}
