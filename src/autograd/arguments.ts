import { ArgumentError, describeValue } from '../errors.js';

/* The number checks behind the Tensor methods' arguments: each names the op, the argument and what it got. */

/** `value` if it is a number (NaN and ±Infinity included). @example checkNumber('fill_', 'value', 0.5) */
export function checkNumber(op: string, name: string, value: unknown): number {
  if (typeof value !== 'number') throw new ArgumentError(op, `${name} must be a number, got ${describeValue(value)}`);
  return value;
}

/** `value` if it is a finite number. @example checkFinite('leakyRelu', 'slope', 0.01) */
export function checkFinite(op: string, name: string, value: unknown): number {
  if (!Number.isFinite(checkNumber(op, name, value))) throw new ArgumentError(op, `${name} must be a finite number, got ${String(value)}`);
  return value as number;
}

/** A clamp bound: a number, ±Infinity allowed (an open side), NaN not (it would silently turn every value into NaN). */
export function checkBound(name: string, value: unknown, op = 'clamp'): number {
  if (Number.isNaN(checkNumber(op, name, value))) throw new ArgumentError(op, `${name} must be a number or ±Infinity, got NaN`);
  return value as number;
}
