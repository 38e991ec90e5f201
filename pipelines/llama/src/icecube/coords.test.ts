import { describe, expect, it } from 'vitest';
import { angularDistanceDeg, equatorialToIcecube, gmstRadians, icecubeToEquatorial } from './coords.js';

const deg = (rad: number): number => (rad * 180) / Math.PI;

describe('GMST', () => {
  it('matches the IAU value at J2000.0 (18h41m50.548s)', () => {
    expect(deg(gmstRadians(51544.5))).toBeCloseTo(280.46061837, 5);
  });
  it('matches Meeus example 12.a: 1987-04-10 0h UT is 13h10m46.3668s', () => {
    expect(deg(gmstRadians(46895.0))).toBeCloseTo(197.693195, 4);
  });
  it('advances one sidereal day per 0.99727 solar days', () => {
    const a = gmstRadians(60000.25);
    const b = gmstRadians(60000.25 + 0.99726957);
    expect(Math.abs(a - b)).toBeLessThan(1e-5);
  });
});

describe('IceCube local ↔ equatorial', () => {
  it('round-trips', () => {
    for (const [ra, dec, mjd] of [[10, -60, 58000.1], [200.5, 45, 60760.079], [359.9, 0.5, 59000.7], [123, -89, 58500]] as const) {
      const local = equatorialToIcecube(ra, dec, mjd);
      const back = icecubeToEquatorial(local.zenith, local.azimuth, mjd);
      expect(angularDistanceDeg(ra, dec, back.ra, back.dec)).toBeLessThan(1e-8);
    }
  });
  it('agrees with the South-Pole relations dec = zenith − 90°, RA = GMST + 90° − azimuth', () => {
    for (const [zenith, azimuth, mjd] of [[120, 30, 58000.3], [60, 300, 60760.08], [95, 180, 59123.9]] as const) {
      const eq = icecubeToEquatorial(zenith, azimuth, mjd);
      expect(eq.dec).toBeCloseTo(zenith - 90, 1);
      const expectedRa = (((deg(gmstRadians(mjd)) + 90 - azimuth) % 360) + 360) % 360;
      const diff = Math.abs(((eq.ra - expectedRa + 540) % 360) - 180);
      // The site is 0.01° from the pole: RA differs by at most ~0.01°/cos(dec).
      expect(diff).toBeLessThan(0.05);
    }
  });
  it('haversine distance', () => {
    expect(angularDistanceDeg(0, 0, 90, 0)).toBeCloseTo(90, 10);
    expect(angularDistanceDeg(10, 89.999, 190, 89.999)).toBeCloseTo(0.002, 6);
  });
});
