import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { GenerationError } from '@llama/core';
import { NEUTRINO_TYPES, type NeutrinoType } from './types.js';

/**
 * A neutrino as a source delivers it, before llama fills in the derived fields (coordinates,
 * σ floor, type, blinding). Angles in degrees, energy in GeV.
 */
export interface RawNeutrino {
  readonly mjd: number;
  readonly ra?: number;
  readonly dec?: number;
  readonly zenith?: number;
  readonly azimuth?: number;
  readonly sigma: number;
  readonly energy: number;
  readonly type?: NeutrinoType;
  readonly run?: string;
  readonly event?: string;
}

/** Read a `file://` or `http(s)://` URL as text; failures name the URL and the cause. */
export async function fetchText(url: string, signal?: AbortSignal): Promise<string> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new GenerationError(`${url}: not a valid URL (expected file://, http:// or https://)`, { cause });
  }
  if (parsed.protocol === 'file:') {
    try {
      return await readFile(fileURLToPath(parsed), 'utf8');
    } catch (cause) {
      throw new GenerationError(`${url}: cannot read the file`, { cause });
    }
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new GenerationError(`${url}: unsupported URL scheme ${parsed.protocol} (expected file:, http: or https:)`);
  }
  let response: Response;
  try {
    response = await fetch(parsed, signal === undefined ? {} : { signal });
  } catch (cause) {
    throw new GenerationError(`${url}: request failed`, { cause });
  }
  if (!response.ok) throw new GenerationError(`${url}: HTTP ${response.status} ${response.statusText}`);
  return response.text();
}

function optionalId(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/**
 * Parse a neutrino archive in JSON Lines: one JSON object a line with at least `mjd`, `ra`, `dec`
 * (deg), `sigma` (deg), `energy` (GeV); optional `zenith`, `azimuth` (deg, IceCube convention,
 * both or neither), `type`, `run`, `event`. Blank lines and lines starting with `#` are skipped.
 * The first malformed line raises an error naming the source and the line number.
 */
export function parseNeutrinoArchive(text: string, source: string): RawNeutrino[] {
  const out: RawNeutrino[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '' || line.startsWith('#')) continue;
    const where = `${source}: line ${i + 1}`;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (cause) {
      throw new GenerationError(`${where}: not valid JSON`, { cause });
    }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      throw new GenerationError(`${where}: expected a JSON object, got ${Array.isArray(raw) ? 'a list' : JSON.stringify(raw)}`);
    }
    const o = raw as Record<string, unknown>;
    const problems: string[] = [];
    const num = (key: string): number | undefined => {
      const v = o[key];
      return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
    };
    for (const key of ['mjd', 'ra', 'dec', 'sigma', 'energy']) {
      if (num(key) === undefined) problems.push(`"${key}" must be a finite number`);
    }
    const dec = num('dec');
    if (dec !== undefined && Math.abs(dec) > 90) problems.push(`"dec" ${dec} is outside [-90, 90]`);
    const sigma = num('sigma');
    if (sigma !== undefined && sigma <= 0) problems.push(`"sigma" must be positive, got ${sigma}`);
    const energy = num('energy');
    if (energy !== undefined && energy <= 0) problems.push(`"energy" must be positive (GeV), got ${energy}`);
    const hasZen = o['zenith'] !== undefined;
    const hasAz = o['azimuth'] !== undefined;
    if (hasZen !== hasAz) problems.push('"zenith" and "azimuth" must be given together');
    if (hasZen && (num('zenith') === undefined || num('azimuth') === undefined)) {
      problems.push('"zenith" and "azimuth" must be finite numbers');
    }
    const type = o['type'];
    if (type !== undefined && !(NEUTRINO_TYPES as readonly unknown[]).includes(type)) {
      problems.push(`"type" must be one of ${NEUTRINO_TYPES.join(', ')}, got ${JSON.stringify(type)}`);
    }
    if (problems.length > 0) throw new GenerationError(`${where}: ${problems.join('; ')}`);
    const run = optionalId(o['run'] ?? o['run_id']);
    const event = optionalId(o['event'] ?? o['event_id']);
    out.push({
      mjd: num('mjd') as number,
      ra: num('ra') as number,
      dec: dec as number,
      sigma: sigma as number,
      energy: energy as number,
      ...(hasZen ? { zenith: num('zenith') as number, azimuth: num('azimuth') as number } : {}),
      ...(type === undefined ? {} : { type: type as NeutrinoType }),
      ...(run === undefined ? {} : { run }),
      ...(event === undefined ? {} : { event }),
    });
  }
  return out;
}
