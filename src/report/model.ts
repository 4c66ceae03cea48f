/**
 * The plain data a study produces and the report draws: no tensors, no classes, only numbers
 * and strings, so that it can be written as JSON, tested, and turned into HTML anywhere.
 */

/** What happened at one step of one run (one mini-batch: forward, backward, guarded update). */
export interface StepRecord {
  readonly step: number;
  /** The mini-batch loss (NaN or ±Inf once the run has blown up). */
  readonly loss: number;
  /** Global 2-norm of all parameter gradients before any clipping. */
  readonly gradNorm: number;
  /** Factor the guards scaled the gradients by (1 when none). */
  readonly clipScale: number;
  /** True when the guard or policy skipped this update. */
  readonly skipped: boolean;
  /** True when the policy restored a snapshot at this step. */
  readonly rolledBack: boolean;
  /** The factor this step's inputs were corrupted by, when they were. */
  readonly corruption?: number;
}

/** Kinds of events the timeline shows. */
export type EventKind = 'corrupt' | 'spike' | 'clip' | 'skip' | 'rollback' | 'nonfinite';

/** Something worth a mark on the timeline. */
export interface RunEvent {
  readonly step: number;
  readonly kind: EventKind;
  /** One line for a person: "loss spike: 41.2 (z = 6.3)", "first Inf in matmul (module 4)". */
  readonly message: string;
  /** For `nonfinite`: the op and module where the first non-finite value was born, when known. */
  readonly op?: string;
  readonly module?: string;
}

/** The figures of one run, as the summary table shows them. */
export interface RunSummary {
  readonly finalLoss: number;
  /** Test accuracy in [0, 1] (NaN when the model's output is not finite). */
  readonly testAccuracy: number;
  /** First step whose loss or gradient was NaN/±Inf, or null when the run stayed finite. */
  readonly firstNonFiniteStep: number | null;
  readonly clippedSteps: number;
  readonly skippedSteps: number;
  readonly rollbacks: number;
  /** Largest finite global gradient norm seen (Infinity when a norm overflowed). */
  readonly peakGradNorm: number;
  readonly wallTimeMs: number;
}

/** Per-layer gradient norms over steps: `norms[layer][step]`. */
export interface LayerNorms {
  /** Module paths, input side first (`'0'`, `'2'`, … in a Sequential). */
  readonly layers: readonly string[];
  readonly steps: readonly number[];
  readonly norms: ReadonlyArray<readonly number[]>;
}

/** One guard setting, trained from the same seed on the same data. */
export interface RunResult {
  /** Short key: `none`, `value-clip`, `global-norm`, `agc`, `zclip`, `autoclip`, `rollback`. */
  readonly id: string;
  /** Name for people: "global-norm clip". */
  readonly name: string;
  /** The setting as gradguard code: `guards.globalNormClip({ maxNorm: 1 })`. */
  readonly setting: string;
  readonly steps: readonly StepRecord[];
  readonly events: readonly RunEvent[];
  readonly summary: RunSummary;
  /** Per-layer gradient norms, when the run kept them. */
  readonly layerNorms?: LayerNorms;
  /** Gradient amplification per block (norm leaving ÷ norm arriving), at initialisation. */
  readonly amplification?: ReadonlyArray<{ readonly module: string; readonly value: number }>;
}

/** The network, data and optimiser every run shares. */
export interface StudyConfig {
  readonly dataset: string;
  /** Why this dataset (e.g. "spirals: the `mnist` package is not installed"). */
  readonly datasetNote?: string;
  readonly trainSize: number;
  readonly testSize: number;
  readonly depth: number;
  readonly width: number;
  readonly activation: string;
  readonly initGain: number;
  readonly optimizer: string;
  readonly lr: number;
  readonly steps: number;
  readonly batchSize: number;
  readonly seed: number;
  /** Learning-rate warm-up: linear from `lr × warmupFrom` to `lr` over the first `warmupSteps` steps (none when 0). */
  readonly warmupSteps?: number;
  /** Corrupted batches: at `step` the inputs are multiplied by `scale` (a data-pipeline bug, on purpose). */
  readonly corruptBatches?: ReadonlyArray<{ readonly step: number; readonly scale: number }>;
}

/** The plain-words verdict on a run, from `guards.diagnose`. */
export interface Diagnosis {
  readonly run: string;
  readonly verdict: string;
  readonly summary: string;
}

/** Everything a study produced: what the report, the table and the JSON lines are made from. */
export interface StudyResult {
  readonly title: string;
  readonly version: string;
  readonly config: StudyConfig;
  readonly runs: readonly RunResult[];
  readonly diagnosis: Diagnosis | null;
  /** Total wall time of the study. */
  readonly wallTimeMs: number;
}
