import { describe, expect, it } from 'vitest';
import { angularDistanceDeg, equatorialToIcecube, icecubeToEquatorial } from './coords.js';

describe('IceCube local ↔ equatorial', () => {
  it('round-trips', () => {
    for (const [ra, dec, mjd] of [[10, -60, 58000.1], [200.5, 45, 60760.079], [359.9, 0.5, 59000.7], [123, -89, 58500]] as const) {
      const local = equatorialToIcecube(ra, dec, mjd);
      const back = icecubeToEquatorial(local.zenith, local.azimuth, mjd);
      expect(angularDistanceDeg(ra, dec, back.ra, back.dec)).toBeLessThan(1e-8);
    }
  });
  it('agrees with the South-Pole relation dec ≈ zenith − 90° to within the precession of the pole since J2000', () => {
    for (const [zenith, azimuth, mjd] of [[120, 30, 58000.3], [60, 300, 60760.08], [95, 180, 59123.9]] as const) {
      const eq = icecubeToEquatorial(zenith, azimuth, mjd);
      // The ICRS pole is 20″/yr × (years since 2000) from the pole of date, plus the site's 0.0056°.
      expect(Math.abs(eq.dec - (zenith - 90))).toBeLessThan(0.2);
    }
  });
  it('haversine distance', () => {
    expect(angularDistanceDeg(0, 0, 90, 0)).toBeCloseTo(90, 10);
    expect(angularDistanceDeg(10, 89.999, 190, 89.999)).toBeCloseTo(0.002, 6);
  });
});
