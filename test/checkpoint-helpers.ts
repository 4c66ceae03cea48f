/**
 * Test helpers for checkpoint files, written from the safetensors spec independently of
 * src/checkpoint: they read and write the raw layout (u64 LE length, JSON header, data buffer).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Tensor } from '../src/index.js';

export interface RawFile {
  header: Record<string, unknown>;
  data: Uint8Array;
}

/** Splits a file into its parsed header and its data buffer, by the spec's layout. */
export function readRaw(bytes: Uint8Array): RawFile {
  let length = 0;
  for (let i = 7; i >= 0; i--) length = length * 256 + bytes[i]!;
  const text = new TextDecoder().decode(bytes.subarray(8, 8 + length));
  return { header: JSON.parse(text) as Record<string, unknown>, data: bytes.slice(8 + length) };
}

/** Joins a header (serialized as given, unpadded) and a data buffer into a file. */
export function writeRaw(header: Record<string, unknown> | string, data: Uint8Array): Uint8Array {
  const text = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + text.length + data.length);
  let length = text.length;
  for (let i = 0; i < 8; i++) {
    out[i] = length % 256;
    length = Math.floor(length / 256);
  }
  out.set(text, 8);
  out.set(data, 8 + text.length);
  return out;
}

/** The exact bits of a tensor's values, to compare two tensors bit for bit. */
export function bitsOf(t: Tensor): number[] {
  return [...new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)];
}

/** Every tensor of a state dict as bits, keyed by name. */
export function stateBits(state: Record<string, Tensor>): Record<string, number[]> {
  return Object.fromEntries(Object.entries(state).map(([name, t]) => [name, bitsOf(t)]));
}

/** A fresh temporary directory, and a function that removes it. */
export function temporaryDirectory(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'gradguard-checkpoint-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
