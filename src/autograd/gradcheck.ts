import { GradientError, formatShape } from '../errors.js';
import { noGrad } from './graph.js';
import { Tensor } from './tensor.js';

/** Tolerances of `gradcheck`: |analytic − numeric| ≤ atol + rtol·|numeric| element by element. */
export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
}

/**
 * Checks the analytic gradient of `fn` against central finite differences,
 * (f(x + eps) − f(x − eps)) / (2·eps), for every element of every input that requires a
 * gradient. Inputs must be float64. The output may have any shape: its elements are summed
 * with fixed random weights, so every output element is checked.
 * @returns true, or throws a GradientError naming the input, the element and both values.
 * @example
 * const x = randn([3, 2], { dtype: 'float64', requiresGrad: true });
 * gradcheck((x) => x.tanh().sum(), [x]); // true
 */
export function gradcheck(fn: (...inputs: Tensor[]) => Tensor, inputs: Tensor[], options: GradcheckOptions = {}): true {
  const { eps = 1e-6, atol = 1e-5, rtol = 1e-3 } = options;
  inputs.forEach((input, index) => {
    if (input.dtype !== 'float64') {
      throw new GradientError('gradcheck', `input ${index} is ${input.dtype}; finite differences need float64 inputs`);
    }
  });
  const probe = noGrad(() => fn(...inputs));
  // Fixed, distinct weights make a scalar that depends on every output element.
  const weights = new Float64Array(probe.size).map((_, i) => 1 + ((i * 7919) % 13) / 13);
  const objective = (): number => {
    const out = noGrad(() => fn(...inputs));
    let total = 0;
    for (let i = 0; i < out.size; i++) total += out.data[i]! * weights[i]!;
    return total;
  };
  const analytic = analyticGradients(fn, inputs, weights);
  inputs.forEach((input, index) => {
    if (!input.requiresGrad) return;
    for (let k = 0; k < input.size; k++) {
      const original = input.data[k]!;
      input.data[k] = original + eps;
      const plus = objective();
      input.data[k] = original - eps;
      const minus = objective();
      input.data[k] = original;
      input.bumpVersion();
      const numeric = (plus - minus) / (2 * eps);
      const exact = analytic[index]?.[k] ?? 0;
      if (!(Math.abs(exact - numeric) <= atol + rtol * Math.abs(numeric))) {
        throw new GradientError(
          'gradcheck',
          `gradient of input ${index} ${formatShape(input.shape)} at element ${k}: analytic ${exact}, numeric ${numeric} ` +
            `(difference ${Math.abs(exact - numeric).toExponential(3)} exceeds atol ${atol} + rtol ${rtol}·|numeric|)`,
        );
      }
    }
  });
  return true;
}

/** The backward pass's gradient of Σ weights·fn(inputs) for each input; the inputs' own `.grad` is left as it was. */
function analyticGradients(fn: (...inputs: Tensor[]) => Tensor, inputs: Tensor[], weights: Float64Array): Array<Float64Array | null> {
  const previous = inputs.map((input) => input.grad);
  try {
    for (const input of inputs) input.grad = null;
    const out = fn(...inputs);
    out.backward({ grad: new Tensor(weights, out.shape.slice()) });
    return inputs.map((input) => (input.grad === null ? null : Float64Array.from(input.grad.data)));
  } finally {
    inputs.forEach((input, index) => (input.grad = previous[index]!));
  }
}
