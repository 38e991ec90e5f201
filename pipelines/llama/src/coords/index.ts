/**
 * IceCube local coordinates (zenith, azimuth) ↔ ICRS (RA, Dec), as LLAMA 3.5.1 computes them
 * (`llama/files/i3/utils.py` `zen_az2ra_dec` / `ra_dec2zen_az`): astropy
 * `AltAz(alt = 90° − zenith, az = (90° − azimuth) − lon, obstime = Time(mjd, scale='ut1'),
 * location = (lat −89.9944°, lon −62.6081°, 0 m), pressure = 0)` ↔ `ICRS`.
 *
 * The MJD is read as UT1, as 3.5.1 does: it sets the Earth rotation angle directly, so no
 * UT1 − UTC table is needed (UT1 − UTC only shifts TT, the epoch of precession, nutation and
 * aberration, by < 1 s, which moves nothing by more than 1e-5″).
 *
 * What is applied, in astropy's (ERFA's) order for ICRS → observed:
 * - gravitational light deflection by the Sun (ERFA `ld`; ≤ 1.75″ at the limb, ~4 mas at 90°),
 * - annual aberration with the Earth's barycentric velocity (ERFA `ab`, relativistic; ≤ 20.5″),
 * - IAU 2006 precession + IAU 2000B nutation and Greenwich apparent sidereal time (from the
 *   `astronomy-engine` library), horizon at the geodetic vertical.
 * What is ignored (each under 0.5″ at the site; the test against astropy holds 1″):
 * - polar motion (|x_p|, |y_p| ≲ 0.5″; astropy uses the IERS values),
 * - diurnal aberration (the site is 60 m from the rotation axis: < 1e-4″),
 * - the ICRS ↔ J2000 frame bias (23 mas), and IAU 2000A − 2000B nutation (≈ 1 mas),
 * - refraction, as 3.5.1 (pressure = 0).
 */
import { AstroTime, BaryState, Body, C_AUDAY, Observer, Rotation_EQJ_HOR, Rotation_HOR_EQJ, type RotationMatrix } from 'astronomy-engine';

/** The IceCube site as 3.5.1 gives it (`icecube_coords()`), geodetic, WGS84. */
const SITE_LAT_DEG = -89.9944;
const SITE_LON_DEG = -62.6081;
const SITE = new Observer(SITE_LAT_DEG, SITE_LON_DEG, 0);

const DEG = Math.PI / 180;
/** MJD of J2000.0 (2000-01-01 12:00), astronomy-engine's time origin. */
const MJD_J2000 = 51544.5;
/** Schwarzschild radius of the Sun in AU (ERFA_SRS). */
const SUN_SCHWARZSCHILD_AU = 1.97412574336e-8;

type Vec = [number, number, number];

const dot = (a: Vec, b: Vec): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const unit = (a: Vec): Vec => {
  const r = Math.hypot(a[0], a[1], a[2]);
  return [a[0] / r, a[1] / r, a[2] / r];
};

function wrap360(x: number): number {
  const r = x % 360;
  return r < 0 ? r + 360 : r;
}

function rotate(m: RotationMatrix, v: Vec): Vec {
  // astronomy-engine stores rot[i][j] so that out[j] = Σ_i rot[i][j]·v[i].
  const r = m.rot;
  return [
    (r[0]![0] as number) * v[0] + (r[1]![0] as number) * v[1] + (r[2]![0] as number) * v[2],
    (r[0]![1] as number) * v[0] + (r[1]![1] as number) * v[1] + (r[2]![1] as number) * v[2],
    (r[0]![2] as number) * v[0] + (r[1]![2] as number) * v[1] + (r[2]![2] as number) * v[2],
  ];
}

/** Everything about the observer at one instant that the direction corrections need. */
interface Epoch {
  readonly time: AstroTime;
  /** Observer's barycentric velocity / c (J2000 axes). */
  readonly beta: Vec;
  /** sqrt(1 − β²). */
  readonly bm1: number;
  /** Unit vector Sun → observer, and its length in AU. */
  readonly sunToObserver: Vec;
  readonly sunDistanceAu: number;
}

function epoch(mjdUt1: number): Epoch {
  // A number is read by astronomy-engine as UT days since J2000; it derives TT with its own ΔT.
  const time = new AstroTime(mjdUt1 - MJD_J2000);
  const earth = BaryState(Body.Earth, time);
  const sun = BaryState(Body.Sun, time);
  const beta: Vec = [earth.vx / C_AUDAY, earth.vy / C_AUDAY, earth.vz / C_AUDAY];
  const e: Vec = [earth.x - sun.x, earth.y - sun.y, earth.z - sun.z];
  const sunDistanceAu = Math.hypot(e[0], e[1], e[2]);
  return { time, beta, bm1: Math.sqrt(1 - dot(beta, beta)), sunToObserver: unit(e), sunDistanceAu };
}

/** ERFA `ld` for a source at infinity (q = p) and the Sun (bm = 1): natural → deflected. */
function deflect(p: Vec, ep: Epoch): Vec {
  const e = ep.sunToObserver;
  const pe = dot(p, e);
  // ERFA eraLdsun's limiter keeps the formula finite for a direction exactly behind the Sun.
  const dlim = 1e-6 / Math.max(ep.sunDistanceAu * ep.sunDistanceAu, 1);
  const w = SUN_SCHWARZSCHILD_AU / ep.sunDistanceAu / Math.max(1 + pe, dlim);
  // p × (e × p) = e − (p·e) p
  return [p[0] + w * (e[0] - pe * p[0]), p[1] + w * (e[1] - pe * p[1]), p[2] + w * (e[2] - pe * p[2])];
}

/** ERFA `ab`: natural direction → proper (aberrated) direction, relativistic. */
function aberrate(p: Vec, ep: Epoch): Vec {
  const v = ep.beta;
  const pdv = dot(p, v);
  const w1 = 1 + pdv / (1 + ep.bm1);
  const w2 = SUN_SCHWARZSCHILD_AU / ep.sunDistanceAu;
  return unit([
    p[0] * ep.bm1 + w1 * v[0] + w2 * (v[0] - pdv * p[0]),
    p[1] * ep.bm1 + w1 * v[1] + w2 * (v[1] - pdv * p[1]),
    p[2] * ep.bm1 + w1 * v[2] + w2 * (v[2] - pdv * p[2]),
  ]);
}

/** ICRS direction → apparent (deflected, aberrated) direction, both in J2000 axes. */
function toApparent(p: Vec, ep: Epoch): Vec {
  return aberrate(unit(deflect(p, ep)), ep);
}

/** The inverse of toApparent by fixed-point iteration (as ERFA `aticq`): the corrections are ≤ 1e-4 rad, so each step shrinks the error ~1e4-fold. */
function fromApparent(apparent: Vec, ep: Epoch): Vec {
  let p = apparent;
  for (let i = 0; i < 5; i++) {
    const a = toApparent(p, ep);
    p = unit([p[0] + apparent[0] - a[0], p[1] + apparent[1] - a[1], p[2] + apparent[2] - a[2]]);
  }
  return p;
}

/** IceCube azimuth → astropy azimuth (from north through east), as 3.5.1: (90° − az) − lon. */
const toAstropyAzimuth = (azimuthDeg: number): number => 90 - azimuthDeg - SITE_LON_DEG;

/** IceCube (mjd as UT1, zenith, azimuth; degrees) → ICRS { ra ∈ [0, 360), dec }. */
export function zenithAzimuthToIcrs(mjd: number, zenithDeg: number, azimuthDeg: number): { ra: number; dec: number } {
  const ep = epoch(mjd);
  const alt = (90 - zenithDeg) * DEG;
  const az = toAstropyAzimuth(azimuthDeg) * DEG;
  // astronomy-engine's horizontal axes: x north, y west, z zenith.
  const hor: Vec = [Math.cos(alt) * Math.cos(az), -Math.cos(alt) * Math.sin(az), Math.sin(alt)];
  const p = fromApparent(rotate(Rotation_HOR_EQJ(ep.time, SITE), hor), ep);
  return { ra: wrap360(Math.atan2(p[1], p[0]) / DEG), dec: Math.asin(Math.max(-1, Math.min(1, p[2]))) / DEG };
}

/** ICRS (mjd as UT1, ra, dec; degrees) → IceCube { zenith ∈ [0, 180], azimuth ∈ [0, 360) }. */
export function icrsToZenithAzimuth(mjd: number, raDeg: number, decDeg: number): { zenith: number; azimuth: number } {
  const ep = epoch(mjd);
  const ra = raDeg * DEG;
  const dec = decDeg * DEG;
  const p: Vec = [Math.cos(dec) * Math.cos(ra), Math.cos(dec) * Math.sin(ra), Math.sin(dec)];
  const hor = rotate(Rotation_EQJ_HOR(ep.time, SITE), toApparent(p, ep));
  const alt = Math.asin(Math.max(-1, Math.min(1, hor[2])));
  const az = Math.atan2(-hor[1], hor[0]) / DEG;
  return { zenith: 90 - alt / DEG, azimuth: wrap360(90 - az - SITE_LON_DEG) };
}
