import { ArgumentError, ShapeError, describeValue, formatShape } from '../errors.js';
import { noGrad } from '../autograd/graph.js';
import type { Tensor } from '../autograd/tensor.js';
import { fillNormal, fillUniform, globalGenerator, type Generator } from '../tensor/rng.js';

/*
 * Parameter initialisation, with the formulas of `torch.nn.init`. Every function fills the
 * tensor in place from the seeded global generator (or `generator`), outside any graph,
 * and returns it.
 */

/** The non-linearities `calculateGain` knows. */
export type Nonlinearity = 'linear' | 'sigmoid' | 'tanh' | 'relu' | 'leakyRelu' | 'selu';

/** Which fan sets the scale: `fanIn` keeps forward activations' variance, `fanOut` backward gradients'. */
export type FanMode = 'fanIn' | 'fanOut';

/** Options of the Kaiming (He) initialisers. */
export interface KaimingOptions {
  /** Negative slope of the leaky ReLU that follows (0 for ReLU). */
  a?: number;
  mode?: FanMode;
  nonlinearity?: Nonlinearity;
  generator?: Generator;
}

/**
 * The recommended gain for a non-linearity (PyTorch's `calculate_gain`): 1 for linear and
 * sigmoid, 5/3 for tanh, √2 for ReLU, √(2/(1 + slope²)) for leaky ReLU, 3/4 for SELU.
 * @example nn.init.calculateGain('relu'); // 1.4142…
 */
export function calculateGain(nonlinearity: Nonlinearity, slope = 0.01): number {
  switch (nonlinearity) {
    case 'linear':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leakyRelu':
      return Math.sqrt(2 / (1 + slope * slope));
    case 'selu':
      return 3 / 4;
    default:
      throw new ArgumentError('calculateGain', `nonlinearity must be 'linear', 'sigmoid', 'tanh', 'relu', 'leakyRelu' or 'selu', got ${describeValue(nonlinearity)}`);
  }
}

/**
 * fan_in and fan_out of a weight: for [out, in] they are in and out; dimensions past the second
 * (convolution kernels) multiply both, as PyTorch's `_calculate_fan_in_and_fan_out`.
 * @example
 * nn.init.fans(zeros([3, 5])); // { fanIn: 5, fanOut: 3 }
 */
export function fans(tensor: Tensor): { fanIn: number; fanOut: number } {
  if (tensor.ndim < 2) {
    throw new ShapeError('init', `fan in and fan out need a tensor with at least 2 dimensions, got ${formatShape(tensor.shape)}`, [tensor.shape]);
  }
  let receptive = 1;
  for (let axis = 2; axis < tensor.ndim; axis++) receptive *= tensor.shape[axis]!;
  return { fanIn: tensor.shape[1]! * receptive, fanOut: tensor.shape[0]! * receptive };
}

function kaimingStd(tensor: Tensor, options: KaimingOptions): number {
  const { a = 0, mode = 'fanIn', nonlinearity = 'leakyRelu' } = options;
  const { fanIn, fanOut } = fans(tensor);
  const fan = mode === 'fanIn' ? fanIn : fanOut;
  return calculateGain(nonlinearity, a) / Math.sqrt(fan);
}

/**
 * He uniform: U(−b, b) with b = gain·√(3/fan) (PyTorch's `kaiming_uniform_`; default gain √2).
 * @example nn.init.kaimingUniform(linear.weight, { nonlinearity: 'relu' });
 */
export function kaimingUniform(tensor: Tensor, options: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(tensor, options);
  return uniform(tensor, -bound, bound, options.generator);
}

/**
 * He normal: N(0, std²) with std = gain/√fan (PyTorch's `kaiming_normal_`).
 * @example nn.init.kaimingNormal(linear.weight, { nonlinearity: 'relu' }); // std √(2/in)
 */
export function kaimingNormal(tensor: Tensor, options: KaimingOptions = {}): Tensor {
  return normal(tensor, 0, kaimingStd(tensor, options), options.generator);
}

/**
 * Glorot uniform: U(−b, b) with b = gain·√(6/(fan_in + fan_out)) (PyTorch's `xavier_uniform_`).
 * @example nn.init.xavierUniform(linear.weight);
 */
export function xavierUniform(tensor: Tensor, gain = 1, generator: Generator = globalGenerator): Tensor {
  const { fanIn, fanOut } = fans(tensor);
  const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform(tensor, -bound, bound, generator);
}

/**
 * Glorot normal: N(0, std²) with std = gain·√(2/(fan_in + fan_out)) (PyTorch's `xavier_normal_`).
 * @example nn.init.xavierNormal(linear.weight, nn.init.calculateGain('tanh'));
 */
export function xavierNormal(tensor: Tensor, gain = 1, generator: Generator = globalGenerator): Tensor {
  const { fanIn, fanOut } = fans(tensor);
  return normal(tensor, 0, gain * Math.sqrt(2 / (fanIn + fanOut)), generator);
}

/**
 * N(mean, std²) samples, in place.
 * @example nn.init.normal(linear.weight, 0, 0.02);
 */
export function normal(tensor: Tensor, mean = 0, std = 1, generator: Generator = globalGenerator): Tensor {
  if (!(std >= 0)) throw new ArgumentError('init.normal', `std must be ≥ 0, got ${std}`);
  noGrad(() => fillNormal(tensor.data, mean, std, generator));
  tensor.bumpVersion();
  return tensor;
}

/**
 * U(a, b) samples, in place.
 * @example nn.init.uniform(linear.bias, -0.1, 0.1);
 */
export function uniform(tensor: Tensor, a = 0, b = 1, generator: Generator = globalGenerator): Tensor {
  if (!(a <= b)) throw new ArgumentError('init.uniform', `a must be ≤ b, got a ${a}, b ${b}`);
  noGrad(() => fillUniform(tensor.data, a, b, generator));
  tensor.bumpVersion();
  return tensor;
}

/**
 * Zeros, in place.
 * @example nn.init.zeros(linear.bias);
 */
export function zeros(tensor: Tensor): Tensor {
  return noGrad(() => tensor.zero_());
}

/**
 * Fills with a constant, in place.
 * @example nn.init.constant(layerNorm.weight, 1);
 */
export function constant(tensor: Tensor, value: number): Tensor {
  return noGrad(() => tensor.fill_(value));
}
