import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { STEP_A, STEP_B, type OptimizerName, type StepShape } from './models.js';

/*
 * PyTorch eager CPU, one thread, as an optional peer of the `train` and `guards` suites: the
 * same-run reference for issue 7's "step B within 2× of PyTorch". It runs in its own Python
 * process (bench/pytorch/steps.py), which builds steps A and B as bench/models.ts does and
 * prints its figures as JSON. Where python3 or torch is missing the suites run without it;
 * BENCH_PYTORCH=0 skips it on purpose. Nothing outside `npm run bench` needs Python.
 */

/** What steps.py times: plain SGD, Adam, and SGD with `clip_grad_norm_(params, 1.0)`. */
export type TorchVariant = OptimizerName | 'sgd+clip';

export interface TorchTiming {
  /** Mean wall-clock ms per step, best of a few rounds of ~BENCH_MAX_TIME s (like benchmark.js's mean). */
  wallMs: number;
  /** Process CPU ms per step of the fastest batch (like the guards suite). */
  cpuMs: number;
}

export interface TorchStep {
  name: string;
  variants: Record<TorchVariant, TorchTiming>;
  /** clip ÷ plain SGD, median over rounds of paired CPU-time batches (bench/guards.ts's method). */
  clipRatio: number;
  clipRatioOfMinima: number;
}

/** The JSON object steps.py prints. */
export interface TorchFigures {
  /** torch.__version__ */
  torch: string;
  python: string;
  threads: number;
  threadsNote: string;
  maxTimePerCase: number;
  wallRounds: number;
  cpuRounds: number;
  steps: TorchStep[];
}

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'pytorch', 'steps.py');
/** exit code of steps.py when `import torch` fails. */
const NO_TORCH = 3;

// undefined: not run yet; null: run, and unavailable. One run serves every suite of a bench run.
let cached: TorchFigures | null | undefined;

/**
 * PyTorch's figures for steps A and B, measured once per bench run (the first suite to ask
 * pays ~20 s), or `undefined` with a one-line reason on stderr when PyTorch cannot run here.
 */
export function pytorchFigures(): TorchFigures | undefined {
  if (cached === undefined) cached = runSteps() ?? null;
  return cached ?? undefined;
}

/** The timings of one step and variant, when PyTorch ran. */
export function torchTiming(figures: TorchFigures | undefined, shape: StepShape, variant: TorchVariant): TorchTiming | undefined {
  return torchStep(figures, shape)?.variants[variant];
}

/** PyTorch's figures for one step shape (matched by name), when PyTorch ran. */
export function torchStep(figures: TorchFigures | undefined, shape: StepShape): TorchStep | undefined {
  return figures?.steps.find((step) => step.name === shape.name);
}

/** What goes into a results JSON about the PyTorch run (everything but the per-step figures). */
export function torchNotes(figures: TorchFigures): Record<string, unknown> {
  const { steps: _steps, ...notes } = figures;
  return { ...notes, script: 'bench/pytorch/steps.py' };
}

function skip(reason: string): undefined {
  process.stderr.write(`  pytorch: ${reason}; PyTorch columns left out\n`);
  return undefined;
}

function runSteps(): TorchFigures | undefined {
  if (process.env.BENCH_PYTORCH === '0') return skip('skipped (BENCH_PYTORCH=0)');
  const maxTime = Number(process.env.BENCH_MAX_TIME ?? '0.25');
  // why this budget: ~20 s at the default BENCH_MAX_TIME (5 s of it importing torch and its
  // optimizers), and the measuring part grows with BENCH_MAX_TIME.
  const timeoutSeconds = Math.round(60 + 240 * maxTime);
  const shapes = [STEP_A, STEP_B].map(({ name, sizes, batch }) => ({ name, sizes, batch }));
  const result = spawnSync('python3', [SCRIPT, JSON.stringify({ steps: shapes })], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'], // its progress lines (from after `import torch`) go straight to our stderr
    timeout: timeoutSeconds * 1000,
    maxBuffer: 1 << 20,
  });
  const code = (result.error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return skip('python3 not found');
  if (code === 'ETIMEDOUT') return skip(`python3 ${path.basename(SCRIPT)} took longer than ${timeoutSeconds} s and was stopped`);
  if (result.error !== undefined) return skip(`python3 failed to start (${result.error.message})`);
  if (result.status === NO_TORCH) return skip('python3 cannot import torch (pip install torch to compare)');
  if (result.status !== 0) return skip(`python3 ${path.basename(SCRIPT)} exited with ${result.status ?? result.signal}`);
  try {
    return JSON.parse(result.stdout) as TorchFigures;
  } catch {
    return skip(`python3 ${path.basename(SCRIPT)} printed no JSON`);
  }
}
