/** The browser-safe checkpoint API: the safetensors codec and checkpoints as bytes. */
export { toSafetensors, fromSafetensors, type SafetensorsContents } from './safetensors.js';
export { type SafetensorsDType } from './header.js';
export { OPTIMIZER_TENSOR_PREFIX } from './optimizer-state.js';
export {
  saveCheckpointBytes,
  loadCheckpointBytes,
  type StatefulModel,
  type StatefulOptimizer,
  type SaveCheckpointOptions,
  type LoadCheckpointOptions,
  type LoadedCheckpoint,
} from './checkpoint.js';
