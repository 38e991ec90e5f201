import { GenerationError } from '@llama/core';
import { fetchText, parseNeutrinoArchive, type RawNeutrino } from './archive.js';
import { DEFAULT_I3LIVE_URL, queryI3Live } from './i3live.js';
import type { NeutrinoType } from './types.js';

/**
 * Where neutrinos come from, chosen by LLAMA_ICECUBE_SOURCE:
 * - `i3live` (default when no archive is configured): the 3.5.1 I3Live query at LLAMA_I3LIVE_URL
 *   with ICECUBE_USERNAME / ICECUBE_PASSWORD;
 * - `archive`, or a `file://` / `http(s)://` URL directly: a JSON Lines archive
 *   (LLAMA_NEUTRINO_ARCHIVE_URL when the variable is just `archive`).
 */
export interface NeutrinoSource {
  /** Recorded in the list's `source` field. */
  readonly name: string;
  /** The type neutrinos get when the source does not say. */
  readonly defaultType: NeutrinoType;
  fetch(startMjd: number, stopMjd: number, signal: AbortSignal, log?: (message: string) => void): Promise<RawNeutrino[]>;
}

export const ENV_SOURCE = 'LLAMA_ICECUBE_SOURCE';
export const ENV_ARCHIVE_URL = 'LLAMA_NEUTRINO_ARCHIVE_URL';
export const ENV_I3LIVE_URL = 'LLAMA_I3LIVE_URL';
export const ENV_I3LIVE_RETRIES = 'LLAMA_I3LIVE_RETRIES';
export const ENV_I3LIVE_RETRY_DELAY = 'LLAMA_I3LIVE_RETRY_DELAY_SECONDS';

function nonNegative(env: Readonly<Record<string, string | undefined>>, key: string, fallback: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new GenerationError(`${key}=${JSON.stringify(raw)} must be a non-negative number`);
  return value;
}

function archiveSource(url: string): NeutrinoSource {
  return {
    name: url,
    defaultType: 'archival',
    async fetch(startMjd, stopMjd, signal) {
      const all = parseNeutrinoArchive(await fetchText(url, signal), url);
      return all.filter((n) => n.mjd >= startMjd && n.mjd <= stopMjd);
    },
  };
}

export function neutrinoSource(env: Readonly<Record<string, string | undefined>>): NeutrinoSource {
  const choice = (env[ENV_SOURCE] ?? '').trim();
  const archiveUrl = (env[ENV_ARCHIVE_URL] ?? '').trim();
  if (/^(file|https?):/i.test(choice)) return archiveSource(choice);
  if (choice === 'archive' || (choice === '' && archiveUrl !== '')) {
    if (archiveUrl === '') throw new GenerationError(`${ENV_SOURCE}=archive needs ${ENV_ARCHIVE_URL} (a file://, http:// or https:// URL of a JSON Lines archive)`);
    return archiveSource(archiveUrl);
  }
  if (choice !== '' && choice !== 'i3live') {
    throw new GenerationError(`${ENV_SOURCE}=${JSON.stringify(choice)}: expected "i3live", "archive", or a file://, http:// or https:// URL`);
  }
  const username = env['ICECUBE_USERNAME'];
  const password = env['ICECUBE_PASSWORD'];
  if (username === undefined || username === '' || password === undefined || password === '') {
    throw new GenerationError(
      `the I3Live neutrino source needs ICECUBE_USERNAME and ICECUBE_PASSWORD (or set ${ENV_SOURCE} to an archive URL)`,
    );
  }
  const url = (env[ENV_I3LIVE_URL] ?? '').trim() || DEFAULT_I3LIVE_URL;
  const retries = Math.floor(nonNegative(env, ENV_I3LIVE_RETRIES, 3));
  const retryDelayMs = nonNegative(env, ENV_I3LIVE_RETRY_DELAY, 5) * 1000;
  return {
    name: 'i3live',
    defaultType: 'observation',
    fetch(startMjd, stopMjd, signal, log) {
      return queryI3Live({
        url, username, password, startMjd, stopMjd, retries, retryDelayMs, signal,
        onRetry: (attempt, reason) => log?.(`I3Live ${url}: ${reason}; retry ${attempt} of ${retries}`),
      });
    },
  };
}
