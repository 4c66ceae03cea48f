import { NonFiniteError, countOf, formatShape, positiveInteger } from '../errors.js';
import type { TypedArray } from '../tensor/dtype.js';
import { Tensor } from '../autograd/tensor.js';

/** Where a non-finite value sits in a batch: its row (the index along the first axis) and more. */
export interface NonFiniteEntry {
  /** Row of the batch (index along the first axis; 0 for a 0-d or 1-element batch). */
  row: number;
  /** Flat position of the value inside its row. */
  column: number;
  /** NaN, Infinity or -Infinity. */
  value: number;
}

/** Options of `checkBatch`. */
export interface CheckBatchOptions {
  /** How the batch is named in the error (`'inputs'`, `'targets'`). Default `'batch'`. */
  name?: string;
  /** How many offending rows to list in the message. Default 5. */
  maxRows?: number;
}

/**
 * Every non-finite value of a batch, row by row (row = index along the first axis), as
 * `{ row, column, value }`. Empty when the batch is clean. One pass over the data.
 *
 * @example
 * findNonFinite(tensor([[1, 2], [NaN, 4]])); // [{ row: 1, column: 0, value: NaN }]
 */
export function findNonFinite(batch: Tensor | TypedArray, options: { rowSize?: number } = {}): NonFiniteEntry[] {
  const { data, rowSize } = rowsOf(batch, options.rowSize);
  const found: NonFiniteEntry[] = [];
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v - v !== 0) found.push({ row: Math.floor(i / rowSize), column: i % rowSize, value: v });
  }
  return found;
}

/**
 * A data guard: throws `NonFiniteError` (op `'checkBatch'`, phase `'forward'`) when an input
 * batch holds NaN or ±Inf, naming the batch and the offending rows, so that a bad example is
 * found before it poisons a training step. Returns the batch, so it can wrap an expression.
 *
 * @example
 * for (const [x, y] of loader) {
 *   const logits = model.forward(checkBatch(x, { name: 'inputs' }));
 *   …
 * }
 */
export function checkBatch<T extends Tensor | TypedArray>(batch: T, options: CheckBatchOptions = {}): T {
  const found = findNonFinite(batch);
  if (found.length === 0) return batch;
  const name = options.name ?? 'batch';
  const maxRows = options.maxRows ?? 5;
  const rows = [...new Set(found.map((entry) => entry.row))];
  const listed = rows.slice(0, maxRows).map((row) => {
    const first = found.find((entry) => entry.row === row)!;
    return `row ${row} (column ${first.column} is ${first.value})`;
  });
  const more = rows.length > maxRows ? ` and ${rows.length - maxRows} more row(s)` : '';
  const shape = batch instanceof Tensor ? ` of shape ${formatShape(batch.shape)}` : '';
  throw new NonFiniteError(
    'checkBatch',
    'forward',
    undefined,
    `${name}${shape} holds ${countOf(found.length, 'non-finite value')} in ${countOf(rows.length, 'row')}: ${listed.join(', ')}${more}`,
  );
}

function rowsOf(batch: Tensor | TypedArray, rowSize: number | undefined): { data: TypedArray; rowSize: number } {
  if (batch instanceof Tensor) {
    const rows = batch.ndim === 0 ? 1 : batch.shape[0]!;
    return { data: batch.data, rowSize: rows === 0 ? 1 : Math.max(1, batch.size / rows) };
  }
  const size = rowSize ?? 1;
  return { data: batch, rowSize: positiveInteger('findNonFinite', 'rowSize', size) };
}
