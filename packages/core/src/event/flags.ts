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

/** A flag name as an operator may type it (`upload`, `Upload`) → the flag it means, if any. */
export function canonicalFlagName(name: string): FlagName | undefined {
  return FLAG_NAMES.find((flag) => flag === name.toUpperCase());
}

/**
 * Parse `PRESET` or `K=V` words (as `llama flags --flags` takes them) into a flag update. Names
 * and values are matched case-insensitively to the seven flags and their values (`upload=True` is
 * UPLOAD=true); anything else is refused with the valid choices, so no stray key ever lands in
 * FLAGS.json.
 */
export function parseFlagAssignments(words: readonly string[]): Result<Record<string, string>, Diagnostic[]> {
  const update: Record<string, string> = {};
  const problems: Diagnostic[] = [];
  for (const word of words) {
    const preset = Object.keys(FLAG_PRESETS).find((p) => p === word.toUpperCase());
    if (preset !== undefined && isPresetName(preset)) {
      Object.assign(update, FLAG_PRESETS[preset]);
      continue;
    }
    const eq = word.indexOf('=');
    if (eq <= 0) {
      problems.push({ code: 'flag-syntax', subject: word, message: `"${word}" is neither a preset (${Object.keys(FLAG_PRESETS).join(', ')}) nor FLAG=VALUE` });
      continue;
    }
    const name = canonicalFlagName(word.slice(0, eq));
    const value = word.slice(eq + 1);
    if (name === undefined) {
      problems.push({ code: 'flag-unknown', subject: word.slice(0, eq), message: `"${word.slice(0, eq)}" is not a flag; the flags are ${FLAG_NAMES.join(', ')}` });
      continue;
    }
    const allowed: readonly string[] = FLAG_VALUES[name];
    const canonical = allowed.find((v) => v === value.toLowerCase());
    if (canonical === undefined) {
      problems.push({ code: 'flag-bad-value', subject: name, message: `flag ${name}=${JSON.stringify(value)} is not one of ${allowed.join(', ')}` });
      continue;
    }
    update[name] = canonical;
  }
  return problems.length > 0 ? err(problems) : ok(update);
}

/** Serialise flags as 3.5.1 does: sorted keys, indent 4. */
export function serializeFlags(flags: Flags): string {
  const sorted: Record<string, string> = {};
  for (const key of Object.keys(flags).sort()) sorted[key] = flags[key] as string;
  return JSON.stringify(sorted, null, 4) + '\n';
}
