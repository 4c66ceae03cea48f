/**
 * Optimizers and learning-rate schedules with `torch.optim`'s update rules and defaults.
 * Exported from the package root as `optim`.
 */
export { Optimizer, type BaseOptions, type ParamGroup, type ParamsInput, type ParamState, type OptimizerStateDict } from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, AdamW, type AdamOptions } from './adam.js';
export { RMSprop, type RMSpropOptions } from './rmsprop.js';
export { LRScheduler, StepLR, CosineAnnealingLR, LinearLR, LinearWarmup, SequentialLR } from './schedule.js';
