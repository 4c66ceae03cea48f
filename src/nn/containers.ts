import { checkTensor, type Tensor } from '../autograd/tensor.js';
import { ArgumentError } from '../errors.js';
import { Module } from './module.js';

/**
 * Runs modules one after another, PyTorch's `nn.Sequential`. The children are properties named
 * `'0'`, `'1'`, …, so parameter names are `'0.weight'`, `'2.bias'`, … exactly as in PyTorch.
 * @example
 * const model = new nn.Sequential(new nn.Linear(2, 16), new nn.ReLU(), new nn.Linear(16, 1));
 * model.stateDict(); // keys '0.weight', '0.bias', '2.weight', '2.bias'
 */
export class Sequential extends Module {
  readonly #children: Module[];

  constructor(...modules: Module[]) {
    super();
    modules.forEach((module, index) => {
      if (!(module instanceof Module)) {
        throw new ArgumentError('Sequential', `argument ${index} must be an nn.Module, got ${String(module)}`);
      }
      Object.defineProperty(this, String(index), { value: module, enumerable: true, writable: false, configurable: false });
    });
    this.#children = modules;
  }

  /** Number of modules. */
  get length(): number {
    return this.#children.length;
  }

  /** The module at `index` (negative counts from the end). */
  at(index: number): Module {
    const module = this.#children.at(index);
    if (module === undefined) {
      throw new ArgumentError('Sequential.at', `index must be in [-${this.#children.length}, ${this.#children.length}) for ${this.#children.length} modules, got ${index}`);
    }
    return module;
  }

  /** The modules, in order. */
  [Symbol.iterator](): Iterator<Module> {
    return this.#children[Symbol.iterator]();
  }

  forward(x: Tensor): Tensor {
    let out = x;
    for (const module of this.#children) out = module.forward(out);
    return out;
  }
}

/**
 * x + body(x): a skip connection around `body`, whose output must have x's shape.
 * Its parameters are named `'body.…'`.
 * @example new nn.Residual(new nn.Sequential(new nn.Linear(8, 8), new nn.ReLU()));
 */
export class Residual extends Module {
  constructor(readonly body: Module) {
    super();
  }

  forward(x: Tensor): Tensor {
    return checkTensor('Residual.forward', 'input', x).add(this.body.forward(x));
  }
}
