import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { icrsToZenithAzimuth, zenithAzimuthToIcrs } from './index.js';

/** Reference values from astropy 5.2.1, written by test-fixtures/coords/make.py (3.5.1's transform). */
interface Fixture {
  readonly zenithAzimuthToIcrs: readonly { mjd: number; zenith: number; azimuth: number; ra: number; dec: number }[];
  readonly icrsToZenithAzimuth: readonly { mjd: number; ra: number; dec: number; zenith: number; azimuth: number }[];
}
const fixture = JSON.parse(readFileSync(new URL('../../test-fixtures/coords/astropy.json', import.meta.url), 'utf8')) as Fixture;

const DEG = Math.PI / 180;
const ARCSEC = 1 / 3600;

/** Great-circle distance in degrees between two (longitude, latitude) points in degrees. */
function separation(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const h = Math.sin(((lat2 - lat1) * DEG) / 2) ** 2 + Math.cos(lat1 * DEG) * Math.cos(lat2 * DEG) * Math.sin(((lon2 - lon1) * DEG) / 2) ** 2;
  return (2 * Math.asin(Math.min(1, Math.sqrt(h)))) / DEG;
}

/** Separation of two local directions; compared on the sphere because azimuth is undefined at the zenith. */
const localSeparation = (z1: number, a1: number, z2: number, a2: number): number => separation(a1, 90 - z1, a2, 90 - z2);

describe('IceCube zenith/azimuth ↔ ICRS against astropy (3.5.1 zen_az2ra_dec / ra_dec2zen_az)', () => {
  it('has a few hundred reference points in each direction', () => {
    expect(fixture.zenithAzimuthToIcrs.length).toBeGreaterThanOrEqual(300);
    expect(fixture.icrsToZenithAzimuth.length).toBeGreaterThanOrEqual(300);
  });

  it('zenithAzimuthToIcrs agrees to 1″', () => {
    let worst = 0;
    for (const p of fixture.zenithAzimuthToIcrs) {
      const got = zenithAzimuthToIcrs(p.mjd, p.zenith, p.azimuth);
      expect(got.ra).toBeGreaterThanOrEqual(0);
      expect(got.ra).toBeLessThan(360);
      worst = Math.max(worst, separation(got.ra, got.dec, p.ra, p.dec));
    }
    expect(worst).toBeLessThan(1 * ARCSEC);
  });

  it('icrsToZenithAzimuth agrees to 1″', () => {
    let worst = 0;
    for (const p of fixture.icrsToZenithAzimuth) {
      const got = icrsToZenithAzimuth(p.mjd, p.ra, p.dec);
      expect(got.azimuth).toBeGreaterThanOrEqual(0);
      expect(got.azimuth).toBeLessThan(360);
      worst = Math.max(worst, localSeparation(got.zenith, got.azimuth, p.zenith, p.azimuth));
    }
    expect(worst).toBeLessThan(1 * ARCSEC);
  });

  it('the two directions invert each other to 1e-6″', () => {
    for (const p of fixture.zenithAzimuthToIcrs.slice(0, 50)) {
      const eq = zenithAzimuthToIcrs(p.mjd, p.zenith, p.azimuth);
      const back = icrsToZenithAzimuth(p.mjd, eq.ra, eq.dec);
      expect(localSeparation(back.zenith, back.azimuth, p.zenith, p.azimuth)).toBeLessThan(1e-6 * ARCSEC);
    }
  });
});
