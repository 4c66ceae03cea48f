import type { ActivationName } from '../nn/mlp.js';
import type { OptionSpec } from './args.js';

/**
 * The activations the CLI offers, by their command-line spelling (kebab-case, as every other
 * value on the command line: `sgd-momentum`, `--init-gain`) → the name `nn.mlp` takes.
 */
const ACTIVATIONS = {
  relu: 'relu',
  'leaky-relu': 'leakyRelu',
  tanh: 'tanh',
  sigmoid: 'sigmoid',
  gelu: 'gelu',
} as const satisfies Record<string, ActivationName>;

type CliActivation = keyof typeof ACTIVATIONS;

/**
 * The `--activation` option shared by `gradguard train` and `gradguard graph`. The help documents
 * `leaky-relu`; `leakyRelu` (the library's spelling) is accepted as well.
 * @example
 * const OPTIONS = { activation: ACTIVATION_OPTION } as const satisfies OptionSpecs;
 */
export const ACTIVATION_OPTION = {
  kind: 'string',
  valueName: 'NAME',
  description: 'activation after each hidden layer',
  choices: Object.keys(ACTIVATIONS),
  aliases: { leakyRelu: 'leaky-relu' },
  default: 'relu',
} as const satisfies OptionSpec<'string'>;

/**
 * The `nn.mlp` activation for a parsed `--activation` value (`'leaky-relu'` → `'leakyRelu'`).
 * @example
 * activationName('leaky-relu'); // 'leakyRelu'
 */
export function activationName(cliName: string): ActivationName {
  return isCliActivation(cliName) ? ACTIVATIONS[cliName] : 'relu';
}

function isCliActivation(name: string): name is CliActivation {
  return Object.hasOwn(ACTIVATIONS, name);
}
