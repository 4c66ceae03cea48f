import * as gradguard from '../src/index.js';
import type { Guard, Tensor } from '../src/index.js';

/*
 * nn, optim and guards are being written alongside this bench. It looks them up at run time
 * and falls back to plain Tensor ops when they are missing, so every suite runs at any stage.
 */

export interface ModuleLike {
  forward(x: Tensor): Tensor;
  parameters(): Tensor[];
}
export interface NnLike {
  Sequential: new (...modules: ModuleLike[]) => ModuleLike;
  Linear: new (inFeatures: number, outFeatures: number) => ModuleLike;
  ReLU: new () => ModuleLike;
}
export interface OptimizerLike {
  step(): void;
  zeroGrad(): void;
}
export interface OptimLike {
  SGD: new (params: Tensor[], options: { lr: number }) => OptimizerLike;
  Adam: new (params: Tensor[], options: { lr: number }) => OptimizerLike;
}
export interface GuardsLike {
  nanTrap?: (options?: { action?: string }) => Guard;
  globalNormClip?: (options: { maxNorm: number }) => Guard;
  monitor?: (options?: { history?: number }) => Guard;
  detectAnomaly?: <T>(fn: () => T) => T;
}

const exported: Record<string, unknown> = { ...gradguard };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function hasFunctions(value: unknown, names: readonly string[]): boolean {
  return isObject(value) && names.every((name) => typeof value[name] === 'function');
}

function isNn(value: unknown): value is NnLike {
  return hasFunctions(value, ['Sequential', 'Linear', 'ReLU']);
}

function isOptim(value: unknown): value is OptimLike {
  return hasFunctions(value, ['SGD', 'Adam']);
}

function isGuards(value: unknown): value is GuardsLike {
  return isObject(value);
}

/** `nn` when it exports Sequential, Linear and ReLU. */
export const nn: NnLike | undefined = isNn(exported.nn) ? exported.nn : undefined;
/** `optim` when it exports SGD and Adam. */
export const optim: OptimLike | undefined = isOptim(exported.optim) ? exported.optim : undefined;
/** `guards`, with whichever of the guards this bench uses already exist. */
export const guards: GuardsLike = isGuards(exported.guards) ? exported.guards : {};
