/**
 * Training checkpoints as safetensors bytes, browser-safe (the Node entry adds files on top).
 *
 * One file holds the model, and optionally the optimizer and the step:
 * - the model's tensors under its `stateDict()` keys, exactly as PyTorch names them, so
 *   PyTorch's `load_state_dict` of the same architecture accepts them;
 * - the optimizer's tensors under `__optimizer__.` (see optimizer-state.ts), which PyTorch
 *   ignores with `strict=False` or after filtering the keys;
 * - in `__metadata__`: `format: 'pt'`, the caller's strings, and under `gradguard.` the format
 *   version, the step and the optimizer's JSON skeleton.
 *
 * Loading checks the whole file against the model (names, shapes, dtypes) and rebuilds the
 * optimizer state before it changes anything; if the optimizer still rejects its state, the
 * model and the optimizer are put back as they were. A failed load leaves both unchanged.
 */
import type { Tensor } from '../autograd/tensor.js';
import { ArgumentError, CheckpointError, formatShape } from '../errors.js';
import { shapesEqual } from '../tensor/shape.js';
import { OPTIMIZER_TENSOR_PREFIX, cloneState, flattenState, quoteList, unflattenState } from './optimizer-state.js';
import { fromSafetensors, dtypeToSafetensors, toSafetensors } from './safetensors.js';

/** What a checkpoint needs of a model: `nn.Module` has both methods. */
export interface StatefulModel {
  stateDict(): Record<string, Tensor>;
  loadStateDict(state: Record<string, Tensor>): void;
}

/** What a checkpoint needs of an optimizer: the `optim` classes have both methods. */
export interface StatefulOptimizer {
  stateDict(): unknown;
  loadStateDict(state: unknown): void;
}

export interface SaveCheckpointOptions {
  model: StatefulModel;
  optimizer?: StatefulOptimizer | undefined;
  /** The training step (a non-negative integer) to resume from. */
  step?: number | undefined;
  /** Strings of your own; keys starting with `gradguard.` are reserved. */
  metadata?: Record<string, string> | undefined;
}

export interface LoadCheckpointOptions {
  model: StatefulModel;
  /** When given, its state is restored too, and the file must hold one. */
  optimizer?: StatefulOptimizer | undefined;
}

export interface LoadedCheckpoint {
  /** The step saved with the checkpoint, `undefined` when none was. */
  step: number | undefined;
  /** The file's metadata without the reserved `gradguard.` keys. */
  metadata: Record<string, string>;
}

const RESERVED_PREFIX = 'gradguard.';
const VERSION_KEY = 'gradguard.version';
const STEP_KEY = 'gradguard.step';
const OPTIMIZER_KEY = 'gradguard.optimizer';
const FORMAT_VERSION = '1';

/**
 * The bytes of a checkpoint (a safetensors file) of a model, and optionally its optimizer and step.
 * @example
 * const bytes = saveCheckpointBytes({ model, optimizer, step: 100, metadata: { run: 'spiral' } });
 * loadCheckpointBytes(bytes, { model: freshModel, optimizer: freshOptimizer }).step; // 100
 */
export function saveCheckpointBytes(options: SaveCheckpointOptions, op = 'saveCheckpointBytes'): Uint8Array {
  const { model, optimizer, step, metadata = {} } = options;
  checkStateful(op, 'model', model);
  if (optimizer !== undefined) checkStateful(op, 'optimizer', optimizer);
  const header: Record<string, string> = { format: 'pt', ...checkUserMetadata(op, metadata), [VERSION_KEY]: FORMAT_VERSION };
  if (step !== undefined) header[STEP_KEY] = String(checkStep(op, step));
  const tensors: Record<string, Tensor> = {};
  for (const [name, value] of Object.entries(model.stateDict())) {
    if (name.startsWith(OPTIMIZER_TENSOR_PREFIX)) {
      throw new ArgumentError(op, `model tensor names must not start with '${OPTIMIZER_TENSOR_PREFIX}', got '${name}'`);
    }
    tensors[name] = value;
  }
  if (optimizer !== undefined) {
    header[OPTIMIZER_KEY] = JSON.stringify(flattenState(optimizer.stateDict(), tensors, op));
  }
  return toSafetensors(tensors, header);
}

/**
 * Restores a model (and optionally its optimizer) from checkpoint bytes. Everything is checked
 * before the model is touched; on any error the model and optimizer are left exactly as they were.
 * @throws CheckpointError naming the problem: a corrupt file, a missing or unexpected tensor, a
 * shape or dtype that differs from the model's, or missing or unfitting optimizer state.
 * @example
 * const { step } = loadCheckpointBytes(bytes, { model, optimizer });
 */
export function loadCheckpointBytes(bytes: Uint8Array, options: LoadCheckpointOptions, op = 'loadCheckpointBytes'): LoadedCheckpoint {
  const { model, optimizer } = options;
  checkStateful(op, 'model', model);
  if (optimizer !== undefined) checkStateful(op, 'optimizer', optimizer);
  const { tensors, metadata } = fromSafetensors(bytes, op);
  const version = metadata[VERSION_KEY];
  if (version !== undefined && version !== FORMAT_VERSION) {
    throw new CheckpointError(op, `${VERSION_KEY} must be '${FORMAT_VERSION}', got '${version}' (a newer gradguard wrote this file?)`);
  }
  const modelState: Record<string, Tensor> = {};
  const optimizerTensors: Record<string, Tensor> = {};
  for (const [name, value] of Object.entries(tensors)) {
    if (name.startsWith(OPTIMIZER_TENSOR_PREFIX)) optimizerTensors[name] = value;
    else modelState[name] = value;
  }
  checkAgainstModel(op, model.stateDict(), modelState);
  const step = readStep(op, metadata[STEP_KEY]);
  const optimizerState = optimizer === undefined ? undefined : readOptimizerState(op, metadata[OPTIMIZER_KEY], optimizerTensors);
  applyOrRollBack(op, model, modelState, optimizer, optimizerState);
  const userMetadata = Object.entries(metadata).filter(([key]) => !key.startsWith(RESERVED_PREFIX));
  return { step, metadata: Object.fromEntries(userMetadata) };
}

/** Same names, shapes and dtypes as the model's own state, or one error that lists every difference. */
function checkAgainstModel(op: string, expected: Record<string, Tensor>, found: Record<string, Tensor>): void {
  const missing = Object.keys(expected).filter((name) => !Object.hasOwn(found, name));
  const unexpected = Object.keys(found).filter((name) => !Object.hasOwn(expected, name));
  const problems: string[] = [];
  if (missing.length > 0) problems.push(`missing ${quoteList(missing)}`);
  if (unexpected.length > 0) problems.push(`unexpected ${quoteList(unexpected)}`);
  for (const [name, want] of Object.entries(expected)) {
    const got = Object.hasOwn(found, name) ? found[name] : undefined;
    if (got === undefined) continue;
    if (!shapesEqual(got.shape, want.shape)) {
      problems.push(`'${name}' has shape ${formatShape(got.shape)} in the file but ${formatShape(want.shape)} in the model`);
    } else if (got.dtype !== want.dtype) {
      problems.push(`'${name}' is ${dtypeToSafetensors(got.dtype)} in the file but ${want.dtype} in the model`);
    }
  }
  if (problems.length > 0) {
    throw new CheckpointError(op, `the file's tensors must match the model's state dict, got ${problems.join('; ')}`);
  }
}

function readOptimizerState(op: string, skeleton: string | undefined, tensors: Record<string, Tensor>): unknown {
  if (skeleton === undefined) {
    throw new CheckpointError(op, 'an optimizer was given, so the file must hold optimizer state, got a file saved without one');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(skeleton);
  } catch (error) {
    throw new CheckpointError(op, `${OPTIMIZER_KEY} must be valid JSON, got a parse error (${(error as Error).message})`);
  }
  return unflattenState(parsed, tensors, op);
}

/** Loads the model, then the optimizer; if either throws, both get their previous state back. */
function applyOrRollBack(
  op: string,
  model: StatefulModel,
  modelState: Record<string, Tensor>,
  optimizer: StatefulOptimizer | undefined,
  optimizerState: unknown,
): void {
  const modelBackup = Object.fromEntries(Object.entries(model.stateDict()).map(([name, t]) => [name, t.clone()]));
  const optimizerBackup = cloneState(optimizer?.stateDict());
  try {
    model.loadStateDict(modelState);
    optimizer?.loadStateDict(optimizerState);
  } catch (error) {
    model.loadStateDict(modelBackup);
    optimizer?.loadStateDict(optimizerBackup);
    const reason = error instanceof Error ? error.message : String(error);
    const what = optimizer === undefined ? 'model' : 'model and optimizer';
    throw new CheckpointError(op, `the saved state must fit the ${what}, got: ${reason} (${what} left unchanged)`);
  }
}

function readStep(op: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const step = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(step)) {
    throw new CheckpointError(op, `${STEP_KEY} must be a non-negative integer, got '${text}'`);
  }
  return step;
}

function checkStep(op: string, step: unknown): number {
  if (typeof step !== 'number' || !Number.isSafeInteger(step) || step < 0) {
    throw new ArgumentError(op, `step must be a non-negative integer, got ${String(step)}`);
  }
  return step;
}

function checkUserMetadata(op: string, metadata: Record<string, string>): Record<string, string> {
  for (const [key, value] of Object.entries(metadata)) {
    if (key.startsWith(RESERVED_PREFIX)) throw new ArgumentError(op, `metadata keys starting with '${RESERVED_PREFIX}' are reserved, got '${key}'`);
    if (typeof value !== 'string') throw new ArgumentError(op, `metadata values must be strings, got ${typeof value} for '${key}'`);
  }
  return metadata;
}

function checkStateful(op: string, what: string, value: unknown): void {
  const candidate = value as Partial<StatefulModel> | null | undefined;
  if (typeof candidate?.stateDict !== 'function' || typeof candidate.loadStateDict !== 'function') {
    throw new ArgumentError(op, `${what} must have stateDict() and loadStateDict(), got ${String(value)}`);
  }
}
