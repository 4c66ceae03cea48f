import { CheckpointError, ShapeError, formatShape } from '../errors.js';
import { runInScope } from '../autograd/graph.js';
import { Tensor } from '../autograd/tensor.js';
import { shapesEqual } from '../tensor/shape.js';

/** What `loadStateDict` did not use or did not find (only with `strict: false`; strict loading throws instead). */
export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/** The module whose forward is the outermost one running, if any (module paths are relative to it). */
let activeRoot: Module | null = null;

/** Local names (`'0'`, `'fc1'`) given to submodules by their root's last forward. */
const localNames = new WeakMap<Module, string>();

/**
 * Base class of every layer and model, as PyTorch's `nn.Module`:
 * - submodules and parameters are found by property name: every own enumerable property
 *   that holds a `Module`, or a leaf tensor with `requiresGrad` (a parameter). A parameter stays
 *   registered after `requiresGrad = false` (frozen), as in PyTorch: it is still in `parameters()`,
 *   `stateDict()` and `loadStateDict()`; it just gets no gradient, and optimizers skip it;
 * - names are PyTorch's `state_dict` keys: `'fc1.weight'`, `'0.bias'`, `'layers.3.weight'`;
 * - while `forward` runs, every op it records is tagged with the module's dotted path, and its
 *   output is marked as the module's output, so guards can say which layer a gradient belongs to.
 *
 * Subclasses define `forward` as a method (not an arrow-function field): the constructor wraps
 * it once per instance.
 *
 * @example
 * class TwoLayer extends nn.Module {
 *   fc1 = new nn.Linear(2, 8);
 *   fc2 = new nn.Linear(8, 1);
 *   forward(x: Tensor): Tensor { return this.fc2.forward(this.fc1.forward(x).relu()); }
 * }
 * new TwoLayer().namedParameters().map(([name]) => name); // ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']
 */
export abstract class Module {
  /** True in training mode (the default); `eval()` turns it off (Dropout then passes inputs through). */
  training = true;

  abstract forward(...inputs: Tensor[]): Tensor;

  constructor() {
    const forward = this.forward;
    const wrapped = (...inputs: Tensor[]): Tensor => this.runForward(forward, inputs);
    Object.defineProperty(this, 'forward', { value: wrapped, enumerable: false, writable: true, configurable: true });
  }

  /** Runs the user's forward inside this module's scope (the root module's path is `''`). */
  private runForward(forward: (...inputs: Tensor[]) => Tensor, inputs: Tensor[]): Tensor {
    if (activeRoot !== null) {
      return runInScope(localNames.get(this) ?? '', inputs, () => forward.apply(this, inputs));
    }
    activeRoot = this;
    try {
      this.assignNames();
      return runInScope('', inputs, () => forward.apply(this, inputs));
    } finally {
      activeRoot = null;
    }
  }

  /** Gives every submodule its local name and every parameter its key, relative to this module. */
  private assignNames(): void {
    // why one walk of the tree for both: this runs before every root forward (step B: 34 modules)
    const modules = this.namedModules();
    for (const [path, module] of modules) {
      if (path === '') continue;
      const local = path.slice(path.lastIndexOf('.') + 1);
      if (localNames.get(module) !== local) localNames.set(module, local); // a lookup is cheaper than a store
    }
    Module.nameParameters(modules);
  }

  /** Direct submodules with their property names, in definition order. */
  namedChildren(): Array<[string, Module]> {
    const children: Array<[string, Module]> = [];
    for (const key of Object.keys(this)) {
      const value: unknown = Reflect.get(this, key);
      if (value instanceof Module) children.push([key, value]);
    }
    return children;
  }

  /** This module's own parameters (not its children's), with their property names. */
  private ownParameters(): Array<[string, Tensor]> {
    const own: Array<[string, Tensor]> = [];
    for (const key of Object.keys(this)) {
      const value: unknown = Reflect.get(this, key);
      if (value instanceof Tensor && value.isLeaf && value.everRequiredGrad) own.push([key, value]);
    }
    return own;
  }

  /**
   * Every module in the tree, this one first (path `''`), then depth-first in definition order,
   * each once, as PyTorch's `named_modules()`.
   */
  namedModules(): Array<[string, Module]> {
    const out: Array<[string, Module]> = [];
    const seen = new Set<Module>();
    const stack: Array<[string, Module]> = [['', this]];
    while (stack.length > 0) {
      const [path, module] = stack.pop()!;
      if (seen.has(module)) continue;
      seen.add(module);
      out.push([path, module]);
      const children = module.namedChildren();
      for (let i = children.length - 1; i >= 0; i--) {
        const [name, child] = children[i]!;
        stack.push([path === '' ? name : `${path}.${name}`, child]);
      }
    }
    return out;
  }

  /**
   * Parameters with their `state_dict` keys: each module's own parameters, then its children's,
   * as PyTorch's `named_parameters()`. Also sets each parameter's `name` to its key.
   * @example new nn.Sequential(new nn.Linear(2, 3)).namedParameters()[0][0]; // '0.weight'
   */
  namedParameters(): Array<[string, Tensor]> {
    return Module.nameParameters(this.namedModules());
  }

  /**
   * The parameters of `modules` (`namedModules()` order) with their `state_dict` keys: each module's
   * own parameters, then its children's, each once, as PyTorch's `named_parameters()`; sets each
   * parameter's `name` to its key.
   */
  private static nameParameters(modules: ReadonlyArray<[string, Module]>): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [];
    const seen = new Set<Tensor>();
    for (const [path, module] of modules) {
      for (const [name, parameter] of module.ownParameters()) {
        if (seen.has(parameter)) continue;
        seen.add(parameter);
        const key = path === '' ? name : `${path}.${name}`;
        if (parameter.name !== key) parameter.name = key; // why: the same key every forward; no store into an old object
        out.push([key, parameter]);
      }
    }
    return out;
  }

  /** Every parameter, in `namedParameters()` order: what an optimizer takes. */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, parameter]) => parameter);
  }

  /**
   * A copy of every parameter, keyed by its PyTorch `state_dict` name.
   * @example const saved = model.stateDict(); model.loadStateDict(saved);
   */
  stateDict(): Record<string, Tensor> {
    const state: Record<string, Tensor> = {};
    for (const [key, parameter] of this.namedParameters()) state[key] = parameter.clone();
    return state;
  }

  /**
   * Copies `state` into the parameters (values are copied, so later changes to `state` do not
   * reach the model). Everything is checked before anything is written: a missing key, an
   * unexpected key (CheckpointError) or a shape mismatch (ShapeError) leaves the module unchanged.
   * With `strict: false`, missing and unexpected keys are returned instead of thrown.
   */
  loadStateDict(state: Record<string, Tensor>, options: { strict?: boolean } = {}): LoadStateDictResult {
    const strict = options.strict ?? true;
    const parameters = this.namedParameters();
    const known = new Set(parameters.map(([key]) => key));
    const missingKeys = parameters.map(([key]) => key).filter((key) => !Object.hasOwn(state, key));
    const unexpectedKeys = Object.keys(state).filter((key) => !known.has(key));
    checkShapes(parameters, state);
    if (strict && (missingKeys.length > 0 || unexpectedKeys.length > 0)) {
      const parts: string[] = [];
      if (missingKeys.length > 0) parts.push(`missing keys ${missingKeys.map(quote).join(', ')}`);
      if (unexpectedKeys.length > 0) parts.push(`unexpected keys ${unexpectedKeys.map(quote).join(', ')}`);
      throw new CheckpointError('loadStateDict', `the state does not fit the module: ${parts.join('; ')}`);
    }
    for (const [key, parameter] of parameters) {
      const source = state[key];
      if (source === undefined) continue;
      parameter.data.set(source.data);
      parameter.bumpVersion();
    }
    return { missingKeys, unexpectedKeys };
  }

  /** Sets every parameter's `grad` to `null` (PyTorch 2's default `set_to_none=True`); a gradient no one read is recycled (`Tensor.releaseGrad`). */
  zeroGrad(): void {
    for (const parameter of this.parameters()) parameter.releaseGrad();
  }

  /** Training mode for this module and every submodule. Returns `this`. */
  train(mode = true): this {
    for (const [, module] of this.namedModules()) module.training = mode;
    return this;
  }

  /** Evaluation mode (`train(false)`): Dropout passes its input through. Returns `this`. */
  eval(): this {
    return this.train(false);
  }
}

function quote(key: string): string {
  return `'${key}'`;
}

/** Throws a ShapeError naming every key whose tensor does not have its parameter's shape. */
function checkShapes(parameters: Array<[string, Tensor]>, state: Record<string, Tensor>): void {
  const mismatches: string[] = [];
  const shapes: Array<readonly number[]> = [];
  for (const [key, parameter] of parameters) {
    const source = state[key];
    if (source === undefined || shapesEqual(source.shape, parameter.shape)) continue;
    mismatches.push(`'${key}' has shape ${formatShape(source.shape)} in the state but ${formatShape(parameter.shape)} in the module`);
    shapes.push(source.shape, parameter.shape);
  }
  if (mismatches.length > 0) {
    throw new ShapeError('loadStateDict', `size mismatch: ${mismatches.join('; ')}`, shapes);
  }
}
