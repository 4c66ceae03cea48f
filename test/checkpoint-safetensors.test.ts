import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Tensor, tensor } from '../src/index.js';
import { CheckpointError } from '../src/errors.js';
import { fromSafetensors, toSafetensors } from '../src/checkpoint/safetensors.js';

/** The spec's layout, built by hand: u64 little-endian header length, header text, data. */
function buildFile(headerText: string, data: number[] = [], lengthOverride?: number): Uint8Array {
  const header = [...headerText].map((c) => c.charCodeAt(0));
  let length = lengthOverride ?? header.length;
  const lengthBytes: number[] = [];
  for (let i = 0; i < 8; i++) {
    lengthBytes.push(length % 256);
    length = Math.floor(length / 256);
  }
  return Uint8Array.from([...lengthBytes, ...header, ...data]);
}

function ascii(text: string): number[] {
  return [...text].map((c) => c.charCodeAt(0));
}

/** Spaces that bring 8 + header length to a multiple of 8 (the reference writer's padding). */
function padding(headerLength: number): number[] {
  return new Array<number>((8 - (headerLength % 8)) % 8).fill(0x20);
}

// IEEE-754 little-endian encodings, written out by hand.
const F32 = { zero: [0, 0, 0, 0], one: [0, 0, 0x80, 0x3f], two: [0, 0, 0, 0x40], three: [0, 0, 0x40, 0x40], four: [0, 0, 0x80, 0x40], five: [0, 0, 0xa0, 0x40], minusTwo: [0, 0, 0, 0xc0] };
const F64_HALF = [0, 0, 0, 0, 0, 0, 0xe0, 0x3f];

function bits(data: Float32Array | Float64Array): number[] {
  return [...new Uint8Array(data.buffer, data.byteOffset, data.byteLength)];
}

function expectCheckpointError(bytes: Uint8Array, message: RegExp): void {
  let caught: unknown;
  try {
    fromSafetensors(bytes);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(CheckpointError);
  expect((caught as Error).message).toMatch(/^fromSafetensors: /);
  expect((caught as Error).message).toMatch(message);
}

describe('toSafetensors byte layout', () => {
  it('writes the reference implementation\'s published bytes for an F32 [1,2,3] tensor', () => {
    // Expected bytes: safetensors/src/tensor.rs, test_serialization (header needs no padding).
    const expected = [
      64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100,
      116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34,
      58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115,
      101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63,
      0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
    ];
    const bytes = toSafetensors({ 'attn.0': tensor([0, 1, 2, 3, 4, 5], { shape: [1, 2, 3] }) });
    expect([...bytes]).toEqual(expected);
  });

  it('pads the header with spaces to 8-byte alignment as the reference implementation does', () => {
    // Expected bytes: safetensors/src/tensor.rs, test_serialization_forced_alignement.
    const expected = [
      72, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 48, 34, 58, 123, 34, 100, 116,
      121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58,
      91, 49, 44, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102,
      115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 32, 32, 32, 32, 32,
      32, 32, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0,
      160, 64,
    ];
    const bytes = toSafetensors({ attn0: tensor([0, 1, 2, 3, 4, 5], { shape: [1, 1, 2, 3] }) });
    expect([...bytes]).toEqual(expected);
  });

  it('matches a hand-built file with metadata, a 0-d float64 and a float32 tensor', () => {
    const header =
      '{"__metadata__":{"format":"pt"},' +
      '"a":{"dtype":"F64","shape":[],"data_offsets":[0,8]},' +
      '"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}';
    const padded = [...ascii(header), ...padding(header.length)];
    const expected = [...buildFile(String.fromCharCode(...padded)), ...F64_HALF, ...F32.one, ...F32.minusTwo];
    const bytes = toSafetensors(
      { b: tensor([1, -2]), a: tensor(new Float64Array([0.5]), { shape: [] }) },
      { format: 'pt' },
    );
    expect([...bytes]).toEqual(expected);
    expect((8 + padded.length) % 8).toBe(0);
  });

  it('writes an empty header padded to 8 bytes when there are no tensors', () => {
    // The reference's test_empty: length 8, then '{}' and six spaces.
    expect([...toSafetensors({})]).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
  });

  it('does not change the tensors it encodes', () => {
    const t = tensor([1.5, -2.5]);
    toSafetensors({ t });
    expect(Array.from(t.data)).toEqual([1.5, -2.5]);
  });

  it('rejects a non-tensor value and a non-string metadata value', () => {
    expect(() => toSafetensors({ x: [1, 2] as unknown as Tensor })).toThrow(/'x' must be a Tensor/);
    expect(() => toSafetensors({}, { step: 3 as unknown as string })).toThrow(/metadata values must be strings/);
  });
});

describe('fromSafetensors', () => {
  it('reads a hand-built file whose header lists tensors out of offset order', () => {
    const header =
      '{"second":{"dtype":"F32","shape":[2,1],"data_offsets":[8,16]},' +
      '"first":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"__metadata__":{"k":"v"}}   ';
    const file = buildFile(header, [...F32.one, ...F32.two, ...F32.three, ...F32.four]);
    const { tensors, metadata } = fromSafetensors(file);
    expect(tensors.first!.toArray()).toEqual([1, 2]);
    expect(tensors.second!.toArray()).toEqual([[3], [4]]);
    expect(tensors.second!.dtype).toBe('float32');
    expect(metadata).toEqual({ k: 'v' });
  });

  it('round-trips float32 and float64 values bit for bit, NaN, ±Inf, -0 and subnormals included', () => {
    const special = [NaN, Infinity, -Infinity, -0, 1e-45, 3.4e38, 1 / 3];
    const f32 = tensor(new Float32Array(special), { shape: [7] });
    const f64 = tensor(new Float64Array([...special, 5e-324]), { shape: [2, 4] });
    const decoded = fromSafetensors(toSafetensors({ f32, f64 })).tensors;
    expect(bits(decoded.f32!.data)).toEqual(bits(f32.data));
    expect(bits(decoded.f64!.data)).toEqual(bits(f64.data));
    expect(decoded.f64!.shape).toEqual([2, 4]);
    expect(decoded.f64!.dtype).toBe('float64');
  });

  it('keeps 0-d and empty tensors', () => {
    const decoded = fromSafetensors(toSafetensors({ scalar: tensor(7), empty: tensor(new Float32Array(0), { shape: [0, 3] }) })).tensors;
    expect(decoded.scalar!.shape).toEqual([]);
    expect(decoded.scalar!.item()).toBe(7);
    expect(decoded.empty!.shape).toEqual([0, 3]);
  });

  it('reads bytes that are a view into a larger buffer', () => {
    const file = toSafetensors({ w: tensor([1, 2, 3]) });
    const larger = new Uint8Array(file.length + 5);
    larger.set(file, 5);
    expect(fromSafetensors(larger.subarray(5)).tensors.w!.toArray()).toEqual([1, 2, 3]);
  });

  it('returns copies that do not alias the input bytes', () => {
    const file = toSafetensors({ w: tensor([1, 2]) });
    const w = fromSafetensors(file).tensors.w!;
    file.fill(0, file.length - 8);
    expect(w.toArray()).toEqual([1, 2]);
  });
});

describe('fromSafetensors on corrupt files', () => {
  const good = '{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
  const goodData = [...F32.one, ...F32.two];

  it('rejects a file shorter than the 8-byte length field', () => {
    expectCheckpointError(new Uint8Array(5), /8-byte header length, got a file of 5 bytes/);
  });

  it('rejects a header length beyond the end of the file', () => {
    expectCheckpointError(buildFile(good, goodData, 4000), /header length must fit in the \d+ bytes after the length field, got 4000/);
  });

  it('rejects an absurd header length without reading it', () => {
    const file = buildFile(good, goodData);
    file[7] = 0xff;
    expectCheckpointError(file, /header length must be at most 100000000 bytes/);
  });

  it('rejects a truncated data buffer', () => {
    const file = buildFile(good, goodData);
    expectCheckpointError(file.subarray(0, file.length - 3), /must lie inside the 5-byte data buffer, got \[0,8\]/);
  });

  it('rejects invalid JSON, a header that is not an object, and invalid UTF-8', () => {
    expectCheckpointError(buildFile('{"w":{"dtype":', []), /header must be valid JSON/);
    expectCheckpointError(buildFile('[1,2]', []), /header must begin with '\{'/);
    expectCheckpointError(buildFile(' {}', []), /header must begin with '\{'/);
    const invalidUtf8 = buildFile('{"\u00ff":1}', []);
    expectCheckpointError(invalidUtf8, /header must be UTF-8 text/);
  });

  it('rejects an unsupported dtype', () => {
    expectCheckpointError(buildFile('{"w":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}}', goodData), /tensor 'w': dtype must be 'F32' or 'F64', got "F16"/);
  });

  it('rejects offsets that do not match the dtype and shape', () => {
    expectCheckpointError(buildFile('{"w":{"dtype":"F64","shape":[2],"data_offsets":[0,8]}}', goodData), /span 8 bytes but F64 shape \[2\] needs 16/);
  });

  it('rejects malformed shapes and offsets', () => {
    expectCheckpointError(buildFile('{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}', goodData), /shape must be an array of non-negative integers/);
    expectCheckpointError(buildFile('{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}', goodData), /data_offsets must be \[begin, end\] with 0 <= begin <= end, got array \[8,0\]/);
    expectCheckpointError(buildFile('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"extra":1}}', goodData), /got also extra/);
  });

  it('rejects overlapping tensors', () => {
    const header = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}';
    expectCheckpointError(buildFile(header, [...goodData, ...F32.three]), /must not overlap, got 'b' at \[4,12\] overlapping 'a' at \[0,8\]/);
  });

  it('rejects out-of-range offsets', () => {
    const header = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}';
    expectCheckpointError(buildFile(header, goodData), /must lie inside the 8-byte data buffer, got \[4,12\]/);
  });

  it('rejects a hole in the data buffer and trailing bytes', () => {
    const hole = '{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
    expectCheckpointError(buildFile(hole, goodData), /no holes, got bytes \[0,4\) that belong to no tensor/);
    expectCheckpointError(buildFile(good, [...goodData, 0, 0]), /got 2 trailing bytes/);
  });

  it('rejects metadata that is not a string → string map', () => {
    expectCheckpointError(buildFile(`{"__metadata__":{"step":3},${good.slice(1)}`, goodData), /__metadata__ values must be strings, got 3 for 'step'/);
  });
});

describe('the codec is browser-safe', () => {
  it('imports no node: module anywhere in src/checkpoint', () => {
    const folder = new URL('../src/checkpoint/', import.meta.url);
    const files = readdirSync(folder).filter((file) => file.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(3);
    for (const file of files) expect(readFileSync(new URL(file, folder), 'utf8')).not.toMatch(/from 'node:/);
  });
});
