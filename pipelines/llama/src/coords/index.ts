/**
 * PLACEHOLDER — replaced by the coords branch (astropy-equivalent ICRS ↔ IceCube zenith/azimuth
 * with precession, nutation and aberration). This version only lets the significance code compile
 * and run: it is the mean-of-date horizontal transform of src/icecube/coords.ts (no precession,
 * nutation or aberration; about 0.36° off in 2026).
 */
import { equatorialToIcecube, icecubeToEquatorial } from '../icecube/coords.js';

/** IceCube (zenith, azimuth) at a UTC MJD → ICRS (ra, dec), degrees. Placeholder, see above. */
export function zenithAzimuthToIcrs(mjd: number, zenithDeg: number, azimuthDeg: number): { ra: number; dec: number } {
  return icecubeToEquatorial(zenithDeg, azimuthDeg, mjd);
}

/** ICRS (ra, dec) at a UTC MJD → IceCube (zenith, azimuth), degrees. Placeholder, see above. */
export function icrsToZenithAzimuth(mjd: number, raDeg: number, decDeg: number): { zenith: number; azimuth: number } {
  return equatorialToIcecube(raDeg, decDeg, mjd);
}
