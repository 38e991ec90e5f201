import { access, readFile, writeFile } from 'node:fs/promises';
import { GenerationError, type GenerateContext } from '@llama/core';
import { fetchText } from '../icecube/archive.js';
import { eventGps, readSkymapInfo } from '../skymap-info.js';
import { isoToGps, mjdToGps } from '../time/gps.js';

/**
 * FermiGRBsJSON (`fermi_grbs.json`): GRBs within ±500 s of the GW time, `[{time, ra, dec, sigma}]`
 * with `time` in GPS seconds and angles in degrees. 3.5.1 read two cached archival CSV catalogues;
 * here the catalogue is whatever LLAMA_FERMI_GRB_CATALOG names (a path, file:// or http(s):// URL),
 * as CSV with a header row or as JSON (a list of objects). When the variable is unset the rule
 * fails with a GenerationError saying so: an empty list would claim "no GRBs" without looking.
 */

export const ENV_FERMI_CATALOG = 'LLAMA_FERMI_GRB_CATALOG';
export const FERMI_WINDOW_SECONDS = 500;

export interface FermiGrb {
  /** GPS seconds. */
  readonly time: number;
  readonly ra: number;
  readonly dec: number;
  /** Localisation uncertainty, degrees. */
  readonly sigma: number;
  readonly name?: string;
}

const TIME_KEYS = ['gps', 'time', 'trigger_time', 'mjd', 'trigger_mjd', 'utc', 'time_iso', 'trigger_time_iso', 'date'];
const SIGMA_KEYS = ['sigma', 'error_radius', 'err', 'error', 'ang_err', 'radius'];
const NAME_KEYS = ['name', 'grb', 'trigger_name', 'id'];

function toGps(key: string, value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) {
    return key.includes('mjd') || (value > 10000 && value < 100000) ? mjdToGps(value) : value;
  }
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const n = Number(value);
  if (Number.isFinite(n)) return toGps(key, n);
  try {
    return isoToGps(value);
  } catch {
    return undefined;
  }
}

function recordToGrb(o: Record<string, unknown>, where: string): FermiGrb {
  const lower = Object.fromEntries(Object.entries(o).map(([k, v]) => [k.trim().toLowerCase(), v]));
  const timeKey = TIME_KEYS.find((k) => lower[k] !== undefined && lower[k] !== '');
  const time = timeKey === undefined ? undefined : toGps(timeKey, lower[timeKey]);
  const num = (v: unknown): number | undefined => {
    const n = typeof v === 'string' ? Number(v) : v;
    return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
  };
  const ra = num(lower['ra']);
  const dec = num(lower['dec']);
  const sigmaKey = SIGMA_KEYS.find((k) => lower[k] !== undefined && lower[k] !== '');
  const sigma = sigmaKey === undefined ? undefined : num(lower[sigmaKey]);
  const problems: string[] = [];
  if (time === undefined) problems.push(`needs a time (${TIME_KEYS.join('/')}: GPS s, MJD or ISO UTC)`);
  if (ra === undefined) problems.push('needs a numeric "ra" (deg)');
  if (dec === undefined || Math.abs(dec) > 90) problems.push('needs a numeric "dec" in [-90, 90] (deg)');
  if (sigma === undefined || sigma < 0) problems.push(`needs a non-negative error (${SIGMA_KEYS.join('/')}, deg)`);
  if (problems.length > 0) throw new GenerationError(`${where}: ${problems.join('; ')}`);
  const nameKey = NAME_KEYS.find((k) => typeof lower[k] === 'string' && lower[k] !== '');
  return { time: time as number, ra: ra as number, dec: dec as number, sigma: sigma as number, ...(nameKey === undefined ? {} : { name: lower[nameKey] as string }) };
}

/** Split one CSV line, honouring double quotes. */
function csvCells(line: string): string[] {
  const cells: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      cells.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  cells.push(cur.trim());
  return cells;
}

export function parseFermiCatalog(text: string, source: string): FermiGrb[] {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (cause) {
      throw new GenerationError(`${source}: not valid JSON`, { cause });
    }
    const list = Array.isArray(raw) ? raw : (raw as { grbs?: unknown }).grbs;
    if (!Array.isArray(list)) throw new GenerationError(`${source}: a JSON catalogue must be a list of GRB objects (or {"grbs": [...]})`);
    return list.map((o, i) => {
      if (o === null || typeof o !== 'object') throw new GenerationError(`${source}: entry ${i}: must be an object`);
      return recordToGrb(o as Record<string, unknown>, `${source}: entry ${i}`);
    });
  }
  const lines = text.split(/\r?\n/);
  const headerIndex = lines.findIndex((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  if (headerIndex < 0) throw new GenerationError(`${source}: the CSV catalogue is empty`);
  const header = csvCells((lines[headerIndex] as string).replace(/^#/, '')).map((h) => h.toLowerCase());
  if (!header.includes('ra') || !header.includes('dec')) {
    throw new GenerationError(`${source}: line ${headerIndex + 1}: the CSV needs a header row naming the columns (a time column, ra, dec and an error column), got ${JSON.stringify(header.join(','))}`);
  }
  const out: FermiGrb[] = [];
  for (let i = headerIndex + 1; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '' || line.startsWith('#')) continue;
    const cells = csvCells(line);
    out.push(recordToGrb(Object.fromEntries(header.map((h, j) => [h, cells[j] ?? ''])), `${source}: line ${i + 1}`));
  }
  return out;
}

async function readCatalog(location: string, signal: AbortSignal): Promise<string> {
  if (/^(file|https?):/i.test(location)) return fetchText(location, signal);
  try {
    await access(location);
    return await readFile(location, 'utf8');
  } catch (cause) {
    throw new GenerationError(`${location} (from ${ENV_FERMI_CATALOG}): cannot read the GRB catalogue`, { cause });
  }
}

export function grbsInWindow(grbs: readonly FermiGrb[], gwGps: number): FermiGrb[] {
  return grbs.filter((g) => Math.abs(g.time - gwGps) <= FERMI_WINDOW_SECONDS).sort((a, b) => a.time - b.time);
}

export async function generateFermiGrbs(ctx: GenerateContext): Promise<void> {
  const location = (ctx.env[ENV_FERMI_CATALOG] ?? '').trim();
  if (location === '') {
    throw new GenerationError(`${ENV_FERMI_CATALOG} is not set: name a Fermi GRB catalogue (CSV or JSON; path, file:// or http(s):// URL) to search for GRBs within ±500 s`);
  }
  const gwGps = eventGps(await readSkymapInfo(ctx.inputs['SkymapInfo'] as string));
  const grbs = grbsInWindow(parseFermiCatalog(await readCatalog(location, ctx.signal), location), gwGps);
  await writeFile(ctx.outputPath, `${JSON.stringify(grbs, null, 2)}\n`);
}

export { validateZtfTriggerList, ZTF_PLOT_SIGMA_DEG } from './ztf.js';
export type { ZtfTrigger } from './ztf.js';
