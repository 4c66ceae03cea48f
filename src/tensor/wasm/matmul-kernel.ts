import { FunctionBuilder, type Local } from './builder.js';
import type { FunctionDefinition } from './encoder.js';

/**
 * The shape of the register tile: each call of the micro-kernel computes a rows × columns block of
 * C, holding it in rows × (columns / 4) v128 accumulators for the whole k loop,
 * so C is touched once per tile and every loaded value of A and B feeds several multiply-adds.
 * x64 has 16 vector registers: 8 accumulators + 2 vectors of B + 1 splat of A + 1 product fit.
 */
export interface TileShape {
  rows: number;
  /** A multiple of 4 (one v128 holds 4 floats). */
  columns: number;
}

/**
 * 4 × 8, with the k loop not unrolled: on V8 (Node 20, x64) 4×8 ran at about twice the speed of
 * 5×8, 6×8, 4×12 or 8×8 (more accumulators than free registers means spills), and unrolling k by 2
 * or 4 made it about 1.5× slower, not faster.
 */
export const TILE: TileShape = { rows: 4, columns: 8 };

const FLOAT_BYTES = 4;

/**
 * gemm(aPacked, bPacked, c, rowPanels, columnPanels, depth, rowBytes, accumulate):
 * C[rowPanels·tile.rows, columnPanels·tile.columns] (+)= A·B from packed operands.
 *
 * Packed layout (written by pack.ts): A is split into panels of tile.rows rows, each stored
 * k-major (`a[k][row]`, tile.rows floats per k); B into panels of tile.columns columns, each stored
 * k-major (`b[k][column]`). The micro-kernel then reads both panels front to back:
 *
 *   for k: b0..b1 = the tile.columns floats of B at k;  for each row r: acc[r] += splat(a[k][r]) · b
 *
 * `rowBytes` is the byte stride between rows of C; `accumulate` (0 or 1) adds the tile to C
 * instead of overwriting it.
 */
export function gemmFunction(tile: TileShape = TILE): FunctionDefinition {
  const f = new FunctionBuilder('gemm');
  const aPacked = f.param('aPacked', 'i32');
  const bPacked = f.param('bPacked', 'i32');
  const c = f.param('c', 'i32');
  const rowPanels = f.param('rowPanels', 'i32');
  const columnPanels = f.param('columnPanels', 'i32');
  const depth = f.param('depth', 'i32');
  const rowBytes = f.param('rowBytes', 'i32');
  const accumulate = f.param('accumulate', 'i32');
  const v = {
    aPanel: f.local('aPanel', 'i32'), aPanelsEnd: f.local('aPanelsEnd', 'i32'), aPanelBytes: f.local('aPanelBytes', 'i32'),
    bPanel: f.local('bPanel', 'i32'), bPanelsEnd: f.local('bPanelsEnd', 'i32'), bPanelBytes: f.local('bPanelBytes', 'i32'),
    cRow: f.local('cRow', 'i32'), cTile: f.local('cTile', 'i32'), cPanelBytes: f.local('cPanelBytes', 'i32'),
  };
  f.get(depth).i32(tile.rows * FLOAT_BYTES).op('i32.mul').set(v.aPanelBytes);
  f.get(depth).i32(tile.columns * FLOAT_BYTES).op('i32.mul').set(v.bPanelBytes);
  f.get(rowBytes).i32(tile.rows).op('i32.mul').set(v.cPanelBytes);
  f.get(v.aPanelBytes).get(rowPanels).op('i32.mul').get(aPacked).op('i32.add').set(v.aPanelsEnd);
  f.get(v.bPanelBytes).get(columnPanels).op('i32.mul').get(bPacked).op('i32.add').set(v.bPanelsEnd);
  f.get(aPacked).set(v.aPanel);
  f.get(c).set(v.cRow);
  const locals = tileLocals(f, tile);
  f.whileBelow(v.aPanel, v.aPanelsEnd, v.aPanelBytes, () => {
    f.get(bPacked).set(v.bPanel);
    f.get(v.cRow).set(v.cTile);
    f.whileBelow(v.bPanel, v.bPanelsEnd, v.bPanelBytes, () => {
      emitMicroKernel(f, tile, locals, v.aPanel, v.bPanel, v.aPanelBytes);
      emitStoreTile(f, locals, v.cTile, rowBytes, accumulate);
      f.increment(v.cTile, tile.columns * FLOAT_BYTES);
    });
    f.increment(v.cRow, v.cPanelBytes);
  });
  return f.finish();
}

interface TileLocals {
  accumulators: Local[][];
  bVectors: Local[];
  aSplat: Local;
  aPointer: Local;
  bPointer: Local;
  aEnd: Local;
  cPointer: Local;
}

function tileLocals(f: FunctionBuilder, tile: TileShape): TileLocals {
  const accumulators: Local[][] = [];
  for (let r = 0; r < tile.rows; r++) {
    const row: Local[] = [];
    for (let j = 0; j < tile.columns / 4; j++) row.push(f.local(`acc${r}_${j}`, 'v128'));
    accumulators.push(row);
  }
  const bVectors: Local[] = [];
  for (let j = 0; j < tile.columns / 4; j++) bVectors.push(f.local(`b${j}`, 'v128'));
  return {
    accumulators, bVectors, aSplat: f.local('a', 'v128'),
    aPointer: f.local('aPointer', 'i32'), bPointer: f.local('bPointer', 'i32'),
    aEnd: f.local('aEnd', 'i32'), cPointer: f.local('cPointer', 'i32'),
  };
}

/** acc = 0; for k in depth: acc[r][j] += splat(a[k][r]) · b[k][4j..4j+3]. */
function emitMicroKernel(
  f: FunctionBuilder, tile: TileShape, t: TileLocals, aPanel: Local, bPanel: Local, aPanelBytes: Local,
): void {
  for (const row of t.accumulators) for (const acc of row) f.v128Zero().set(acc);
  f.get(aPanel).set(t.aPointer);
  f.get(bPanel).set(t.bPointer);
  f.get(aPanel).get(aPanelBytes).op('i32.add').set(t.aEnd);
  f.whileBelow(t.aPointer, t.aEnd, tile.rows * FLOAT_BYTES, () => {
    t.bVectors.forEach((b, j) => {
      f.get(t.bPointer).memory('v128.load', 4 * j * FLOAT_BYTES).set(b);
    });
    t.accumulators.forEach((row, r) => {
      f.get(t.aPointer).memory('v128.load32_splat', r * FLOAT_BYTES).set(t.aSplat);
      row.forEach((acc, j) => {
        f.get(acc).get(t.aSplat).get(t.bVectors[j]!).op('f32x4.mul').op('f32x4.add').set(acc);
      });
    });
    f.increment(t.bPointer, tile.columns * FLOAT_BYTES);
  });
}

/** C tile = acc, or C tile += acc when `accumulate` is set. */
function emitStoreTile(f: FunctionBuilder, t: TileLocals, cTile: Local, rowBytes: Local, accumulate: Local): void {
  const store = (add: boolean): void => {
    f.get(cTile).set(t.cPointer);
    t.accumulators.forEach((row) => {
      row.forEach((acc, j) => {
        f.get(t.cPointer);
        if (add) f.get(t.cPointer).memory('v128.load', 16 * j).get(acc).op('f32x4.add');
        else f.get(acc);
        f.memory('v128.store', 16 * j);
      });
      f.increment(t.cPointer, rowBytes);
    });
  };
  f.get(accumulate).if(() => store(true), () => store(false));
}
