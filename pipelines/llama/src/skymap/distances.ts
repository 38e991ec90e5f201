/**
 * `lvc_skymap_distances.json`: `[{"distmean": x, "diststd": y}]`, the header's DISTMEAN and
 * DISTSTD (Mpc), as 3.5.1 took them from `read_sky_map(moc=True).meta`.
 *
 * A missing value is written as JSON `null`: 3.5.1 (Python's json) wrote a bare `NaN`, which is
 * not JSON and which JSON.parse, jq and most other readers reject. `readDistancesJson` accepts
 * both, and numbers, and returns NaN for either form of "absent".
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { Skymap } from './types.js';

export interface SkymapDistances {
  /** Posterior mean distance, Mpc; NaN when the header has none. */
  readonly distmean: number;
  /** Posterior standard deviation, Mpc; NaN when the header has none. */
  readonly diststd: number;
}

export function distancesFromHeader(skymap: Skymap): SkymapDistances {
  return { distmean: skymap.meta.distMean ?? NaN, diststd: skymap.meta.distStd ?? NaN };
}

/** The file's text: finite numbers as numbers, anything else as null. */
export function formatDistancesJson(distances: SkymapDistances): string {
  const value = (x: number): number | null => (Number.isFinite(x) ? x : null);
  return `${JSON.stringify([{ distmean: value(distances.distmean), diststd: value(distances.diststd) }])}\n`;
}

export async function writeDistancesJson(distances: SkymapDistances, path: string): Promise<void> {
  await writeFile(path, formatDistancesJson(distances));
}

export class DistancesJsonError extends Error {
  override readonly name = 'DistancesJsonError';
}

/** Parse the file's text, tolerating 3.5.1's bare NaN/Infinity tokens. */
export function parseDistancesJson(text: string, fileName = 'lvc_skymap_distances.json'): SkymapDistances {
  // Replace bare NaN/Infinity (outside strings, which this file never has) with null.
  const jsonText = text.replace(/(?<![\w"])-?(NaN|Infinity)(?![\w"])/g, 'null');
  let parsed: unknown;
  try {
    parsed = JSON.parse(jsonText);
  } catch (error) {
    throw new DistancesJsonError(`${fileName}: not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const entry: unknown = Array.isArray(parsed) ? parsed[0] : undefined;
  if (typeof entry !== 'object' || entry === null || !('distmean' in entry) || !('diststd' in entry)) {
    throw new DistancesJsonError(`${fileName}: expected [{"distmean": …, "diststd": …}]`);
  }
  const field = (key: 'distmean' | 'diststd'): number => {
    const value = (entry as Record<string, unknown>)[key];
    if (value === null) return NaN;
    if (typeof value !== 'number') throw new DistancesJsonError(`${fileName}: ${key} is neither a number nor null`);
    return value;
  };
  return { distmean: field('distmean'), diststd: field('diststd') };
}

export async function readDistancesJson(path: string): Promise<SkymapDistances> {
  return parseDistancesJson(await readFile(path, 'utf8'), path);
}
