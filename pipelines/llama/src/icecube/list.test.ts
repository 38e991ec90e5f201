import { describe, expect, it } from 'vitest';
import { gpsToMjd, mjdToGps } from '../time/gps.js';
import type { RawNeutrino } from './archive.js';
import { readFileSync } from 'node:fs';
import { icrsToZenithAzimuth, zenithAzimuthToIcrs } from '../coords/index.js';
import { angularDistanceDeg } from './coords.js';
import { buildNeutrinoList, MAX_DELAY_SECONDS, queryRange, WINDOW_SECONDS } from './list.js';
import { MIN_SIGMA_DEG } from './types.js';

const GW = 1250000000;
const at = (dt: number, extra: Partial<RawNeutrino> = {}): RawNeutrino => ({
  mjd: gpsToMjd(GW + dt), ra: 150, dec: 10, sigma: 0.5, energy: 2e4, ...extra,
});
const opts = (nowGps: number, blinded = false) => ({ gwGps: GW, nowGps, blinded, eventId: 'S190425z', source: 'test' });

describe('IceCubeNeutrinoList building', () => {
  it('keeps neutrinos within ±500 s, sorted, and derives zenith/azimuth from RA/Dec', () => {
    const raw = [at(400), at(-600), at(-499.9), at(501), at(0)];
    const { list } = buildNeutrinoList(raw, opts(GW + 5000), 'archival');
    expect(list.triggers.map((n) => Math.round((n.mjd - gpsToMjd(GW)) * 86400))).toEqual([-500, 0, 400]);
    const n = list.triggers[0]!;
    const local = icrsToZenithAzimuth(n.mjd, 150, 10);
    expect(n.zenith).toBeCloseTo(local.zenith, 10);
    expect(n.azimuth).toBeCloseTo(local.azimuth, 10);
    expect(n.type).toBe('archival');
  });
  it('derives RA/Dec from zenith/azimuth when only those are given', () => {
    const mjd = gpsToMjd(GW);
    const { list } = buildNeutrinoList([{ mjd, zenith: 100, azimuth: 33, sigma: 1, energy: 1e3 }, at(700)], opts(GW + 5000), 'observation');
    const eq = zenithAzimuthToIcrs(mjd, 100, 33);
    expect(list.triggers[0]).toMatchObject({ ra: eq.ra, dec: eq.dec, type: 'observation' });
  });
  it('gives zenith/azimuth and RA/Dec as astropy does (3.5.1), to 1″, in both directions', () => {
    // Independent reference: test-fixtures/coords/astropy.json (astropy 5.2.1, 3.5.1's transform).
    const fixture = JSON.parse(readFileSync(new URL('../../test-fixtures/coords/astropy.json', import.meta.url), 'utf8')) as {
      zenithAzimuthToIcrs: { mjd: number; zenith: number; azimuth: number; ra: number; dec: number }[];
      icrsToZenithAzimuth: { mjd: number; ra: number; dec: number; zenith: number; azimuth: number }[];
    };
    for (const p of fixture.icrsToZenithAzimuth.slice(10, 20)) {
      const gw = mjdToGps(p.mjd);
      const n = buildNeutrinoList([{ mjd: p.mjd, ra: p.ra, dec: p.dec, sigma: 1, energy: 1e3 }], { ...opts(gw + 5000), gwGps: gw }, 'observation').list.triggers[0]!;
      expect(angularDistanceDeg(n.azimuth, 90 - n.zenith, p.azimuth, 90 - p.zenith) * 3600).toBeLessThan(1);
    }
    for (const p of fixture.zenithAzimuthToIcrs.slice(10, 20)) {
      const gw = mjdToGps(p.mjd);
      const n = buildNeutrinoList([{ mjd: p.mjd, zenith: p.zenith, azimuth: p.azimuth, sigma: 1, energy: 1e3 }], { ...opts(gw + 5000), gwGps: gw }, 'observation').list.triggers[0]!;
      expect(angularDistanceDeg(n.ra, n.dec, p.ra, p.dec) * 3600).toBeLessThan(1);
    }
  });
  it('floors sigma at 0.2°', () => {
    const { list } = buildNeutrinoList([at(0, { sigma: 0.05 }), at(900)], opts(GW + 5000), 'archival');
    expect(list.triggers[0]?.sigma).toBe(MIN_SIGMA_DEG);
  });
  it('is incomplete (and provisional) before the window end + maximum delay, even with a later neutrino', () => {
    const r = buildNeutrinoList([at(0), at(550)], opts(GW + WINDOW_SECONDS + MAX_DELAY_SECONDS - 1), 'archival');
    expect(r.list.complete).toBe(false);
    expect(r.retryAfterSeconds).toBeGreaterThan(0);
    expect(r.reason).toMatch(/window closes/);
  });
  it('is incomplete after the delay until a neutrino later than the window has arrived', () => {
    const r = buildNeutrinoList([at(0)], opts(GW + 2000), 'archival');
    expect(r.list.complete).toBe(false);
    expect(r.reason).toMatch(/no neutrino after the window end/);
    const later = buildNeutrinoList([at(0)], opts(GW + 200000), 'archival');
    expect(later.retryAfterSeconds).toBeGreaterThan(r.retryAfterSeconds as number);
  });
  it('is complete once both conditions hold (the 3.5.1 check, not inverted)', () => {
    const r = buildNeutrinoList([at(0), at(700)], opts(GW + WINDOW_SECONDS + MAX_DELAY_SECONDS), 'archival');
    expect(r.list.complete).toBe(true);
    expect(r.retryAfterSeconds).toBeUndefined();
    expect(r.list.triggers).toHaveLength(1);
  });
  it('blinds: type "blinded", scrambled azimuth, RA following it, Dec and zenith kept, stable bytes', () => {
    const raw = [at(-100, { ra: 80, dec: -30, run: '1', event: '2' }), at(100, { ra: 300, dec: 40 }), at(900)];
    const open = buildNeutrinoList(raw, opts(GW + 5000), 'observation').list;
    const blind = buildNeutrinoList(raw, opts(GW + 5000, true), 'observation').list;
    const again = buildNeutrinoList(raw, opts(GW + 5000, true), 'observation').list;
    expect(JSON.stringify(blind)).toBe(JSON.stringify(again));
    blind.triggers.forEach((b, i) => {
      const o = open.triggers[i]!;
      expect(b.type).toBe('blinded');
      expect(b.zenith).toBe(o.zenith);
      expect(b.azimuth).not.toBeCloseTo(o.azimuth, 3);
      // Zenith is kept; Dec moves only by the tilt of the pole of date against ICRS (≈ 0.13° in 2019).
      expect(Math.abs(b.dec - o.dec)).toBeLessThan(0.2);
      const eq = zenithAzimuthToIcrs(b.mjd, b.zenith, b.azimuth);
      expect(b.ra).toBeCloseTo(eq.ra, 10);
      expect(b.ra).not.toBeCloseTo(o.ra, 2);
    });
    // A different event scrambles differently.
    const other = buildNeutrinoList(raw, { ...opts(GW + 5000, true), eventId: 'S200105ae' }, 'observation').list;
    expect(other.triggers[0]?.azimuth).not.toBeCloseTo(blind.triggers[0]!.azimuth, 3);
  });
  it('asks sources for the window plus the look-ahead, never beyond now', () => {
    const early = queryRange(GW, GW + 100);
    expect((early.stopMjd - gpsToMjd(GW + WINDOW_SECONDS)) * 86400).toBeCloseTo(0, 3);
    const late = queryRange(GW, GW + 1e6);
    expect((late.stopMjd - gpsToMjd(GW)) * 86400).toBeCloseTo(1500, 3);
    expect((gpsToMjd(GW) - late.startMjd) * 86400).toBeCloseTo(500, 3);
  });
});
