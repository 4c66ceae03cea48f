import { noGrad } from '../../autograd/graph.js';
import { Tensor } from '../../autograd/tensor.js';
import { ArgumentError, CheckpointError, ShapeError, formatShape, describeValue } from '../../errors.js';
import { allocate, type TypedArray } from '../../tensor/dtype.js';
import { shapesEqual } from '../../tensor/shape.js';
import type { UpdateSize } from '../../tensor/kernels/update-size.js';
import { recordUpdateSize, updateSizeWanted } from '../../tensor/kernels/update-meter.js';

/** Options every optimizer has: the learning rate. Schedules change `group.lr` between steps. */
export interface BaseOptions {
  lr: number;
}

/** A set of parameters sharing options, as PyTorch's `param_groups` entries. */
export type ParamGroup<O extends BaseOptions> = O & {
  params: Tensor[];
  /** The learning rate a schedule started from (PyTorch's `initial_lr`), set by the first schedule. */
  initialLr?: number;
};

/** What an optimizer accepts: parameters, or groups of parameters with their own options. */
export type ParamsInput<O extends BaseOptions> = Iterable<Tensor> | Array<{ params: Tensor[] } & Partial<O>>;

/** Per-parameter state: the number of updates made and the running buffers (momentum, moments…). */
export interface ParamState {
  step: number;
  buffers: Record<string, TypedArray>;
}

/** A copy of an optimizer's state, keyed by parameter index over all groups (as PyTorch's `state_dict()`). */
export interface OptimizerStateDict {
  state: Record<number, { step: number; buffers: Record<string, Tensor> }>;
  paramGroups: Array<{ params: number[]; options: Record<string, number | boolean | readonly number[]> }>;
}

/**
 * Base class of the optimizers: parameter groups, per-parameter state, `zeroGrad`, and
 * checkpointing. A subclass writes only `update`, the rule for one parameter, as a loop over
 * typed arrays; `step` runs it in place on `param.data` for every parameter with a gradient.
 * @example
 * class PlainSGD extends optim.Optimizer<{ lr: number }> {
 *   protected validate(): void {}
 *   protected update(param: TypedArray, grad: TypedArray, _state: ParamState, group: ParamGroup<{ lr: number }>): void {
 *     for (let i = 0; i < param.length; i++) param[i] = param[i]! - group.lr * grad[i]!;
 *   }
 * }
 */
export abstract class Optimizer<O extends BaseOptions> {
  readonly paramGroups: Array<ParamGroup<O>>;
  readonly defaults: Readonly<O>;
  protected readonly state = new Map<Tensor, ParamState>();

  constructor(params: ParamsInput<O>, defaults: O) {
    this.defaults = defaults;
    const groups = toGroups(params);
    this.paramGroups = groups.map(({ params: groupParams, ...overrides }) => {
      const group = { ...defaults, ...overrides, params: groupParams } as ParamGroup<O>;
      this.validate(group);
      return group;
    });
    const all = this.paramGroups.flatMap((group) => group.params);
    if (all.length === 0) throw new ArgumentError(this.constructor.name, 'got an empty parameter list');
    if (new Set(all).size !== all.length) throw new ArgumentError(this.constructor.name, 'some parameters appear in more than one group');
  }

  /** Checks a group's options (ArgumentError on a bad value). */
  protected abstract validate(group: ParamGroup<O>): void;

  /**
   * Updates one parameter in place from its gradient, its state and its group's options. When
   * `measure` is true a monitor watches the parameter: an update that can measure its step cheaply
   * returns its size (Σw² of the new values as stored, Σ(new − old)²), which spares the monitor a
   * copy of the weights (plain SGD does, in its SIMD kernel). Returning nothing is always allowed:
   * the monitor then compares with its copy.
   */
  protected abstract update(param: TypedArray, grad: TypedArray, state: ParamState, group: ParamGroup<O>, measure: boolean): UpdateSize | void;

  /**
   * One optimisation step over every parameter whose `grad` is not null; each updated parameter's
   * `version` goes up by one, as PyTorch's in-place updates do.
   * @example optimizer.zeroGrad(); loss.backward(); optimizer.step();
   */
  step(): void {
    noGrad(() => {
      for (const group of this.paramGroups) {
        for (const param of group.params) {
          const grad = param.peekGrad();
          if (grad === null) continue;
          let state = this.state.get(param);
          if (state === undefined) {
            state = { step: 0, buffers: {} };
            this.state.set(param, state);
          }
          state.step += 1;
          const versionBefore = param.version;
          const size = this.update(param.data, grad.data, state, group, updateSizeWanted(param));
          param.bumpVersion(); // an in-place write: backward through a graph that saved param now throws
          if (size !== undefined) recordUpdateSize(param, size, versionBefore, param.version);
        }
      }
    });
  }

  /** Sets every parameter's `grad` to `null` (PyTorch 2's default); a gradient no one read is recycled (`Tensor.releaseGrad`). */
  zeroGrad(): void {
    for (const group of this.paramGroups) for (const param of group.params) param.releaseGrad();
  }

  /** The buffer `name` of a parameter's state, created as zeros of the parameter's dtype on first use. */
  protected buffer(state: ParamState, name: string, like: TypedArray): TypedArray {
    let buffer = state.buffers[name];
    if (buffer === undefined) {
      buffer = allocate(like instanceof Float64Array ? 'float64' : 'float32', like.length);
      state.buffers[name] = buffer;
    }
    return buffer;
  }

  /** A copy of the state and the groups' options, to checkpoint a run. */
  stateDict(): OptimizerStateDict {
    const state: OptimizerStateDict['state'] = {};
    const paramGroups: OptimizerStateDict['paramGroups'] = [];
    let index = 0;
    for (const group of this.paramGroups) {
      const params: number[] = [];
      for (const param of group.params) {
        const entry = this.state.get(param);
        if (entry !== undefined) {
          const buffers: Record<string, Tensor> = {};
          for (const [name, data] of Object.entries(entry.buffers)) buffers[name] = new Tensor(data.slice(), param.shape.slice());
          state[index] = { step: entry.step, buffers };
        }
        params.push(index++);
      }
      paramGroups.push({ params, options: groupOptions(group) });
    }
    return { state, paramGroups };
  }

  /**
   * Restores a `stateDict()`; checks group sizes and buffer shapes first and changes nothing
   * when they do not fit (CheckpointError or ShapeError).
   */
  loadStateDict(saved: OptimizerStateDict): void {
    const params = this.paramGroups.flatMap((group) => group.params);
    const savedCounts = saved.paramGroups.map((group) => group.params.length);
    const counts = this.paramGroups.map((group) => group.params.length);
    if (savedCounts.join() !== counts.join()) {
      throw new CheckpointError('Optimizer.loadStateDict', `parameter groups have sizes [${counts.join(',')}] but the state has [${savedCounts.join(',')}]`);
    }
    for (const [key, entry] of Object.entries(saved.state)) {
      const param = params[Number(key)];
      if (param === undefined) throw new CheckpointError('Optimizer.loadStateDict', `state keys must be parameter indices below ${params.length}, got ${key}`);
      for (const [name, buffer] of Object.entries(entry.buffers)) {
        if (!shapesEqual(buffer.shape, param.shape)) {
          throw new ShapeError('Optimizer.loadStateDict', `buffer '${name}' of parameter ${key} has shape ${formatShape(buffer.shape)}, expected ${formatShape(param.shape)}`, [buffer.shape, param.shape]);
        }
      }
    }
    this.state.clear();
    for (const [key, entry] of Object.entries(saved.state)) {
      const param = params[Number(key)]!;
      const buffers: Record<string, TypedArray> = {};
      for (const [name, buffer] of Object.entries(entry.buffers)) buffers[name] = copyAs(buffer.data, param.data);
      this.state.set(param, { step: entry.step, buffers });
    }
    saved.paramGroups.forEach((savedGroup, i) => Object.assign(this.paramGroups[i]!, savedGroup.options));
  }
}

function toGroups<O extends BaseOptions>(params: ParamsInput<O>): Array<{ params: Tensor[] } & Partial<O>> {
  if (typeof params !== 'object' || params === null || !(Symbol.iterator in params)) {
    throw new ArgumentError('Optimizer', `params must be an iterable of tensors or of groups { params: Tensor[], … }, got ${describeValue(params)}`);
  }
  const list = Array.from(params as Iterable<unknown>);
  if (list.every((item): item is Tensor => item instanceof Tensor)) return [{ params: list } as { params: Tensor[] } & Partial<O>];
  return list.map((item, index) => {
    const group = item as { params?: unknown };
    if (typeof item !== 'object' || item === null || item instanceof Tensor || !Array.isArray(group.params) || !group.params.every((p) => p instanceof Tensor)) {
      throw new ArgumentError('Optimizer', `params must be tensors or groups { params: Tensor[], … }, got ${describeValue(item)} at entry ${index}`);
    }
    return { ...(item as Partial<O>), params: (group.params as Tensor[]).slice() };
  });
}

function groupOptions(group: object): Record<string, number | boolean | readonly number[]> {
  const options: Record<string, number | boolean | readonly number[]> = {};
  for (const [key, value] of Object.entries(group)) {
    if (key === 'params') continue;
    if (typeof value === 'number' || typeof value === 'boolean') options[key] = value;
    else if (Array.isArray(value)) options[key] = value.slice();
  }
  return options;
}

function copyAs(source: TypedArray, like: TypedArray): TypedArray {
  const out = allocate(like instanceof Float64Array ? 'float64' : 'float32', source.length);
  out.set(source);
  return out;
}

/** Throws an ArgumentError unless `value` is a finite number ≥ 0 (and < `below`, when given). */
export function checkRange(op: string, name: string, value: number, below = Infinity): void {
  if (!(typeof value === 'number' && value >= 0 && value < below && Number.isFinite(value))) {
    const range = below === Infinity ? '≥ 0' : `in [0, ${below})`;
    throw new ArgumentError(op, `${name} must be a number ${range}, got ${describeValue(value)}`);
  }
}
