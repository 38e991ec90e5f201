import { subthresholdDensities, type PreparedBackground } from './density.js';
import { angleFactorFor, cleanOdds, countSlope, integralOne, integrateDistance, pEgw, timeOverlap, type GwTerms, type OpaNeutrino } from './odds.js';
import { r0, type SearchParameters } from './parameters.js';
import { aeffByBin, type SkySums } from './sky.js';

/**
 * CoincSignificanceSubthresholdI3Lvc exactly as LLAMA 3.5.1 computes it
 * (llama/files/coinc_significance/subthreshold.py, significance-351.md §6): one odds ratio for
 * the whole neutrino list, Poisson counts in 500 s, p_terr and the GW SNR background, no pairs.
 */

export const METHOD_SUBTHRESHOLD_351 = 'llama-3.5.1-subthreshold';

/** Pois(k; λ). */
export function poissonPmf(k: number, lambda: number): number {
  let v = Math.exp(-lambda);
  for (let m = 1; m <= k; m++) v *= lambda / m;
  return v;
}

/**
 * 3.5.1 `Pempgw` (utils.py:117-145): the SNR list in a 50-bin numpy histogram over [min, max];
 * the count of ρ's bin (the last bin above max), at least 1, per unit SNR.
 */
export function pEmpGw(rho: number, snrs: ArrayLike<number>): number {
  const bins = 50;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < snrs.length; i++) {
    min = Math.min(min, snrs[i]!);
    max = Math.max(max, snrs[i]!);
  }
  // numpy.linspace edges: i·step + start, the last one exactly `max`.
  const step = (max - min) / bins;
  const edges = Float64Array.from({ length: bins + 1 }, (_, i) => (i === bins ? max : i * step + min));
  const hist = new Float64Array(bins);
  for (let k = 0; k < snrs.length; k++) {
    const x = snrs[k]!;
    let lo = 0;
    let hi = bins - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (edges[mid]! <= x) lo = mid;
      else hi = mid - 1;
    }
    hist[lo]! += 1;
  }
  let i = 1;
  while (rho > edges[i]!) {
    i = i + 1;
    if (i === edges.length) {
      i = i - 1;
      break;
    }
  }
  return ((Math.max(hist[i - 1]!, 1) * 1.0) / snrs.length / (max - min)) * bins;
}

export interface SubthresholdResult {
  readonly odds_ratio: number;
  /** Before the clean-up: 3.5.1's p-value is computed from this (subthreshold.py:544-551). */
  readonly raw_odds_ratio: number;
  readonly p_h_s1: number;
  readonly p_h_s2: 0;
  readonly p_h_0: number;
  readonly p_h_c: number;
  readonly dump: Record<string, number | string>;
}

export function computeSubthresholdOdds(
  gw: GwTerms,
  pTerrestrial: number,
  neutrinos: readonly OpaNeutrino[],
  sky: SkySums,
  background: PreparedBackground,
  snrs: ArrayLike<number>,
  p: SearchParameters,
): SubthresholdResult {
  const n = neutrinos.length;
  const horizon = r0(p.egwmax, p);
  const volume = (4 / 3) * Math.PI * horizon ** 3;
  const pEmp = pEmpGw(gw.rho, snrs);
  // subthreshold.py:451
  const pXgwH0 = (1.0 * (pEmp * p.ratebggw + ((3 * p.rhomin ** 3) / gw.rho ** 4) * volume * p.ndotgwnu) * pTerrestrial) / (p.ratebggw + volume * p.ndotgwnu);
  const densities = subthresholdDensities(background, neutrinos, p);
  const lambda = p.ratebgnu * 500;
  const timeNorm = (p.tnuplus - p.tnuminus) * (p.tgwplus - p.tgwminus);
  const cwbWeight = pEgw((gw.rho / p.k0) ** 2, p);
  let integral = 0;
  let withoutGw = 0;
  neutrinos.forEach((nu, i) => {
    const d = densities[i]!;
    const a = angleFactorFor(nu.zenith, `neutrino ${i + 1}`);
    const sums = sky.single({ ra: nu.ra, dec: nu.dec, sigma: nu.sigma, aeff: aeffByBin(d.energy) }, true);
    const energyIntegral = gw.cwb
      ? cwbWeight * integrateDistance((r) => (r === 0 ? 0 : integralOne(countSlope(p, r, a), p)), horizon)
      : integralOne(countSlope(p, gw.dist, a), p);
    integral += (timeOverlap(gw.tgw, nu.gps, p) / d.density) * energyIntegral * sums.weighted;
    // fivewogw (sub.py:194-233): ∫∫ Pois(1) PEnu d² dE dd over d ∈ [0, r0], PSF normalised to Σ = 1.
    const volumeIntegral = integrateDistance((r) => (r === 0 ? 0 : integralOne(countSlope(p, r, a), p) * r ** 2), horizon);
    withoutGw += (1 / d.density) * volumeIntegral * (sums.allSkyAG / sums.allSkyG);
  });
  const numerator = gw.cwb ? 1 : pEgw((gw.dist * gw.rho / p.k0) ** 2, p) * gw.dist * (p.egwmax - p.egwmin) * p.k0 ** 2 / gw.rho ** 2;
  const five = (integral * numerator) / timeNorm;
  const pHS1 = five * p.ndotgwnu * poissonPmf(Math.max(0, n - 1), lambda);
  const pXnuH0 = poissonPmf(n, lambda);
  const pH0All = (pXgwH0 * poissonPmf(n, lambda)) / volume;
  const pXgwXnuHc = gw.cwb
    ? cwbWeight * horizon * pXnuH0
    : gw.dist * pEgw((gw.rho * gw.dist / p.k0) ** 2, p) * pXnuH0 * (p.egwmax - p.egwmin) * p.k0 ** 2 / gw.rho ** 2;
  const pHC = pXgwXnuHc * p.ndotgwnu + pXgwH0 * withoutGw * p.ndotgwnu * poissonPmf(Math.max(0, n - 1), lambda);
  const odds = pHS1 / (pHC + pH0All);
  return {
    odds_ratio: cleanOdds(odds),
    raw_odds_ratio: odds,
    p_h_s1: pHS1,
    p_h_s2: 0,
    p_h_0: pH0All,
    p_h_c: pHC,
    dump: {
      raw_odds_ratio: Number.isNaN(odds) ? 'NaN' : odds,
      p_xgw_given_h0: pXgwH0,
      pempgw: pEmp,
      p_terrestrial: pTerrestrial,
      five: five,
      fivewogw: withoutGw,
    },
  };
}
