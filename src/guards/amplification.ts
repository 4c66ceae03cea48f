/*
 * Gradient amplification: how much a module multiplies the gradient norm on its way back.
 * The chain rule makes the gradient at layer 1 the product of every layer's Jacobian above it;
 * when those factors sit above 1 the product explodes, below 1 it vanishes. Here each factor is
 * measured: ‖gradient leaving towards the module's input‖ / ‖gradient arriving at its output‖.
 *
 * Single modules mislead: with He init a Linear alone multiplies the norm by ~√2 and the ReLU
 * after it by ~1/√2. So modules are grouped into blocks (a module with parameters and the
 * parameter-free modules after it, such as Linear + ReLU), and the verdict uses the product over depth.
 */

/** A module's entry in a monitor record. */
export interface LayerStat {
  /** 2-norm of the module's own parameter gradients; 0 when it has none. */
  gradNorm: number;
  /** ‖gradient towards its input‖ / ‖gradient at its output‖; NaN when its input needs no gradient. */
  amplification: number;
}

/** A block (a module with parameters and the parameter-free modules that follow it) and its product. */
export interface BlockStat {
  /** Module paths in the block, forward order (`['2', '3']` for Linear '2' + ReLU '3'). */
  modules: string[];
  /** Product of the members' amplifications (NaN when any member's is unmeasurable). */
  amplification: number;
}

export { AmplificationTracker, type ModuleNonFinite } from './amplification-tracker.js';

/**
 * The module a parameter belongs to.
 * @example moduleOfParameter('layers.0.bias'); // 'layers.0' ('3.weight' → '3', 'scale' → '')
 */
export function moduleOfParameter(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? '' : name.slice(0, dot);
}

/**
 * Modules of `order` that contain no other listed module (the layers, not the containers).
 * @example leafModules(['0', '1', '1.body', '1.body.0']); // ['0', '1.body.0']
 */
export function leafModules(order: readonly string[]): string[] {
  return order.filter((path) => !order.some((other) => other !== path && other.startsWith(`${path}.`)));
}

/**
 * Groups the leaf modules of a record into blocks: each module that owns parameters starts a
 * block, and the parameter-free modules after it (activations) join it. Parameter-free modules
 * before the first parameterised one form a block of their own.
 * @example
 * const record = monitor.latest()!;
 * const owners = new Set(Object.keys(record.parameters).map(moduleOfParameter));
 * blocksOf(record.order, record.layers, (m) => owners.has(m)); // [{ modules: ['0', '1'], amplification: NaN }, { modules: ['2', '3'], amplification: 1.02 }, …]
 */
export function blocksOf(
  order: readonly string[],
  layers: Readonly<Record<string, LayerStat>>,
  ownsParameters: (module: string) => boolean,
): BlockStat[] {
  const blocks: BlockStat[] = [];
  for (const module of leafModules(order)) {
    const current = blocks[blocks.length - 1];
    if (current === undefined || ownsParameters(module)) blocks.push({ modules: [module], amplification: 1 });
    else current.modules.push(module);
  }
  for (const block of blocks) {
    for (const module of block.modules) block.amplification *= layers[module]?.amplification ?? NaN;
  }
  return blocks;
}

/**
 * The product of the measurable leaf-module amplifications: for a chain of layers this is
 * ‖gradient at the earliest measurable input‖ / ‖gradient at the network's output‖, the
 * chain rule's total factor over depth. NaN when no module was measurable (no module ran,
 * or every gradient was already NaN).
 * @example
 * const record = monitor.latest()!;
 * depthProduct(record.order, record.layers); // ≈ 1 for a He-initialised ReLU MLP, ≈ 2^depth at 2 × He
 */
export function depthProduct(order: readonly string[], layers: Readonly<Record<string, LayerStat>>): number {
  let product = 1;
  let measured = 0;
  for (const module of leafModules(order)) {
    const a = layers[module]?.amplification ?? NaN;
    if (Number.isNaN(a)) continue;
    product *= a;
    measured++;
  }
  return measured === 0 ? NaN : product;
}
