import { readFile } from 'node:fs/promises';
import { GenerationError } from '@llama/core';

/** 3.5.1 NEUTRINO_TYPES. */
export const NEUTRINO_TYPES = ['observation', 'blinded', 'injected', 'unspecified', 'archival'] as const;
export type NeutrinoType = (typeof NEUTRINO_TYPES)[number];

/** One neutrino of `icecube_neutrino_list.json`. Angles in degrees, energy in GeV. */
export interface Neutrino {
  readonly mjd: number;
  readonly ra: number;
  readonly dec: number;
  /** 1σ angular uncertainty, degrees (floored at 0.2°). */
  readonly sigma: number;
  /** Reconstructed (proxy) energy, GeV. */
  readonly energy: number;
  /** IceCube local coordinates (see coords.ts for the convention). */
  readonly zenith: number;
  readonly azimuth: number;
  readonly type: NeutrinoType;
  readonly run?: string;
  readonly event?: string;
}

/** `icecube_neutrino_list.json`. */
export interface NeutrinoList {
  readonly triggers: readonly Neutrino[];
  /** False while more neutrinos in the window may still arrive (the file is then provisional). */
  readonly complete: boolean;
  /** Where the neutrinos came from (`i3live`, or the archive URL); added by llama. */
  readonly source?: string;
}

/** 3.5.1 floor on the angular error (realtime_tools stub). */
export const MIN_SIGMA_DEG = 0.2;

/** Problems with one neutrino record (empty when valid). */
export function neutrinoProblems(raw: unknown): string[] {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return ['must be a JSON object'];
  const o = raw as Record<string, unknown>;
  const problems: string[] = [];
  const finite = (key: string): boolean => typeof o[key] === 'number' && Number.isFinite(o[key]);
  for (const key of ['mjd', 'ra', 'dec', 'sigma', 'energy', 'zenith', 'azimuth']) {
    if (!finite(key)) problems.push(`"${key}" must be a finite number`);
  }
  if (finite('dec') && Math.abs(o['dec'] as number) > 90) problems.push('"dec" must lie in [-90, 90]');
  if (finite('sigma') && (o['sigma'] as number) <= 0) problems.push('"sigma" must be positive');
  if (finite('energy') && (o['energy'] as number) <= 0) problems.push('"energy" must be positive (GeV)');
  if (!(NEUTRINO_TYPES as readonly string[]).includes(o['type'] as string)) {
    problems.push(`"type" must be one of ${NEUTRINO_TYPES.join(', ')}`);
  }
  return problems;
}

export function parseNeutrinoList(text: string, source = 'icecube_neutrino_list.json'): NeutrinoList {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new GenerationError(`${source}: not valid JSON`, { cause });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new GenerationError(`${source}: must be a JSON object {"triggers": [...], "complete": bool}`);
  }
  const o = raw as Record<string, unknown>;
  if (!Array.isArray(o['triggers'])) throw new GenerationError(`${source}: "triggers" must be a list`);
  if (typeof o['complete'] !== 'boolean') throw new GenerationError(`${source}: "complete" must be true or false`);
  o['triggers'].forEach((n: unknown, i: number) => {
    const problems = neutrinoProblems(n);
    if (problems.length > 0) throw new GenerationError(`${source}: trigger ${i}: ${problems.join('; ')}`);
  });
  return raw as NeutrinoList;
}

export async function readNeutrinoList(path: string): Promise<NeutrinoList> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new GenerationError(`${path}: cannot read the neutrino list`, { cause });
  }
  return parseNeutrinoList(text, path);
}

/** The marker dependents print while the neutrino list is incomplete (3.5.1 wording). */
export const PARTIAL_RESULT_MARKER = 'PARTIAL RESULT: MORE ICECUBE EVENTS INCOMING';
