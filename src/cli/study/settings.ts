import type { Guard } from '../../autograd/hooks.js';
import * as guards from '../../guards/index.js';

/** Options as they appear in the code a person would write (`{ maxNorm: 1 }`). */
type Options = Readonly<Record<string, number>>;

/** One guard setting of the study: how to make its guards, and how to say it as code. */
export interface GuardSetting {
  /** Short key, used on the command line (`--guards none,agc`). */
  readonly id: string;
  /** Name for people, in the table and the charts. */
  readonly name: string;
  /** The setting as gradguard code. */
  readonly setting: string;
  /** Fresh guards for one run (guards keep history, so runs must not share them). */
  readonly guards: () => Guard[];
  /** Snapshot every this many good steps and roll back on a non-finite step or a spike. */
  readonly rollbackEvery?: number;
}

/** `{ maxNorm: 1 }` */
function code(options: Options): string {
  const entries = Object.entries(options);
  return entries.length === 0 ? '' : `{ ${entries.map(([k, v]) => `${k}: ${v}`).join(', ')} }`;
}

function guardSetting(id: string, name: string, factory: string, options: Options, make: (options: Options) => Guard): GuardSetting {
  return { id, name, setting: `guards.${factory}(${code(options)})`, guards: () => [make(options)] };
}

/**
 * The guard settings of the study, in the order of the table. Thresholds are the papers'
 * defaults where those suit a network trained from scratch; the value clip and the global-norm
 * clip use the values people commonly pick (0.1 and 1).
 */
export const STUDY_SETTINGS: readonly GuardSetting[] = [
  { id: 'none', name: 'none', setting: 'no guard', guards: () => [] },
  guardSetting('value-clip', 'value clip', 'valueClip', { clipValue: 0.1 }, (o) => guards.valueClip({ clipValue: o.clipValue! })),
  guardSetting('global-norm', 'global-norm clip', 'globalNormClip', { maxNorm: 1 }, (o) => guards.globalNormClip({ maxNorm: o.maxNorm! })),
  guardSetting('agc', 'AGC', 'agc', { clipping: 0.01 }, (o) => guards.agc({ clipping: o.clipping! })),
  guardSetting('zclip', 'ZClip', 'zclip', { zThreshold: 2.5 }, (o) => guards.zclip({ zThreshold: o.zThreshold! })),
  guardSetting('autoclip', 'AutoClip', 'autoClip', { percentile: 10 }, (o) => guards.autoClip({ percentile: o.percentile! })),
  {
    id: 'rollback', name: 'rollback',
    setting: "guards.rollback(optimizer, { every: 10, spikeDetector: guards.spikeDetection() }) with guards.nanTrap({ action: 'skip' })",
    guards: () => [guards.nanTrap({ action: 'skip' })], rollbackEvery: 10,
  },
];

/** The ids a user may name, in order. */
export const SETTING_IDS: readonly string[] = STUDY_SETTINGS.map((s) => s.id);

/**
 * The settings named by `ids` (all of them when `ids` is empty), in the study's order.
 * @example
 * selectSettings(['agc', 'none']).map((s) => s.id); // ['none', 'agc'] (the study's order)
 */
export function selectSettings(ids: readonly string[]): GuardSetting[] {
  return ids.length === 0 ? [...STUDY_SETTINGS] : STUDY_SETTINGS.filter((s) => ids.includes(s.id));
}

/** Guards a user may combine in `gradguard train --guard …`: the study's, and the NaN trap alone. */
export const TRAIN_GUARD_IDS: readonly string[] = [...SETTING_IDS.filter((id) => id !== 'none'), 'nan-trap'];

const NAN_TRAP: GuardSetting = { id: 'nan-trap', name: 'NaN trap', setting: "guards.nanTrap({ action: 'skip' })", guards: () => [guards.nanTrap({ action: 'skip' })] };

/**
 * One setting made of several (`['nan-trap', 'global-norm']`), guards in the order given.
 * @example
 * combineSettings(['nan-trap', 'global-norm']).guards().map((g) => g.name); // ['nanTrap', 'globalNormClip']
 */
export function combineSettings(ids: readonly string[]): GuardSetting {
  const parts = ids.map((id) => (id === 'nan-trap' ? NAN_TRAP : STUDY_SETTINGS.find((s) => s.id === id))).filter((s): s is GuardSetting => s !== undefined);
  if (parts.length === 0) return STUDY_SETTINGS[0]!;
  const rollbackEvery = parts.find((s) => s.rollbackEvery !== undefined)?.rollbackEvery;
  const combined: GuardSetting = {
    id: parts.map((s) => s.id).join('+'),
    name: parts.map((s) => s.name).join(' + '),
    setting: parts.map((s) => s.setting).join(', '),
    guards: () => parts.flatMap((s) => s.guards()),
  };
  return rollbackEvery === undefined ? combined : { ...combined, rollbackEvery };
}
