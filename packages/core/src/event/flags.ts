import { err, ok, type Diagnostic, type Result } from '../errors.js';
import type { Flags } from '../rule/types.js';

/** The seven 3.5.1 flags and their allowed values. */
export const FLAG_VALUES = {
  ROLE: ['test', 'observation'],
  ONLINE: ['true', 'false'],
  VETOED: ['true', 'false'],
  UPLOAD: ['true', 'false'],
  ICECUBE_UPLOAD: ['true', 'false'],
  BLINDED_NEUTRINOS: ['true', 'false'],
  MANUAL: ['true', 'false'],
} as const satisfies Record<string, readonly string[]>;

export type FlagName = keyof typeof FLAG_VALUES;
export const FLAG_NAMES = Object.keys(FLAG_VALUES) as FlagName[];

type Preset = Readonly<Record<FlagName, string>>;

/** The six 3.5.1 presets (llama/flags/__init__.py). */
export const FLAG_PRESETS = {
  DEFAULT: { ROLE: 'test', ONLINE: 'true', VETOED: 'false', UPLOAD: 'false', ICECUBE_UPLOAD: 'false', BLINDED_NEUTRINOS: 'false', MANUAL: 'false' },
  TRIGGERED_INTERNAL: { ROLE: 'observation', ONLINE: 'true', VETOED: 'false', UPLOAD: 'true', ICECUBE_UPLOAD: 'false', BLINDED_NEUTRINOS: 'false', MANUAL: 'false' },
  TRIGGERED_PUBLIC: { ROLE: 'observation', ONLINE: 'true', VETOED: 'false', UPLOAD: 'true', ICECUBE_UPLOAD: 'true', BLINDED_NEUTRINOS: 'false', MANUAL: 'false' },
  TRIGGERED_TEST: { ROLE: 'test', ONLINE: 'true', VETOED: 'false', UPLOAD: 'false', ICECUBE_UPLOAD: 'false', BLINDED_NEUTRINOS: 'true', MANUAL: 'false' },
  RERUN: { ROLE: 'observation', ONLINE: 'true', VETOED: 'false', UPLOAD: 'false', ICECUBE_UPLOAD: 'false', BLINDED_NEUTRINOS: 'false', MANUAL: 'false' },
  MANUAL: { ROLE: 'observation', ONLINE: 'true', VETOED: 'false', UPLOAD: 'true', ICECUBE_UPLOAD: 'true', BLINDED_NEUTRINOS: 'false', MANUAL: 'true' },
} as const satisfies Record<string, Preset>;

export type PresetName = keyof typeof FLAG_PRESETS;
export const DEFAULT_FLAGS: Flags = FLAG_PRESETS.DEFAULT;

export const FLAGS_FILENAME = 'FLAGS.json';

export function isPresetName(name: string): name is PresetName {
  return Object.hasOwn(FLAG_PRESETS, name);
}

/** Check a flags object: string keys and values, allowed values for the known flags. */
export function validateFlags(raw: unknown): Result<Flags, Diagnostic[]> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return err([{ code: 'flags-not-object', message: 'FLAGS.json must hold a JSON object of string flags' }]);
  }
  const problems: Diagnostic[] = [];
  const flags: Record<string, string> = { ...DEFAULT_FLAGS };
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'string') {
      problems.push({ code: 'flag-not-string', subject: key, message: `flag ${key} must be a string, got ${JSON.stringify(value)}` });
      continue;
    }
    const allowed = (FLAG_VALUES as Record<string, readonly string[]>)[key];
    if (allowed !== undefined && !allowed.includes(value)) {
      problems.push({ code: 'flag-bad-value', subject: key, message: `flag ${key}=${JSON.stringify(value)} is not one of ${allowed.join(', ')}` });
      continue;
    }
    flags[key] = value;
  }
  return problems.length > 0 ? err(problems) : ok(Object.freeze(flags));
}

/** Parse `PRESET` or `K=V` words (as `llama flags --flags` takes them) into a flag update. */
export function parseFlagAssignments(words: readonly string[]): Result<Record<string, string>, Diagnostic[]> {
  const update: Record<string, string> = {};
  const problems: Diagnostic[] = [];
  for (const word of words) {
    if (isPresetName(word)) {
      Object.assign(update, FLAG_PRESETS[word]);
      continue;
    }
    const eq = word.indexOf('=');
    if (eq <= 0) {
      problems.push({ code: 'flag-syntax', subject: word, message: `"${word}" is neither a preset (${Object.keys(FLAG_PRESETS).join(', ')}) nor KEY=VALUE` });
      continue;
    }
    update[word.slice(0, eq)] = word.slice(eq + 1);
  }
  if (problems.length > 0) return err(problems);
  const checked = validateFlags(update);
  return checked.ok ? ok(update) : err(checked.error);
}

/** Serialise flags as 3.5.1 does: sorted keys, indent 4. */
export function serializeFlags(flags: Flags): string {
  const sorted: Record<string, string> = {};
  for (const key of Object.keys(flags).sort()) sorted[key] = flags[key] as string;
  return JSON.stringify(sorted, null, 4) + '\n';
}
