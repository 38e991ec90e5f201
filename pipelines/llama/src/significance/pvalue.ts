import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { GenerationError } from '@llama/core';
import { dataFileUrl } from './model.js';

/**
 * Background odds-ratio distributions made by `llama background`, and the p-value lookup.
 * p = (number of background values ≥ observed) / (number of values), as 3.5.1's
 * `p = 1 − rank/len` on a sorted background array.
 */

export interface BackgroundEntry {
  readonly population: string;
  readonly instruments: string;
  /** Number of background trials (one trial = one ±500 s window of scrambled neutrinos). */
  readonly trials: number;
  readonly skymaps: string;
  readonly seed: number;
  /** Sorted ascending: every background neutrino's odds ratio. */
  readonly per_neutrino: readonly number[];
  /** Sorted ascending: per trial, the sum of per-neutrino odds (CoincSignificanceI3Lvc). */
  readonly combined_sum: readonly number[];
  /** Sorted ascending: per trial, the joint odds with p_h_0 = 0 (CoincSignificanceSubthresholdI3Lvc). */
  readonly combined_joint: readonly number[];
}

export interface BackgroundTable {
  readonly format: 'llama-background-v1';
  /** The neutrino model the trials were drawn from and evaluated with. */
  readonly model: string;
  readonly created: string;
  readonly generator: string;
  readonly entries: Readonly<Record<string, BackgroundEntry>>;
}

export const BACKGROUND_TABLE_FILENAME = 'background-pvalues.json.gz';
export const ENV_BACKGROUND_TABLE = 'LLAMA_BACKGROUND_TABLE';

export function backgroundKey(population: string, instruments: string): string {
  return `${population}/${instruments}`;
}

/** p-value of `observed` against a sorted background sample (null when there is none). */
export function pValue(sorted: readonly number[], observed: number): number | null {
  const n = sorted.length;
  if (n === 0 || !Number.isFinite(observed)) return null;
  // First index with value ≥ observed.
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) < observed) lo = mid + 1;
    else hi = mid;
  }
  return (n - lo) / n;
}

export function parseBackgroundTable(bytes: Uint8Array, source: string): BackgroundTable {
  let text: string;
  try {
    text = source.endsWith('.gz') ? gunzipSync(bytes).toString('utf8') : Buffer.from(bytes).toString('utf8');
  } catch (cause) {
    throw new GenerationError(`${source}: cannot decompress the background table`, { cause });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new GenerationError(`${source}: the background table is not valid JSON`, { cause });
  }
  const t = raw as Partial<BackgroundTable> | null;
  if (t === null || typeof t !== 'object' || t.format !== 'llama-background-v1' || typeof t.entries !== 'object' || t.entries === null) {
    throw new GenerationError(`${source}: not a llama background table (format must be "llama-background-v1")`);
  }
  for (const [key, e] of Object.entries(t.entries)) {
    for (const field of ['per_neutrino', 'combined_sum', 'combined_joint'] as const) {
      const list = (e as Partial<BackgroundEntry>)[field];
      if (!Array.isArray(list) || list.some((v, i) => typeof v !== 'number' || (i > 0 && v < (list[i - 1] as number)))) {
        throw new GenerationError(`${source}: entry ${key}: "${field}" must be a sorted list of numbers`);
      }
    }
  }
  return t as BackgroundTable;
}

/** The table named by LLAMA_BACKGROUND_TABLE, else the shipped one. */
export function loadBackgroundTable(env: Readonly<Record<string, string | undefined>>): { table: BackgroundTable; source: string } {
  const override = env[ENV_BACKGROUND_TABLE];
  const path = override !== undefined && override !== '' ? override : dataFileUrl(BACKGROUND_TABLE_FILENAME).pathname;
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (cause) {
    throw new GenerationError(`${path}: cannot read the background table${override === undefined ? '' : ` (from ${ENV_BACKGROUND_TABLE})`}`, { cause });
  }
  return { table: parseBackgroundTable(bytes, path), source: path };
}
