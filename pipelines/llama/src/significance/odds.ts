import { GenerationError } from '@llama/core';
import { primaryDensity, secondaryDensity, type DensityResult, type PreparedBackground } from './density.js';
import { gaussLegendre } from './numeric.js';
import { r0, type SearchParameters } from './parameters.js';
import { aeffByBin, type SkySums } from './sky.js';
import { ANGLE_LIST } from './tables-351.js';

/**
 * CoincSignificanceI3Lvc's odds ratios exactly as LLAMA 3.5.1 computes them
 * (llama/files/coinc_significance/opa.py, significance-351.md §3). The energy integrals use their
 * closed forms where 3.5.1's scipy quadrature has one; the cWB distance integral is a
 * Gauss–Legendre sum accurate to ~1e-14.
 */

/** 3.5.1's method (the default) and the one named fix, selectable by configuration. */
export const METHOD_351 = 'llama-3.5.1-opa';
/** 3.5.1's method with the second-neutrino background loop testing its own count (opa.py:462). */
export const METHOD_PAIRFIX = 'llama-3.5.1-opa-pairfix';
export type OpaMethod = typeof METHOD_351 | typeof METHOD_PAIRFIX;
export const OPA_METHODS: readonly OpaMethod[] = [METHOD_351, METHOD_PAIRFIX];

/** A neutrino as 3.5.1's `Neutrino`: list fields plus RA/Dec recomputed from (mjd, zenith, azimuth). */
export interface OpaNeutrino {
  readonly gps: number;
  readonly zenith: number;
  readonly azimuth: number;
  readonly sigma: number;
  readonly energy: number;
  readonly ra: number;
  readonly dec: number;
}

export interface GwTerms {
  /** GW time, GPS s. */
  readonly tgw: number;
  /** Network SNR (CoincInspiral.snr). */
  readonly rho: number;
  /** DISTMEAN, Mpc (unused on the cWB branch). */
  readonly dist: number;
  readonly cwb: boolean;
}

export interface NeutrinoOdds {
  readonly odds_ratio: number;
  /** Before 3.5.1's clean-up: its per-neutrino p-value is computed from this (opa.py:484-491). */
  readonly raw_odds_ratio: number;
  readonly p_h_s1: number;
  readonly p_h_s2: number;
  readonly p_h_0: number;
  readonly p_h_c: number;
  readonly dump: Record<string, number | string>;
}

export interface OpaResult {
  readonly neutrinos: readonly NeutrinoOdds[];
  /** Σ_i odds_i (3.5.1 `neutrino_gw_combined.odds_ratio`). */
  readonly combined: number;
}

/** Poisson mean per unit E: expnu(E, r)·a = nu_51_100·(E·10)·(r/100)⁻²·a (opa.py:219-237). */
export function countSlope(p: SearchParameters, r: number, a: number): number {
  return p.nu_51_100 * 10 * (r / 100) ** -2 * a;
}

/** 1 − e^{−x}. */
const oneMinusExp = (x: number): number => -Math.expm1(-x);

/** 1 − (1 + x)e^{−x} = ∫₀ˣ t e^{−t} dt, without cancellation for small x. */
function gammaTwo(x: number): number {
  if (x > 0.5) return 1 - (1 + x) * Math.exp(-x);
  let term = (x * x) / 2;
  let sum = term;
  for (let m = 1; m < 40; m++) {
    term *= (-x * (m + 1)) / (m * (m + 2));
    sum += term;
    if (Math.abs(term) < 1e-18 * Math.abs(sum)) break;
  }
  return sum;
}

/** I1 = ∫ Pois(1; kE) PEnu(E) dE over [Eₙmin, Eₙmax] (log-uniform prior): closed form. */
export function integralOne(k: number, p: SearchParameters): number {
  return (oneMinusExp(k * p.enumax) - oneMinusExp(k * p.enumin)) / Math.log(p.enumax / p.enumin);
}

/** I2 = ∫ Pois(2; kE) PEnu(E) dE: closed form. */
export function integralTwo(k: number, p: SearchParameters): number {
  return (gammaTwo(k * p.enumax) - gammaTwo(k * p.enumin)) / (2 * Math.log(p.enumax / p.enumin));
}

/** PEgw(E) = 1/(E ln(Egwmax/Egwmin)) (opa.py:164-182). */
export function pEgw(egw: number, p: SearchParameters): number {
  return (egw * Math.log(p.egwmax / p.egwmin)) ** -1;
}

const GL = gaussLegendre(24);
/** Geometric panels [R·2^-(m+1), R·2^-m]: the integrands change on every scale of d (e^{-c/d²}). */
const PANELS = 64;

/** ∫₀ᴿ f(d) dd by Gauss–Legendre on geometric panels (the part below R·2⁻⁶⁴ is negligible). */
export function integrateDistance(f: (d: number) => number, radius: number): number {
  let sum = 0;
  for (let m = 0; m < PANELS; m++) {
    const hi = radius * 2 ** -m;
    const lo = hi / 2;
    const half = (hi - lo) / 2;
    const mid = (hi + lo) / 2;
    let panel = 0;
    for (let i = 0; i < GL.nodes.length; i++) panel += GL.weights[i]! * f(mid + GL.nodes[i]! * half);
    sum += panel * half;
  }
  return sum;
}

/** angle_list()[index], failing where 3.5.1 raised IndexError (θ = 180°). */
function angleFactor(index: number, what: string): number {
  const a = ANGLE_LIST[index];
  if (a === undefined || index < 0) throw new GenerationError(`${what}: angle_list has no entry ${index} (3.5.1 raises IndexError here)`);
  return a;
}

/** angle_list()[int(θ/5)] for a neutrino's zenith. */
export function angleFactorFor(zenith: number, what: string): number {
  return angleFactor(Math.trunc(zenith / 5), `${what} (zenith ${zenith}°)`);
}

/** t_overlap (utils.py:214-224). */
export function timeOverlap(tgw: number, tnu: number, p: SearchParameters): number {
  return Math.max(0, Math.min(tgw + p.tgwplus, tnu + p.tnuplus) - Math.max(tgw + p.tgwminus, tnu + p.tnuminus));
}

/** The energy-and-distance factor of `five` / `five2` (opa.py:81-88, 146-153). */
function signalNumerator(gw: GwTerms, p: SearchParameters, a: number, poissonCount: 1 | 2): number {
  const integral = poissonCount === 1 ? integralOne : integralTwo;
  if (!gw.cwb) return pEgw((gw.dist * gw.rho / p.k0) ** 2, p) * gw.dist ** 2 * integral(countSlope(p, gw.dist, a), p);
  // PEgw((dρ/k0)²)·d² is constant in d: 3.5.1's nquad over [0, r0(Egwmax)] is that constant times ∫ I dd.
  const weight = pEgw((gw.rho / p.k0) ** 2, p);
  return weight * integrateDistance((d) => (d === 0 ? 0 : integral(countSlope(p, d, a), p)), r0(p.egwmax, p));
}

/** 3.5.1 sets non-finite (but not +inf) and negative odds to 0, and −0.0 to 0 (opa.py:591-601). */
export function cleanOdds(odds: number): number {
  if ((!Number.isFinite(odds) && odds !== Infinity) || odds < 0) return 0;
  return odds === 0 ? 0 : odds;
}

export interface OpaOptions {
  readonly method?: OpaMethod;
}

/** All neutrinos' odds ratios (opa.py:544-630, odds_ratio at 240-494). */
export function computeOpaOdds(
  gw: GwTerms,
  neutrinos: readonly OpaNeutrino[],
  sky: SkySums,
  background: PreparedBackground,
  p: SearchParameters,
  options: OpaOptions = {},
): OpaResult {
  const quirk = (options.method ?? METHOD_351) === METHOD_351;
  const n = neutrinos.length;
  // 3.5.1's `count` matrix: a pair is evaluated once, by its first neutrino in list order.
  const paired: boolean[][] = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => i === j));
  const timeNorm = (p.tnuplus - p.tnuminus) * (p.tgwplus - p.tgwminus);
  const out: NeutrinoOdds[] = [];
  for (let i = 0; i < n; i++) {
    const nu = neutrinos[i]!;
    const primary = primaryDensity(background, nu.zenith, nu.energy, p.deltaomega, p.deltae);
    // p(x_gw, x_ν | H_gw,c) (opa.py:413-418) and p_h_c = that · R_ν · ndotgwnu.
    // On the cWB branch d²·PEgw((ρd/k0)²) is constant, so 3.5.1's quad over [0, r0] is that times r0.
    const gwWeight = gw.cwb ? pEgw((gw.rho / p.k0) ** 2, p) * r0(p.egwmax, p) : gw.dist ** 2 * pEgw((gw.rho * gw.dist / p.k0) ** 2, p);
    const pHC = gwWeight * primary.density * (p.ratebgnu * p.ndotgwnu);
    // Pairs (opa.py:439-475).
    const flag = { value: primary.density };
    let five2Sum = 0;
    const pairs: string[] = [];
    const aeffI = aeffByBin(primary.energy);
    for (let j = 0; j < n; j++) {
      const other = neutrinos[j]!;
      if (paired[i]![j]) continue;
      const close = Math.sqrt((nu.zenith - other.zenith) ** 2 + (nu.azimuth - other.azimuth) ** 2) < 5 * (nu.sigma + other.sigma);
      if (!close) continue;
      paired[i]![j] = true;
      paired[j]![i] = true;
      const second: DensityResult = secondaryDensity(background, other.zenith, other.energy, primary, p, quirk, flag);
      const skyPair = sky.pair({ ra: nu.ra, dec: nu.dec, sigma: nu.sigma, aeff: aeffI }, { ra: other.ra, dec: other.dec, sigma: other.sigma, aeff: aeffByBin(second.energy) });
      const a2 = angleFactor(Math.trunc((nu.zenith + other.zenith) / 10), `neutrinos ${i + 1} and ${j + 1} (zenith ${nu.zenith}°, ${other.zenith}°)`);
      const t = timeOverlap(Math.max(gw.tgw, nu.gps, other.gps), Math.min(gw.tgw, nu.gps, other.gps), p);
      const five2 = (skyPair * t * signalNumerator(gw, p, a2, 2)) / timeNorm;
      five2Sum += five2 / second.density;
      pairs.push(`${j + 1}: C2=${second.count} ε'=${second.energy.toPrecision(6)} density=${second.density.toPrecision(6)}`);
    }
    // Single neutrino (opa.py:45-100, 477).
    const a = angleFactor(Math.trunc(nu.zenith / 5), `neutrino ${i + 1} (zenith ${nu.zenith}°)`);
    const skySum = sky.single({ ra: nu.ra, dec: nu.dec, sigma: nu.sigma, aeff: aeffI }).weighted;
    const five = (skySum * timeOverlap(gw.tgw, nu.gps, p) * signalNumerator(gw, p, a, 1)) / timeNorm;
    const pHS1 = (five * p.ndotgwnu) / p.fb;
    const pHS2 = (five2Sum * p.ndotgwnu) / p.fb;
    const pH0 = 0;
    const odds = (pHS1 + pHS2) / (pHC + pH0);
    out.push({
      odds_ratio: cleanOdds(odds),
      raw_odds_ratio: odds,
      p_h_s1: pHS1,
      p_h_s2: pHS2,
      p_h_0: pH0,
      p_h_c: pHC,
      dump: {
        raw_odds_ratio: Number.isNaN(odds) ? 'NaN' : odds,
        sky_sum: skySum,
        adjusted_energy: primary.energy,
        background_count: primary.count,
        background_density: primary.density,
        background_deltaomega: primary.deltaomega,
        background_deltae: primary.deltae,
        energy_factor: primary.energyFactor,
        angle_factor: a,
        ...(pairs.length > 0 ? { pairs: pairs.join('; ') } : {}),
      },
    });
  }
  return { neutrinos: out, combined: out.reduce((s, t) => s + t.odds_ratio, 0) };
}
