import { ArgumentError, checkOptions, describeValue } from '../errors.js';
import type { DType } from '../tensor/dtype.js';
import { GELU, LeakyReLU, ReLU, Sigmoid, Tanh } from './activations.js';
import { Residual, Sequential } from './containers.js';
import * as init from './init.js';
import { Linear } from './linear.js';
import type { Module } from './module.js';

/** The activations `mlp` can place after each hidden Linear, or a factory for any module. */
export type ActivationName = 'relu' | 'leakyRelu' | 'tanh' | 'sigmoid' | 'gelu';

/**
 * How `mlp` initialises each Linear. `'default'` is PyTorch's Linear init; `'kaimingNormal'` /
 * `'kaimingUniform'` are He init for ReLU (std √(2/in)); `'xavierNormal'` / `'xavierUniform'`
 * are Glorot. Every scheme except `'default'` sets the biases to 0.
 */
export type InitName = 'default' | 'kaimingNormal' | 'kaimingUniform' | 'xavierNormal' | 'xavierUniform';

const INIT_NAMES: readonly InitName[] = ['default', 'kaimingNormal', 'kaimingUniform', 'xavierNormal', 'xavierUniform'];

/** Options of `mlp`. */
export interface MlpOptions {
  activation?: ActivationName | (() => Module);
  init?: InitName;
  /**
   * Multiplies the init's standard deviation (default 1). With `'kaimingNormal'`, gain 1 keeps
   * activations' scale through a deep ReLU stack; gain 1.5 makes it grow by 1.5 per layer, so a
   * 20-layer net explodes on purpose.
   */
  gain?: number;
  /** Wrap each hidden block whose input and output widths match in a skip connection x + block(x). */
  residual?: boolean;
  /** Give every Linear a bias (default true). */
  bias?: boolean;
  dtype?: DType;
}

function makeActivation(activation: ActivationName | (() => Module)): Module {
  if (typeof activation === 'function') return activation();
  switch (activation) {
    case 'relu': return new ReLU();
    case 'leakyRelu': return new LeakyReLU();
    case 'tanh': return new Tanh();
    case 'sigmoid': return new Sigmoid();
    case 'gelu': return new GELU();
    default: throw new ArgumentError('mlp', `activation must be 'relu', 'leakyRelu', 'tanh', 'sigmoid', 'gelu' or a function returning a Module, got ${describeValue(activation)}`);
  }
}

/** Re-initialises one Linear by `scheme`, scaled by `gain`. */
function initialise(layer: Linear, scheme: InitName, gain: number): void {
  if (scheme === 'default') {
    // The constructor already drew PyTorch's default init; only the scale changes.
    const weight = layer.weight.data;
    if (gain !== 1) for (let i = 0; i < weight.length; i++) weight[i] = weight[i]! * gain;
    layer.weight.bumpVersion();
    return;
  }
  const { fanIn, fanOut } = init.fans(layer.weight);
  const heStd = Math.SQRT2 / Math.sqrt(fanIn);
  const glorotStd = Math.sqrt(2 / (fanIn + fanOut));
  const std = gain * (scheme.startsWith('kaiming') ? heStd : glorotStd);
  if (scheme.endsWith('Normal')) init.normal(layer.weight, 0, std);
  else init.uniform(layer.weight, -Math.sqrt(3) * std, Math.sqrt(3) * std);
  if (layer.bias !== null) init.zeros(layer.bias);
}

/**
 * A multi-layer perceptron of any depth: `sizes = [in, h1, …, out]` gives Linear(in, h1),
 * activation, Linear(h1, h2), activation, …, Linear(h_last, out) in a `Sequential`, so the
 * parameter names are those of the same `nn.Sequential` in PyTorch (`'0.weight'`, `'2.weight'`, …).
 * With `residual`, each hidden block Linear(h, h) + activation becomes `Residual(Sequential(…))`.
 * @example
 * const model = nn.mlp([2, 64, 64, 3]);                                   // spiral classifier
 * const deep = nn.mlp([32, ...Array(16).fill(64), 10], { init: 'kaimingNormal' });
 * const exploding = nn.mlp([32, ...Array(20).fill(64), 10], { init: 'kaimingNormal', gain: 1.5 });
 */
export function mlp(sizes: readonly number[], options: MlpOptions = {}): Sequential {
  if (!Array.isArray(sizes) || sizes.length < 2 || !sizes.every((n) => Number.isInteger(n) && n > 0)) {
    throw new ArgumentError('mlp', `sizes must be at least two positive integers [in, …, out], got ${describeValue(sizes)}`);
  }
  const { activation = 'relu', init: scheme = 'default', gain = 1, residual = false, bias = true, dtype = 'float32' } = checkOptions('mlp', options);
  if (typeof gain !== 'number' || !(gain > 0) || !Number.isFinite(gain)) throw new ArgumentError('mlp', `gain must be a finite number > 0, got ${describeValue(gain)}`);
  if (!INIT_NAMES.includes(scheme)) throw new ArgumentError('mlp', `init must be one of ${INIT_NAMES.join(', ')}, got ${describeValue(scheme)}`);
  const modules: Module[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    const layer = new Linear(sizes[i]!, sizes[i + 1]!, { bias, dtype });
    initialise(layer, scheme, gain);
    const last = i + 2 === sizes.length;
    if (last) modules.push(layer);
    else if (residual && sizes[i] === sizes[i + 1]) modules.push(new Residual(new Sequential(layer, makeActivation(activation))));
    else modules.push(layer, makeActivation(activation));
  }
  return new Sequential(...modules);
}
