/**
 * Sky coordinates for IceCube: Greenwich mean sidereal time and the conversion between IceCube's
 * local detector coordinates (zenith, azimuth) and equatorial coordinates (RA, Dec, J2000-ish).
 *
 * IceCube convention (icetray `astro` / skyllh): a direction is where the particle came FROM;
 * zenith is measured from the detector's vertical; azimuth is measured counter-clockwise (seen
 * from above) from the grid x-axis ("grid east", 90° E of the Greenwich meridian). At the exact
 * pole that gives dec = zenith − 90° and RA = GMST + 90° − azimuth. We do the full spherical
 * conversion for the real site (lat −89.99°, lon −63.45°) so the result is right to ~0.01°,
 * neglecting precession/nutation (< 0.4° over decades — the same approximation IceCube's fast
 * conversions make; the PSF widths are ≥ 0.2°).
 */

const DEG = Math.PI / 180;
const TWO_PI = 2 * Math.PI;

/** The IceCube site (icetray astro `IceCubeDetector`). */
export const ICECUBE_LATITUDE_DEG = -89.99;
export const ICECUBE_LONGITUDE_DEG = -63.45;

function wrap(angle: number, period: number): number {
  const r = angle % period;
  return r < 0 ? r + period : r;
}

/**
 * Greenwich mean sidereal time in radians for a UTC MJD, from the IAU 2006 expression
 * GMST = ERA(UT1) + polynomial(T). We take UT1 ≈ UTC (|UT1 − UTC| < 0.9 s, i.e. < 0.004°).
 */
export function gmstRadians(mjdUtc: number): number {
  const daysSinceJ2000 = mjdUtc - 51544.5;
  // ERA = 2π(0.7790572732640 + 1.00273781191135448·D); whole days drop out modulo one turn.
  const frac = daysSinceJ2000 - Math.floor(daysSinceJ2000);
  const eraTurns = 0.779057273264 + 0.00273781191135448 * daysSinceJ2000 + frac;
  const era = TWO_PI * wrap(eraTurns, 1);
  const t = daysSinceJ2000 / 36525;
  const polyArcsec = 0.014506 + 4612.156534 * t + 1.3915817 * t * t - 0.00000044 * t * t * t;
  return wrap(era + (polyArcsec / 3600) * DEG, TWO_PI);
}

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

/** IceCube azimuth → astronomical azimuth (from north through east) at the site. */
function icecubeToAstronomicalAzimuth(azimuthDeg: number): number {
  return wrap(90 - ICECUBE_LONGITUDE_DEG - azimuthDeg, 360);
}

/** IceCube local direction at a UTC MJD → equatorial coordinates (degrees). */
export function icecubeToEquatorial(zenithDeg: number, azimuthDeg: number, mjd: number): Equatorial {
  const lat = ICECUBE_LATITUDE_DEG * DEG;
  const alt = (90 - zenithDeg) * DEG;
  const az = icecubeToAstronomicalAzimuth(azimuthDeg) * DEG;
  const sinDec = Math.sin(lat) * Math.sin(alt) + Math.cos(lat) * Math.cos(alt) * Math.cos(az);
  const dec = Math.asin(Math.max(-1, Math.min(1, sinDec)));
  // Hour angle H from the standard horizontal → equatorial relations.
  const y = -Math.sin(az) * Math.cos(alt);
  const x = Math.cos(lat) * Math.sin(alt) - Math.sin(lat) * Math.cos(alt) * Math.cos(az);
  const hourAngle = Math.atan2(y, x);
  const lst = gmstRadians(mjd) + ICECUBE_LONGITUDE_DEG * DEG;
  return { ra: wrap((lst - hourAngle) / DEG, 360), dec: dec / DEG };
}

/** Equatorial coordinates (degrees) at a UTC MJD → IceCube local direction. */
export function equatorialToIcecube(raDeg: number, decDeg: number, mjd: number): IceCubeLocal {
  const lat = ICECUBE_LATITUDE_DEG * DEG;
  const dec = decDeg * DEG;
  const lst = gmstRadians(mjd) + ICECUBE_LONGITUDE_DEG * DEG;
  const hourAngle = lst - raDeg * DEG;
  const sinAlt = Math.sin(lat) * Math.sin(dec) + Math.cos(lat) * Math.cos(dec) * Math.cos(hourAngle);
  const alt = Math.asin(Math.max(-1, Math.min(1, sinAlt)));
  const y = -Math.sin(hourAngle) * Math.cos(dec);
  const x = Math.cos(lat) * Math.sin(dec) - Math.sin(lat) * Math.cos(dec) * Math.cos(hourAngle);
  const azAstro = wrap(Math.atan2(y, x) / DEG, 360);
  return { zenith: 90 - alt / DEG, azimuth: wrap(90 - ICECUBE_LONGITUDE_DEG - azAstro, 360) };
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
