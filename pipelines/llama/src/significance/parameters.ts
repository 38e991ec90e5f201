/**
 * Search parameters of the LLAMA 2.0 (Bartos et al. 2019) analysis. The values are 3.5.1's
 * defaults (`search_parameters`, llama/files/coinc_significance/utils.py L487-539, as recorded in
 * the reference §2.3 D). 3.5.1 varied them by population and detector network, but those variants
 * were not retrievable, so the dependence below is ours and says so.
 */

export type Population = 'bns' | 'bbh';

export interface SearchParameters {
  readonly population: Population;
  /** Sorted, joined instrument names (e.g. `H1L1V1`), as 3.5.1 keyed its background. */
  readonly instruments: string;
  /** Expected detected signal neutrinos for E_ν = 1e51 erg at 100 Mpc (sky-averaged). */
  readonly nu_51_100: number;
  /** Joint GW+ν source rate density, Mpc^-3 s^-1 (recorded; see README for where it enters). */
  readonly ndotgwnu: number;
  /** Beaming factor: a fraction 1/fb of sources point their neutrino jet at us. */
  readonly fb: number;
  /** GW background trigger rate, Hz (recorded). */
  readonly ratebggw: number;
  /** Background neutrino rate, Hz. */
  readonly ratebgnu: number;
  /** GW energy range (recorded; the GW term uses the skymap posterior instead). */
  readonly egwmax: number;
  readonly egwmin: number;
  /** Isotropic-equivalent neutrino energy prior range, units of 1e51 erg, log-uniform. */
  readonly enumax: number;
  readonly enumin: number;
  /** Neutrino energy range of the E^-2 spectrum, GeV. */
  readonly epsilonmin: number;
  readonly epsilonmax: number;
  /** Emission-time spreads: the GW and the ν are each within ±250 s of the source time. */
  readonly tgwplus: number;
  readonly tgwminus: number;
  readonly tnuplus: number;
  readonly tnuminus: number;
  readonly k0: number;
  readonly k1: number;
  readonly rhomin: number;
  /** Local background window: declination half-width (deg) and log10 energy half-width. */
  readonly deltaomega: number;
  readonly deltae: number;
  readonly sensitivity: string;
  /** Distance prior upper edge (Mpc) for pixels/maps without a distance posterior (p(r) ∝ r²). */
  readonly rmax_mpc: number;
}

const SECONDS_PER_YEAR = 365 * 24 * 3600;

/** 3.5.1's defaults (reference §2.3 D), population BNS. */
export const DEFAULT_SEARCH_PARAMETERS: Omit<SearchParameters, 'population' | 'instruments' | 'rmax_mpc'> = {
  nu_51_100: 1.1,
  ndotgwnu: (1500 / SECONDS_PER_YEAR) * 1e-9,
  fb: 10,
  ratebggw: 1 / 86400,
  ratebgnu: 6.4e-3,
  egwmax: 18.7,
  egwmin: 18.7e-4,
  enumax: 0.1,
  enumin: 1e-6,
  epsilonmin: 10,
  epsilonmax: 1e9,
  tgwplus: 250,
  tgwminus: -250,
  tnuplus: 250,
  tnuminus: -250,
  k0: 400.8,
  k1: 400.8,
  rhomin: 5.59,
  deltaomega: 2.5,
  deltae: 0.3,
  sensitivity: 'o3',
};

/**
 * Distance horizons (Mpc) by population and network, used only where the skymap has no distance
 * posterior (e.g. cWB). Ours, not 3.5.1's: roughly the O3 BNS/BBH horizons (≈2.3× the range).
 */
const RMAX_MPC: Record<Population, { two: number; three: number }> = {
  bns: { two: 330, three: 400 },
  bbh: { two: 2000, three: 2500 },
};

/** Sorted, joined instrument names from "H1,L1,V1", ["L1","H1"], … */
export function instrumentKey(instruments: string | readonly string[]): string {
  const list = typeof instruments === 'string' ? instruments.split(/[\s,]+/) : [...instruments];
  return [...new Set(list.map((s) => s.trim().toUpperCase()).filter((s) => s !== ''))].sort().join('');
}

export function searchParameters(population: Population, instruments: string | readonly string[]): SearchParameters {
  const key = instrumentKey(instruments);
  const count = key.length / 2;
  const horizons = RMAX_MPC[population];
  return {
    ...DEFAULT_SEARCH_PARAMETERS,
    population,
    instruments: key,
    rmax_mpc: count >= 3 ? horizons.three : horizons.two,
  };
}

/**
 * 3.5.1 `PAstro.most_likely_population`: 'bbh' if p_BBH > p_BNS + p_NSBH + p_MassGap, else 'bns'.
 */
export function mostLikelyPopulation(pAstro: Readonly<Record<string, unknown>>): Population {
  const p = (key: string): number => {
    const v = pAstro[key];
    return typeof v === 'number' && Number.isFinite(v) ? v : 0;
  };
  return p('BBH') > p('BNS') + p('NSBH') + p('MassGap') ? 'bbh' : 'bns';
}
