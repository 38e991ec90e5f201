import { readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { GenerationError } from '@llama/core';
import { dataFileUrl, type SampleId } from './samples.js';

/**
 * The background odds table and 3.5.1's p-value (utils.py:63-114): the background is keyed by
 * search type ('opa' or 'subthreshold'), population, sensitivity ('o3') and the sorted, joined
 * instruments, and p = 1 − searchsorted(bg, odds)/len(bg), the fraction of background values ≥
 * odds. Every per-neutrino p-value uses the same event-sum background as the combined one.
 *
 * A table made by another method or from another background neutrino sample is refused.
 */

export const BACKGROUND_TABLE_FORMAT = 'llama-background-351-v1';
export const BACKGROUND_TABLE_FILENAME = 'background-pvalues.json.gz';
export const ENV_BACKGROUND_TABLE = 'LLAMA_BACKGROUND_TABLE';

export type SearchType = 'opa' | 'subthreshold';

export interface BackgroundEntry {
  readonly search_type: SearchType;
  /** The odds method the trials were run with (e.g. llama-3.5.1-opa). */
  readonly method: string;
  readonly population: string;
  readonly sensitivity: string;
  readonly instruments: string;
  readonly trials: number;
  /** Seeds of the chunks merged into this entry. */
  readonly seeds: readonly number[];
  /** Sorted ascending: one event-sum odds ratio per trial. */
  readonly odds: readonly number[];
  /** Subthreshold entries: the GW background SNR list the trials drew their SNRs from. */
  readonly gw_snr?: { readonly name: string; readonly sha256: string };
}

export interface BackgroundTable {
  readonly format: typeof BACKGROUND_TABLE_FORMAT;
  /** The background neutrino sample the trials drew from. */
  readonly sample: { readonly name: string; readonly sha256: string };
  readonly created: string;
  readonly generator: string;
  readonly entries: Readonly<Record<string, BackgroundEntry>>;
}

/** 3.5.1's HDF5 path `search_type/population/sensitivity/instruments`. */
export function backgroundKey(searchType: SearchType, population: string, sensitivity: string, instruments: string): string {
  return `${searchType}/${population}/${sensitivity}/${instruments}`;
}

/**
 * 3.5.1's p-value: 1 − bg.searchsorted(odds)/len(bg) (side 'left'); null without background.
 * numpy sorts NaN last, so a NaN odds ratio ranks above everything (p = 0), as in 3.5.1.
 */
export function pValue(sorted: readonly number[], odds: number): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  if (Number.isNaN(odds)) return 1 - n / n;
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < odds) lo = mid + 1;
    else hi = mid;
  }
  return 1 - lo / n;
}

export function parseBackgroundTable(bytes: Uint8Array, source: string): BackgroundTable {
  let text: string;
  try {
    text = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes).toString('utf8') : Buffer.from(bytes).toString('utf8');
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
  if (t === null || typeof t !== 'object' || t.format !== BACKGROUND_TABLE_FORMAT || typeof t.entries !== 'object' || t.entries === null
    || typeof t.sample?.sha256 !== 'string') {
    const found = t !== null && typeof t === 'object' ? JSON.stringify((t as { format?: unknown }).format ?? null) : 'no object';
    throw new GenerationError(`${source}: not a ${BACKGROUND_TABLE_FORMAT} background table (format ${found}); make one with \`llama background\``);
  }
  for (const [key, e] of Object.entries(t.entries)) {
    const list = (e as Partial<BackgroundEntry>).odds;
    if (typeof e?.method !== 'string' || !Array.isArray(list) || list.some((v, i) => typeof v !== 'number' || (i > 0 && v < (list[i - 1] as number)))) {
      throw new GenerationError(`${source}: entry ${key}: needs "method" and "odds", a sorted list of numbers`);
    }
  }
  return t as BackgroundTable;
}

export interface LoadedTable {
  readonly table: BackgroundTable;
  readonly source: string;
  /** The shipped default, not a table named by LLAMA_BACKGROUND_TABLE. */
  readonly shipped?: boolean;
}

/**
 * The table named by LLAMA_BACKGROUND_TABLE, else the shipped data/background-pvalues.json.gz;
 * undefined when the default file does not exist (p-values are then null, as 3.5.1's None).
 */
export function loadBackgroundTable(env: Readonly<Record<string, string | undefined>>): LoadedTable | undefined {
  const override = env[ENV_BACKGROUND_TABLE];
  const configured = override !== undefined && override !== '';
  const path = configured ? override : dataFileUrl(BACKGROUND_TABLE_FILENAME).pathname;
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (cause) {
    if (!configured && (cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new GenerationError(`${path}: cannot read the background table${configured ? ` (from ${ENV_BACKGROUND_TABLE})` : ''}`, { cause });
  }
  // The shipped table is named by its place in the package, not by where the package is
  // installed: the name goes into the significance output, which must not differ between
  // machines (or Slurm nodes) for the same inputs.
  const source = configured ? path : `data/${BACKGROUND_TABLE_FILENAME}`;
  return { table: parseBackgroundTable(bytes, source), source, shipped: !configured };
}

/**
 * The background for one search, or a note saying why there is none. A table from another
 * sample, or an entry made by another method, is an error: its p-values would be wrong.
 */
export function selectBackground(
  loaded: LoadedTable | undefined,
  key: string,
  method: string,
  sample: SampleId,
  gwSnr?: SampleId,
): { entry: BackgroundEntry } | { note: string } {
  const fill = `run \`llama background\` (see pipelines/llama/data/README.md)`;
  if (loaded === undefined) return { note: `no background table (the shipped ${BACKGROUND_TABLE_FILENAME} is absent); ${fill}` };
  const { table, source } = loaded;
  if (table.sample.sha256 !== sample.sha256 && loaded.shipped === true) {
    // The shipped table belongs to the shipped sample: with another sample configured it does not
    // apply (not used, never mixed), and no table was asked for, so this is not an error.
    return { note: `the shipped background table ${source} was made from neutrino sample ${table.sample.name} (sha256 ${table.sample.sha256.slice(0, 12)}…), not ${sample.name} (sha256 ${sample.sha256.slice(0, 12)}…): not used; make one from this sample and name it with ${ENV_BACKGROUND_TABLE}; ${fill}` };
  }
  if (table.sample.sha256 !== sample.sha256) {
    throw new GenerationError(`${source}: refused: the background table was made from neutrino sample ${table.sample.name} (sha256 ${table.sample.sha256.slice(0, 12)}…), not ${sample.name} (sha256 ${sample.sha256.slice(0, 12)}…); ${fill}`);
  }
  const entry = table.entries[key];
  if (entry === undefined) return { note: `no background trials for ${key} in ${source}; ${fill}` };
  if (entry.method !== method) {
    throw new GenerationError(`${source}: refused: the background for ${key} was made with method ${entry.method}, not ${method}; ${fill}`);
  }
  // A subthreshold background depends on the GW SNR list as much as on the neutrino sample.
  if (gwSnr !== undefined && entry.gw_snr !== undefined && entry.gw_snr.sha256 !== gwSnr.sha256) {
    throw new GenerationError(`${source}: refused: the background for ${key} was made from GW background SNR list ${entry.gw_snr.name} (sha256 ${entry.gw_snr.sha256.slice(0, 12)}…), not ${gwSnr.name} (sha256 ${gwSnr.sha256.slice(0, 12)}…); ${fill}`);
  }
  return { entry };
}

/** The table as written to disk: gzipped JSON. */
export function encodeBackgroundTable(table: BackgroundTable): Buffer {
  return gzipSync(JSON.stringify(table));
}
