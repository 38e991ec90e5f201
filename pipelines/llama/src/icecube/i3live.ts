import { setTimeout as sleep } from 'node:timers/promises';
import { GenerationError } from '@llama/core';
import { isoToUnix, unixToMjd, mjdToUnix } from '../time/gps.js';
import type { RawNeutrino } from './archive.js';

/** 3.5.1's I3Live endpoint (realtime_tools stub). */
export const DEFAULT_I3LIVE_URL = 'https://live.icecube.wisc.edu/pfow_data/';

export interface I3LiveQuery {
  readonly url: string;
  readonly username: string;
  readonly password: string;
  /** Window, UTC MJD. */
  readonly startMjd: number;
  readonly stopMjd: number;
  /** Attempts after the first one on network errors and HTTP 5xx. */
  readonly retries: number;
  readonly retryDelayMs: number;
  readonly signal?: AbortSignal;
  readonly onRetry?: (attempt: number, reason: string) => void;
}

/** I3Live's time format: `YYYY-MM-DD HH:MM:SS.ffffff` UTC. */
export function i3liveTime(mjd: number): string {
  const unix = mjdToUnix(mjd);
  const ms = Math.floor(unix * 1000);
  const micro = Math.round((unix * 1000 - ms) * 1000);
  const iso = new Date(ms).toISOString(); // 2019-08-14T21:10:39.013Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}${String(Math.min(micro, 999)).padStart(3, '0')}`;
}

class RetryableError extends Error {}

async function postOnce(q: I3LiveQuery): Promise<string> {
  // The form fields of the 3.5.1 stub / realtime_tools.live.get_events('neutrino', …).
  const body = new URLSearchParams({
    user: q.username,
    pass: q.password,
    varname: 'realtimeEvent',
    topic: 'neutrino',
    timekey: 'value.data.eventtime',
    start: i3liveTime(q.startMjd),
    stop: i3liveTime(q.stopMjd),
  });
  let response: Response;
  try {
    response = await fetch(q.url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      ...(q.signal === undefined ? {} : { signal: q.signal }),
    });
  } catch (cause) {
    if (q.signal?.aborted === true) throw cause;
    throw new RetryableError(`request failed: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
  const text = await response.text();
  if (response.status >= 500) throw new RetryableError(`HTTP ${response.status} ${response.statusText}`);
  if (response.status === 401 || response.status === 403) {
    throw new GenerationError(`I3Live ${q.url}: HTTP ${response.status}: credentials rejected (check ICECUBE_USERNAME/ICECUBE_PASSWORD)`);
  }
  if (!response.ok) throw new GenerationError(`I3Live ${q.url}: HTTP ${response.status} ${response.statusText}: ${text.slice(0, 200)}`);
  return text;
}

function num(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

function id(value: unknown): string | undefined {
  const n = num(value);
  if (n !== undefined) return String(n);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Turn one I3Live record into a neutrino. The GFU message fields are not publicly documented, so
 * we accept the names seen in IceCube realtime code: time `eventtime` (UTC string) or `mjd`;
 * `ra`, `dec` (deg); σ from `sigma`, `angular_error` or `ang_err` (deg); `energy` (GeV) or
 * `logE`; ids `run_id`/`run`, `event_id`/`event`. Zenith and azimuth are re-derived from RA/Dec
 * (their units in I3Live messages are not documented).
 */
export function neutrinoFromI3LiveRecord(record: unknown, where: string): RawNeutrino {
  const value = (record as { value?: { data?: unknown } } | null)?.value?.data;
  let data: Record<string, unknown> | undefined;
  if (Array.isArray(value)) {
    // Older streams send the payload as [key, value] pairs.
    data = Object.fromEntries(value.filter((p): p is [string, unknown] => Array.isArray(p) && typeof p[0] === 'string').map((p) => [p[0], p[1]]));
  } else if (value !== null && typeof value === 'object') {
    data = value as Record<string, unknown>;
  }
  if (data === undefined) throw new GenerationError(`${where}: missing value.data`);
  let mjd = num(data['mjd']);
  if (mjd === undefined && typeof data['eventtime'] === 'string') {
    try {
      mjd = unixToMjd(isoToUnix(data['eventtime']));
    } catch {
      mjd = undefined;
    }
  }
  const ra = num(data['ra']);
  const dec = num(data['dec']);
  const sigma = num(data['sigma'] ?? data['angular_error'] ?? data['ang_err']);
  const logE = num(data['logE']);
  const energy = num(data['energy']) ?? (logE === undefined ? undefined : 10 ** logE);
  const missing = Object.entries({ 'eventtime or mjd': mjd, ra, dec, sigma, energy })
    .filter(([, v]) => v === undefined)
    .map(([k]) => k);
  if (missing.length > 0) throw new GenerationError(`${where}: missing or non-numeric ${missing.join(', ')}`);
  const run = id(data['run_id'] ?? data['run']);
  const event = id(data['event_id'] ?? data['event']);
  return {
    mjd: mjd as number,
    ra: ra as number,
    dec: dec as number,
    sigma: sigma as number,
    energy: energy as number,
    type: 'observation',
    ...(run === undefined ? {} : { run }),
    ...(event === undefined ? {} : { event }),
  };
}

/** Query I3Live for GFU neutrinos in a window, retrying transient failures. */
export async function queryI3Live(q: I3LiveQuery): Promise<RawNeutrino[]> {
  let text: string | undefined;
  let lastReason = '';
  for (let attempt = 0; attempt <= q.retries; attempt++) {
    if (attempt > 0) {
      q.onRetry?.(attempt, lastReason);
      await sleep(q.retryDelayMs, undefined, q.signal === undefined ? {} : { signal: q.signal });
    }
    try {
      text = await postOnce(q);
      break;
    } catch (error) {
      if (!(error instanceof RetryableError)) throw error;
      lastReason = error.message;
    }
  }
  if (text === undefined) {
    throw new GenerationError(`I3Live ${q.url}: ${lastReason} (gave up after ${q.retries + 1} attempts)`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new GenerationError(`I3Live ${q.url}: the response is not valid JSON: ${text.slice(0, 120)}`, { cause });
  }
  if (!Array.isArray(parsed)) throw new GenerationError(`I3Live ${q.url}: expected a JSON list of events`);
  return parsed.map((record, i) => neutrinoFromI3LiveRecord(record, `I3Live ${q.url}: event ${i}`));
}
