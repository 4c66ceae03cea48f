/**
 * `gradguard/node`: the Node-only helpers (they touch files). Everything browser-safe, such as
 * the checkpoint codec itself, lives in the main `gradguard` entry.
 *
 * @example
 * import { saveCheckpoint, loadCheckpoint } from 'gradguard/node';
 * await saveCheckpoint('run/step-100.safetensors', { model, optimizer, step: 100 });
 * const { step } = await loadCheckpoint('run/step-100.safetensors', { model, optimizer });
 */
import { readFile } from 'node:fs/promises';
import { CheckpointError } from './errors.js';
import {
  loadCheckpointBytes,
  saveCheckpointBytes,
  type LoadCheckpointOptions,
  type LoadedCheckpoint,
  type SaveCheckpointOptions,
} from './checkpoint/checkpoint.js';
import { writeFileAtomic } from './node/atomic-write.js';

export type { LoadCheckpointOptions, LoadedCheckpoint, SaveCheckpointOptions } from './checkpoint/checkpoint.js';
export { writeFileAtomic, type AtomicWriteIo, type WritableFile } from './node/atomic-write.js';

/**
 * Saves a model, and optionally its optimizer state, the step and string metadata, as one
 * safetensors file. The write is atomic: the file at `path` is either the old one or the
 * complete new one, never a partial write. Model tensors carry their `stateDict()` names, so
 * PyTorch can read the file (see the README, "Checkpoints and PyTorch", for the Python lines).
 * @throws ArgumentError for bad options; CheckpointError when the file cannot be written.
 * @example
 * await saveCheckpoint('model.safetensors', { model });
 * await saveCheckpoint('ckpt.safetensors', { model, optimizer, step: 500, metadata: { run: 'spiral' } });
 */
export async function saveCheckpoint(path: string, options: SaveCheckpointOptions): Promise<void> {
  const bytes = saveCheckpointBytes(options, 'saveCheckpoint');
  try {
    await writeFileAtomic(path, bytes);
  } catch (error) {
    throw new CheckpointError('saveCheckpoint', `the file must be writable, got ${describeIoError(error)} for ${path}`);
  }
}

/**
 * Restores a model (and optionally its optimizer) from a file written by `saveCheckpoint` (or a
 * safetensors file of the model's state dict written by PyTorch). The whole file is checked
 * against the model before anything changes; on any error the model and optimizer are left as
 * they were. Resolves to the saved step and the file's own metadata.
 * @throws CheckpointError naming the problem and the file.
 * @example
 * const { step, metadata } = await loadCheckpoint('ckpt.safetensors', { model, optimizer });
 */
export async function loadCheckpoint(path: string, options: LoadCheckpointOptions): Promise<LoadedCheckpoint> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new CheckpointError('loadCheckpoint', `the file must be readable, got ${describeIoError(error)} for ${path}`);
  }
  try {
    return loadCheckpointBytes(bytes, options, 'loadCheckpoint');
  } catch (error) {
    if (!(error instanceof CheckpointError)) throw error;
    throw new CheckpointError(error.op, `${error.message.slice(error.op.length + 2)} (file ${path})`);
  }
}

function describeIoError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === undefined ? error.message : `${code} (${error.message})`;
  }
  return String(error);
}
