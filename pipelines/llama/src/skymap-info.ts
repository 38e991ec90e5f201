import { readFile } from 'node:fs/promises';
import { GenerationError } from '@llama/core';
import { isoToGps } from './time/gps.js';

/** `skymap_info.json` (3.5.1 SkymapInfo): the entry point of every GW analysis. */
export interface SkymapInfoData {
  /** UTC ISO time of the GW event. */
  readonly event_time_iso: string;
  readonly graceid: string;
  /** False-alarm rate, Hz. */
  readonly far: number;
  readonly notice_time_iso: string;
  /** Upper case, e.g. GSTLAL, CWB. */
  readonly pipeline: string;
  /** `name,version`, e.g. `bayestar.multiorder.fits,1`. */
  readonly skymap_filename: string;
  readonly alert_type: string;
}

export const ALERT_TYPES = [
  'lvalert', 'gcn', 'gcn-initial', 'gcn-preliminary', 'gcn-update', 'gcn-earlywarning',
  'gstlal-online', 'gstlal-offline', 'manual', 'igwn-alert',
] as const;

/** Check a parsed SkymapInfo object; returns every problem found (empty when valid). */
export function skymapInfoProblems(raw: unknown): string[] {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return ['must be a JSON object'];
  const o = raw as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of ['event_time_iso', 'graceid', 'notice_time_iso', 'pipeline', 'skymap_filename', 'alert_type']) {
    if (typeof o[key] !== 'string' || o[key] === '') problems.push(`"${key}" must be a non-empty string`);
  }
  if (typeof o['far'] !== 'number' || !Number.isFinite(o['far']) || o['far'] < 0) problems.push('"far" must be a non-negative number (Hz)');
  for (const key of ['event_time_iso', 'notice_time_iso']) {
    if (typeof o[key] === 'string') {
      try {
        isoToGps(o[key]);
      } catch {
        problems.push(`"${key}" is not an ISO-8601 time: ${JSON.stringify(o[key])}`);
      }
    }
  }
  if (typeof o['skymap_filename'] === 'string' && !/^[^,/]+,\d+$/.test(o['skymap_filename'])) {
    problems.push(`"skymap_filename" must be "name,version", got ${JSON.stringify(o['skymap_filename'])}`);
  }
  if (typeof o['alert_type'] === 'string' && !(ALERT_TYPES as readonly string[]).includes(o['alert_type'])) {
    problems.push(`"alert_type" must be one of ${ALERT_TYPES.join(', ')}`);
  }
  return problems;
}

export function parseSkymapInfo(text: string, source = 'skymap_info.json'): SkymapInfoData {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new GenerationError(`${source}: not valid JSON`, { cause });
  }
  const problems = skymapInfoProblems(raw);
  if (problems.length > 0) throw new GenerationError(`${source}: ${problems.join('; ')}`);
  return raw as SkymapInfoData;
}

export async function readSkymapInfo(path: string): Promise<SkymapInfoData> {
  return parseSkymapInfo(await readFile(path, 'utf8'), path);
}

/** GPS time of the GW event. */
export function eventGps(info: SkymapInfoData): number {
  return isoToGps(info.event_time_iso);
}

/** The skymap file name and version from `name,version`. */
export function skymapNameVersion(info: SkymapInfoData): { name: string; version: number } {
  const [name, version] = info.skymap_filename.split(',');
  return { name: name as string, version: Number(version) };
}
