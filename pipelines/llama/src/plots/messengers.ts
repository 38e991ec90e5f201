import { readFile } from 'node:fs/promises';
import { GenerationError } from '@llama/core';

/** One IceCube neutrino as the science handlers write it (IceCubeNeutrinoList). */
export interface Neutrino {
  readonly mjd: number;
  readonly ra: number;
  readonly dec: number;
  /** Angular uncertainty, degrees. */
  readonly sigma: number;
  /** Reconstructed energy proxy, GeV. */
  readonly energy: number;
  readonly type?: string;
  readonly run?: string;
  readonly event?: string;
}

export interface NeutrinoList {
  readonly triggers: readonly Neutrino[];
  /** False while the ±500 s window has not closed: more neutrinos may come. */
  readonly complete: boolean;
}

/** One ZTF candidate (ZtfTriggerList). */
export interface ZtfTrigger {
  readonly gps?: number;
  readonly ra: number;
  readonly dec: number;
  readonly name?: string;
}

async function readJson(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new GenerationError(`cannot read the ${what} ${path}`, { cause });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new GenerationError(`${path}: the ${what} is not valid JSON`, { cause });
  }
}

function finite(record: Record<string, unknown>, key: string, problems: string[], where: string): number {
  const value = record[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    problems.push(`${where}: "${key}" must be a finite number, got ${JSON.stringify(value)}`);
    return Number.NaN;
  }
  return value;
}

function direction(record: Record<string, unknown>, problems: string[], where: string): { ra: number; dec: number } {
  const ra = finite(record, 'ra', problems, where);
  const dec = finite(record, 'dec', problems, where);
  if (Number.isFinite(dec) && (dec < -90 || dec > 90)) problems.push(`${where}: "dec" must be in [-90, 90], got ${dec}`);
  return { ra, dec };
}

function optionalId(value: unknown): string | undefined {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

/** Parse and check a neutrino list; problems are reported all at once, naming the file. */
export function parseNeutrinoList(raw: unknown, path: string): NeutrinoList {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new GenerationError(`${path}: the neutrino list must be a JSON object with "triggers" and "complete"`);
  }
  const o = raw as Record<string, unknown>;
  const problems: string[] = [];
  if (!Array.isArray(o['triggers'])) problems.push('"triggers" must be an array');
  if (typeof o['complete'] !== 'boolean') problems.push('"complete" must be true or false');
  const triggers: Neutrino[] = [];
  for (const [index, item] of (Array.isArray(o['triggers']) ? o['triggers'] : []).entries()) {
    const where = `triggers[${index}]`;
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      problems.push(`${where} must be an object`);
      continue;
    }
    const t = item as Record<string, unknown>;
    const { ra, dec } = direction(t, problems, where);
    const sigma = finite(t, 'sigma', problems, where);
    if (sigma < 0) problems.push(`${where}: "sigma" must not be negative, got ${sigma}`);
    const neutrino: Neutrino = {
      mjd: finite(t, 'mjd', problems, where),
      ra,
      dec,
      sigma,
      energy: finite(t, 'energy', problems, where),
      ...(typeof t['type'] === 'string' ? { type: t['type'] } : {}),
      ...(optionalId(t['run']) !== undefined ? { run: optionalId(t['run']) } : {}),
      ...(optionalId(t['event']) !== undefined ? { event: optionalId(t['event']) } : {}),
    };
    triggers.push(neutrino);
  }
  if (problems.length > 0) throw new GenerationError(`${path}: malformed neutrino list: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}`);
  return { triggers, complete: o['complete'] as boolean };
}

export async function readNeutrinoList(path: string): Promise<NeutrinoList> {
  return parseNeutrinoList(await readJson(path, 'IceCube neutrino list'), path);
}

export function parseZtfTriggers(raw: unknown, path: string): ZtfTrigger[] {
  if (!Array.isArray(raw)) throw new GenerationError(`${path}: the ZTF trigger list must be a JSON array`);
  const problems: string[] = [];
  const triggers: ZtfTrigger[] = [];
  for (const [index, item] of raw.entries()) {
    const where = `[${index}]`;
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      problems.push(`${where} must be an object`);
      continue;
    }
    const t = item as Record<string, unknown>;
    const { ra, dec } = direction(t, problems, where);
    const name = optionalId(t['name'] ?? t['objectId'] ?? t['id']);
    triggers.push({
      ra,
      dec,
      ...(typeof t['gps'] === 'number' ? { gps: t['gps'] } : {}),
      ...(name !== undefined ? { name } : {}),
    });
  }
  if (problems.length > 0) throw new GenerationError(`${path}: malformed ZTF trigger list: ${problems.slice(0, 5).join('; ')}`);
  return triggers;
}

export async function readZtfTriggers(path: string): Promise<ZtfTrigger[]> {
  return parseZtfTriggers(await readJson(path, 'ZTF trigger list'), path);
}
