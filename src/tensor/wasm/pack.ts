import { kernel, type WasmKernels } from './runtime.js';

/**
 * Where element (line, k) of an operand sits in its row-major storage: `line * lineStride +
 * k * depthStride`. "Lines" are the rows of A or the columns of B, "depth" is the shared k.
 * Transposed storage only swaps the strides, which is how all four transpose combinations of
 * matmul share one packing routine and one micro-kernel.
 */
export interface OperandView {
  source: Float32Array;
  lines: number;
  depth: number;
  lineStride: number;
  depthStride: number;
}

/**
 * Packs an operand into panels of `width` lines, each panel k-major: panel p holds, for every k,
 * the `width` values (p·width + w, k) side by side, at float index `target` of the kernel memory.
 * The operand is first copied whole to float index `staging`; the full panels are then packed by
 * a WebAssembly kernel (v128 copies when a panel's values are adjacent), the ragged last panel
 * here, with zeros for the missing lines so the micro-kernel never needs an edge case: padded
 * rows and columns of C come out as zeros that are simply not copied back.
 */
export function packOperand(
  kernels: WasmKernels, memory: Float32Array, view: OperandView, width: number, staging: number, target: number,
): void {
  const { source, lines, depth, lineStride, depthStride } = view;
  const size = lines * depth;
  memory.set(source.length === size ? source : source.subarray(0, size), staging);
  const fullPanels = Math.floor(lines / width);
  const name = lineStride === 1 ? `packContiguous${width}` : `packStrided${width}`;
  kernel(kernels, name)(staging * 4, target * 4, fullPanels, depth, lineStride * 4, depthStride * 4);
  const done = fullPanels * width;
  if (done < lines) packLastPanel(view, done, width, memory, target + done * depth);
}

/** The lines from `first` to the end (fewer than `width`), padded with zero lines to a whole panel. */
function packLastPanel(view: OperandView, first: number, width: number, memory: Float32Array, offset: number): void {
  const { source, lines, depth, lineStride, depthStride } = view;
  const count = lines - first;
  let o = offset;
  for (let k = 0; k < depth; k++) {
    let s = first * lineStride + k * depthStride;
    for (let w = 0; w < count; w++, s += lineStride) memory[o + w] = source[s]!;
    for (let w = count; w < width; w++) memory[o + w] = 0;
    o += width;
  }
}
