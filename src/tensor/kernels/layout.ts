import type { TypedArray } from '../dtype.js';

/** out = xᵀ for a row-major [rows, cols] matrix. */
export function transpose2d(x: TypedArray, rows: number, cols: number, out: TypedArray): void {
  for (let r = 0; r < rows; r++) {
    const rowStart = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = x[rowStart + c]!;
  }
}
