import { FunctionBuilder } from './builder.js';
import type { FunctionDefinition } from './encoder.js';

/**
 * Packing kernels: copy whole panels of an operand (already copied into the kernel memory) into
 * the k-major panel layout the gemm micro-kernel reads (see pack.ts for the layout and for the
 * ragged last panel, which the host packs). Element (line, k) of the operand sits at
 * `source + line·lineStride + k·depthStride` bytes.
 *
 * - `packStrided{width}`: arbitrary strides, one f32 load/store per element (rows of A, columns of a
 *   transposed B: the `width` values of one k are `lineStride` apart).
 * - `packContiguous{width}`: lineStride = 4 bytes (columns of B, rows of a transposed A): the
 *   `width` values of one k are adjacent, so each k is copied as width/4 v128 vectors.
 */
export function packFunctions(widths: readonly number[]): FunctionDefinition[] {
  return widths.flatMap((width) => [packFunction(width, false), packFunction(width, true)]);
}

/** name(source, target, panels, depth, lineStride, depthStride): packs `panels` full panels. */
function packFunction(width: number, contiguous: boolean): FunctionDefinition {
  const f = new FunctionBuilder(`${contiguous ? 'packContiguous' : 'packStrided'}${width}`);
  const source = f.param('source', 'i32');
  const target = f.param('target', 'i32');
  const panels = f.param('panels', 'i32');
  const depth = f.param('depth', 'i32');
  const lineStride = f.param('lineStride', 'i32');
  const depthStride = f.param('depthStride', 'i32');
  const panel = f.local('panel', 'i32');
  const panelsEnd = f.local('panelsEnd', 'i32');
  const panelStride = f.local('panelStride', 'i32');
  const at = f.local('at', 'i32');
  const atEnd = f.local('atEnd', 'i32');
  const line = f.local('line', 'i32');
  f.get(lineStride).i32(width).op('i32.mul').set(panelStride);
  f.get(source).set(panel);
  f.get(panelStride).get(panels).op('i32.mul').get(source).op('i32.add').set(panelsEnd);
  f.whileBelow(panel, panelsEnd, panelStride, () => {
    f.get(panel).set(at);
    f.get(depth).get(depthStride).op('i32.mul').get(panel).op('i32.add').set(atEnd);
    f.whileBelow(at, atEnd, depthStride, () => {
      if (contiguous) {
        for (let v = 0; v < width / 4; v++) f.get(target).get(at).memory('v128.load', 16 * v).memory('v128.store', 16 * v);
      } else {
        f.get(at).set(line);
        for (let w = 0; w < width; w++) {
          f.get(target).get(line).memory('f32.load').memory('f32.store', 4 * w);
          if (w < width - 1) f.increment(line, lineStride);
        }
      }
      f.increment(target, width * 4);
    });
  });
  return f.finish();
}
