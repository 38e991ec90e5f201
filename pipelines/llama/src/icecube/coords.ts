/**
 * Sky geometry helpers for IceCube neutrinos. The local (zenith, azimuth) ↔ ICRS conversion itself
 * lives in ../coords (3.5.1's astropy transform: precession, nutation, aberration); the two
 * wrappers below keep this module's older argument order for existing callers.
 */
import { icrsToZenithAzimuth, zenithAzimuthToIcrs } from '../coords/index.js';

const DEG = Math.PI / 180;

export interface Equatorial {
  /** Degrees, [0, 360). */
  readonly ra: number;
  /** Degrees, [−90, 90]. */
  readonly dec: number;
}

export interface IceCubeLocal {
  /** Degrees, [0, 180]. */
  readonly zenith: number;
  /** Degrees, [0, 360), IceCube convention. */
  readonly azimuth: number;
}

/** IceCube local direction at an MJD (read as UT1, as 3.5.1) → ICRS (degrees). */
export function icecubeToEquatorial(zenithDeg: number, azimuthDeg: number, mjd: number): Equatorial {
  return zenithAzimuthToIcrs(mjd, zenithDeg, azimuthDeg);
}

/** ICRS (degrees) at an MJD (read as UT1, as 3.5.1) → IceCube local direction. */
export function equatorialToIcecube(raDeg: number, decDeg: number, mjd: number): IceCubeLocal {
  return icrsToZenithAzimuth(mjd, raDeg, decDeg);
}

/** Great-circle distance in degrees between two (ra, dec) points given in degrees. */
export function angularDistanceDeg(ra1: number, dec1: number, ra2: number, dec2: number): number {
  const d1 = dec1 * DEG;
  const d2 = dec2 * DEG;
  const dra = (ra2 - ra1) * DEG;
  // Haversine: stable for small separations.
  const h = Math.sin((d2 - d1) / 2) ** 2 + Math.cos(d1) * Math.cos(d2) * Math.sin(dra / 2) ** 2;
  return (2 * Math.asin(Math.min(1, Math.sqrt(h)))) / DEG;
}
