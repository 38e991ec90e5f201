import { createHash } from 'node:crypto';
import { GenerationError } from '@llama/core';
import { gpsToMjd, mjdToGps } from '../time/gps.js';
import type { RawNeutrino } from './archive.js';
import { icrsToZenithAzimuth, zenithAzimuthToIcrs } from '../coords/index.js';
import { MIN_SIGMA_DEG, type Neutrino, type NeutrinoList } from './types.js';

/** ±500 s around the GW time (3.5.1; GCN circulars). */
export const WINDOW_SECONDS = 500;
/** 3.5.1 ICECUBE_MAX_DELAY: how late a GFU event may reach I3Live. */
export const MAX_DELAY_SECONDS = 100;
/** 3.5.1 looked for a later neutrino in up to 10 slices of 100 s after the window. */
export const LOOKAHEAD_SECONDS = 1000;

export interface ListBuildOptions {
  readonly gwGps: number;
  readonly nowGps: number;
  readonly blinded: boolean;
  /** Seeds the blinding scramble so regenerations give the same bytes. */
  readonly eventId: string;
  readonly source: string;
}

export interface ListBuildResult {
  readonly list: NeutrinoList;
  /** Set while the list may still grow: the engine should regenerate it after this many seconds. */
  readonly retryAfterSeconds?: number;
  readonly reason?: string;
}

/** The UTC MJD range to ask a source for: the window plus the look-ahead used for completeness. */
export function queryRange(gwGps: number, nowGps: number): { startMjd: number; stopMjd: number } {
  const stop = Math.min(gwGps + WINDOW_SECONDS + LOOKAHEAD_SECONDS, Math.max(nowGps, gwGps + WINDOW_SECONDS));
  return { startMjd: gpsToMjd(gwGps - WINDOW_SECONDS), stopMjd: gpsToMjd(stop) };
}

/** A number in [0, 1) from a hash: independent of the true azimuth, stable across regenerations. */
function scrambleUnit(parts: readonly string[]): number {
  const digest = createHash('sha256').update(parts.join('\u0000')).digest();
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

/**
 * Fill in the derived fields of one neutrino: the σ floor, zenith/azimuth from RA/Dec (or the
 * reverse) with 3.5.1's transform (../coords: precession, nutation, aberration; the MJD read as
 * UT1), the type, and blinding. When a source gives both pairs they are kept as given. Blinding
 * (3.5.1) replaces the azimuth by a uniform random value and sets `type: "blinded"`; RA/Dec are
 * then recomputed from the scrambled local direction, as 3.5.1 recomputes them from zenith/azimuth
 * (RA is scrambled; Dec moves by at most the angle between the true pole of date, which is the
 * site's vertical to 0.006°, and the ICRS pole: ≈ 0.15° in 2026).
 */
export function completeNeutrino(raw: RawNeutrino, options: { blinded: boolean; eventId: string; defaultType: Neutrino['type'] }): Neutrino {
  let zenith = raw.zenith;
  let azimuth = raw.azimuth;
  let ra = raw.ra;
  let dec = raw.dec;
  if (zenith === undefined || azimuth === undefined) {
    if (ra === undefined || dec === undefined) throw new GenerationError(`neutrino at MJD ${raw.mjd}: needs RA/Dec or zenith/azimuth`);
    ({ zenith, azimuth } = icrsToZenithAzimuth(raw.mjd, ra, dec));
  } else if (ra === undefined || dec === undefined) {
    ({ ra, dec } = zenithAzimuthToIcrs(raw.mjd, zenith, azimuth));
  }
  let type = raw.type ?? options.defaultType;
  if (options.blinded) {
    azimuth = 360 * scrambleUnit([options.eventId, String(raw.mjd), raw.run ?? '', raw.event ?? '']);
    ({ ra, dec } = zenithAzimuthToIcrs(raw.mjd, zenith, azimuth));
    type = 'blinded';
  }
  return {
    mjd: raw.mjd,
    ra,
    dec,
    sigma: Math.max(raw.sigma, MIN_SIGMA_DEG),
    energy: raw.energy,
    zenith,
    azimuth,
    type,
    ...(raw.run === undefined ? {} : { run: raw.run }),
    ...(raw.event === undefined ? {} : { event: raw.event }),
  };
}

/**
 * Cut the neutrinos to ±500 s and decide completeness. Complete (3.5.1's intent, fixing its
 * inverted check) once the window end + the maximum delay has passed AND a neutrino later than the
 * window end has arrived; until then the list is written with `complete: false` and marked for
 * regeneration.
 */
export function buildNeutrinoList(raw: readonly RawNeutrino[], options: ListBuildOptions, defaultType: Neutrino['type']): ListBuildResult {
  const windowStart = options.gwGps - WINDOW_SECONDS;
  const windowEnd = options.gwGps + WINDOW_SECONDS;
  const inWindow: Neutrino[] = [];
  let laterArrived = false;
  for (const r of raw) {
    const gps = mjdToGps(r.mjd);
    if (gps > windowEnd) laterArrived = true;
    if (gps < windowStart || gps > windowEnd) continue;
    inWindow.push(completeNeutrino(r, { blinded: options.blinded, eventId: options.eventId, defaultType }));
  }
  inWindow.sort((a, b) => a.mjd - b.mjd);
  const waitedEnough = options.nowGps >= windowEnd + MAX_DELAY_SECONDS;
  const complete = waitedEnough && laterArrived;
  const list: NeutrinoList = { triggers: inWindow, complete, source: options.source };
  if (complete) return { list };
  let reason: string;
  let retryAfterSeconds: number;
  if (!waitedEnough) {
    reason = `the window closes at GW+${WINDOW_SECONDS} s and neutrinos may arrive up to ${MAX_DELAY_SECONDS} s late`;
    retryAfterSeconds = 60;
  } else {
    reason = 'no neutrino after the window end has arrived yet, so late neutrinos inside it cannot be ruled out';
    const overdue = options.nowGps - windowEnd;
    retryAfterSeconds = overdue < 3600 ? 60 : overdue < 86400 ? 600 : 3600;
  }
  return { list, retryAfterSeconds, reason };
}
