import { ByteWriter, type FunctionDefinition } from './encoder.js';
import {
  CONTROL, MEMORY, PLAIN, SIMD, SIMD_LANE,
  type LaneInstruction, type MemoryInstruction, type PlainInstruction, type SimdInstruction, type ValueType,
} from './opcodes.js';

/** A parameter or local variable of the function being built. */
export interface Local {
  readonly name: string;
  readonly index: number;
  readonly type: ValueType;
}

/** A branch target: the `block` (br jumps past its end) or `loop` (br jumps back to its start) it names. */
export interface Label {
  readonly level: number;
}

/**
 * Writes one function body instruction by instruction. The method names follow the text format,
 * so kernel code reads like a `.wat` listing in stack-machine order:
 *
 *   f.get(x).memory('v128.load').get(y).memory('v128.load').op('f32x4.add')   // x[0..3] + y[0..3]
 *
 * Structured control flow takes callbacks, and branches name their target by label instead of
 * by a hand-counted relative depth.
 */
export class FunctionBuilder {
  private readonly code = new ByteWriter();
  private readonly params: ValueType[] = [];
  private readonly locals: ValueType[] = [];
  private depth = 0;

  constructor(readonly name: string) {}

  param(name: string, type: ValueType): Local {
    if (this.locals.length > 0) throw new Error('internal: declare every parameter before the first local');
    this.params.push(type);
    return { name, index: this.params.length - 1, type };
  }

  local(name: string, type: ValueType): Local {
    this.locals.push(type);
    return { name, index: this.params.length + this.locals.length - 1, type };
  }

  get(local: Local): this {
    this.code.byte(CONTROL.localGet).u32(local.index);
    return this;
  }

  set(local: Local): this {
    this.code.byte(CONTROL.localSet).u32(local.index);
    return this;
  }

  tee(local: Local): this {
    this.code.byte(CONTROL.localTee).u32(local.index);
    return this;
  }

  i32(value: number): this {
    this.code.byte(CONTROL.i32Const).s32(value);
    return this;
  }

  f32(value: number): this {
    this.code.byte(CONTROL.f32Const).f32(value);
    return this;
  }

  f64(value: number): this {
    this.code.byte(CONTROL.f64Const).f64(value);
    return this;
  }

  /** `v128.const` with all 16 bytes zero: +0.0 in every lane. */
  v128Zero(): this {
    this.code.byte(CONTROL.simdPrefix).u32(CONTROL.v128Const).bytes(new Uint8Array(16));
    return this;
  }

  /** `i8x16.shuffle`: byte i of the result is byte lanes[i] of the 32-byte concatenation of two vectors. */
  shuffle(lanes: readonly number[]): this {
    this.code.byte(CONTROL.simdPrefix).u32(CONTROL.shuffle).bytes(lanes);
    return this;
  }

  op(name: PlainInstruction | SimdInstruction): this {
    if (isPlain(name)) this.code.byte(PLAIN[name]);
    else this.code.byte(CONTROL.simdPrefix).u32(SIMD[name]);
    return this;
  }

  lane(name: LaneInstruction, index: number): this {
    this.code.byte(CONTROL.simdPrefix).u32(SIMD_LANE[name]).byte(index);
    return this;
  }

  /** A load or store at address (top of stack) + `offset` bytes. */
  memory(name: MemoryInstruction, offset = 0): this {
    const { code, simd, alignLog2 } = MEMORY[name];
    if (simd) this.code.byte(CONTROL.simdPrefix).u32(code);
    else this.code.byte(code);
    this.code.u32(alignLog2).u32(offset);
    return this;
  }

  block(body: (exit: Label) => void): this {
    return this.structured(CONTROL.block, body);
  }

  loop(body: (top: Label) => void): this {
    return this.structured(CONTROL.loop, body);
  }

  /** `if` on the i32 at the top of the stack, with an optional `else` arm. */
  if(then: () => void, otherwise?: () => void): this {
    this.code.byte(CONTROL.if).byte(0x40);
    this.depth++;
    then();
    if (otherwise !== undefined) {
      this.code.byte(CONTROL.else);
      otherwise();
    }
    this.depth--;
    this.code.byte(CONTROL.end);
    return this;
  }

  br(label: Label): this {
    this.code.byte(CONTROL.br).u32(this.depth - label.level);
    return this;
  }

  brIf(label: Label): this {
    this.code.byte(CONTROL.brIf).u32(this.depth - label.level);
    return this;
  }

  /** local = local + amount, where amount is a constant or another i32 local. */
  increment(local: Local, amount: number | Local): this {
    this.get(local);
    if (typeof amount === 'number') this.i32(amount);
    else this.get(amount);
    return this.op('i32.add').set(local);
  }

  /**
   * while (counter < end) { body; counter += step } with unsigned comparison, the shape of every
   * kernel loop here (counters are byte addresses). The caller initializes `counter`.
   */
  whileBelow(counter: Local, end: Local, step: number | Local, body: () => void): this {
    return this.block((exit) => {
      this.get(counter).get(end).op('i32.ge_u').brIf(exit);
      this.loop((top) => {
        body();
        this.increment(counter, step);
        this.get(counter).get(end).op('i32.lt_u').brIf(top);
      });
    });
  }

  finish(results: readonly ValueType[] = []): FunctionDefinition {
    const body = new ByteWriter().bytes(this.code.toBytes()).byte(CONTROL.end).toBytes();
    return { name: this.name, params: this.params, results, locals: this.locals, body };
  }

  private structured(opcode: number, body: (label: Label) => void): this {
    this.code.byte(opcode).byte(0x40);
    this.depth++;
    body({ level: this.depth });
    this.depth--;
    this.code.byte(CONTROL.end);
    return this;
  }
}

function isPlain(name: PlainInstruction | SimdInstruction): name is PlainInstruction {
  return name in PLAIN;
}
