/**
 * Guards against exploding and non-finite gradients: functional clips used between
 * `backward()` and `optimizer.step()` (as `torch.nn.utils`), guards that run inside the
 * backward pass (`loss.backward({ guards: [...] })`), anomaly mode and a data check.
 * Each guard builds on the engine's public hook interface (`Guard`, in src/autograd/hooks.ts).
 */
export type {
  Guard, BackwardReport, GuardAction, NonFiniteInfo, PassControl,
  NodeGradientEvent, TensorGradientEvent, ParameterGradientEvent, EndOfPassEvent,
} from '../autograd/hooks.js';
export { GradientView, setWarningSink } from '../autograd/hooks.js';

// ---- Guards I: traps and clipping ----
export { clipGradNorm, clipGradValue, type ClipGradNormOptions } from './clip.js';
export { nanTrap, type NanTrapAction, type NanTrapOptions } from './nan-trap.js';
export { detectAnomaly, setDetectAnomaly, isAnomalyEnabled } from './anomaly.js';
export { checkBatch, findNonFinite, type CheckBatchOptions, type NonFiniteEntry } from './data-guard.js';
export {
  globalNormClip, parameterNormClip, valueClip,
  type GlobalNormClipOptions, type ParameterNormClipOptions, type ValueClipOptions,
} from './norm-clips.js';
export { agc, type AgcOptions } from './agc.js';
export { autoClip, percentile, type AutoClipOptions, type AutoClipGuard } from './autoclip.js';
export { zclip, type ZClipOptions, type ZClipGuard, type ZClipState } from './zclip.js';
export { flowClip, type FlowClipOptions } from './flow-clip.js';

// ---- Guards II: monitoring, spike detection, step policies, diagnosis ----
export { monitor, Monitor, type MonitorOptions, type MonitorRecord, type MonitorSpikeEvent, type ParameterRecord } from './monitor.js';
export { monitorToJSONLines, parseMonitorJSONLines, type MonitorSnapshot } from './monitor-export.js';
export { RingBuffer } from './ring.js';
export { blocksOf, depthProduct, type LayerStat, type BlockStat } from './amplification.js';
export {
  zScoreSpike, spikeDetection, ZScoreSpikeDetector, LightningSpikeDetector,
  type SpikeDetector, type SpikeEvent, type ObserveContext, type ZScoreOptions, type LightningSpikeOptions,
} from './spike.js';
export {
  guardedStep, GuardedOptimizer, type GuardedStepOptions, type StepOutcome, type StepContext, type StepOptimizer,
} from './policies.js';
export { rollback, Rollback, type RollbackOptions, type RollbackOutcome, type StatefulOptimizer } from './rollback.js';
export { diagnose, type Diagnosis, type DiagnoseOptions, type AmplifyingBlock } from './diagnose.js';
export type { Cause, Remedy, InitCheck, WeightInit, ModelLike } from './diagnose-causes.js';
