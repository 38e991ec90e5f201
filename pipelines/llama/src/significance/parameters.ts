/**
 * LLAMA 3.5.1's search parameters (`search_parameters`, llama/files/coinc_significance/utils.py:
 * 513-539): one fixed set for every population and network. `population`, `instruments` and
 * `sensitivity` only select the p-value background.
 */

export type Population = 'bns' | 'bbh';

export interface SearchParameters {
  readonly nu_51_100: number;
  /** 1500 Gpc^-3 yr^-1 in Mpc^-3 s^-1. */
  readonly ndotgwnu: number;
  readonly fb: number;
  readonly k0: number;
  readonly k1: number;
  readonly expectedMultimessengerRate: number;
  readonly tgwplus: number;
  readonly tgwminus: number;
  readonly tnuplus: number;
  readonly tnuminus: number;
  readonly ratebggw: number;
  readonly ratebgnu: number;
  readonly egwmax: number;
  readonly egwmin: number;
  readonly enumax: number;
  readonly enumin: number;
  readonly epsilonmin: number;
  readonly epsilonmax: number;
  readonly rhomin: number;
  /** Background zenith half-window, degrees. */
  readonly deltaomega: number;
  /** Background energy half-window, fractional (linear energy). */
  readonly deltae: number;
  readonly population: Population;
  /** Sorted instrument names, as 3.5.1's `gracedb.instruments`. */
  readonly instruments: readonly string[];
  readonly sensitivity: 'o3';
}

export const DEFAULT_SEARCH_PARAMETERS = {
  nu_51_100: 1.1,
  ndotgwnu: (1500 / (365 * 24 * 3600)) * 1e-9,
  fb: 10,
  k0: 400.8,
  k1: 400.8,
  expectedMultimessengerRate: 11,
  tgwplus: 250,
  tgwminus: -250,
  tnuplus: 250,
  tnuminus: -250,
  ratebggw: 1 / (3600 * 24),
  ratebgnu: 6.4 / 1000,
  egwmax: 18.7,
  egwmin: 18.7 * 1e-4,
  enumax: 0.1,
  enumin: 1e-6,
  epsilonmin: 10,
  epsilonmax: 1e9,
  rhomin: 5.59,
  deltaomega: 2.5,
  deltae: 0.3,
  sensitivity: 'o3',
} as const;

/** Sorted, de-duplicated instrument names from "H1,L1,V1", ["L1","H1"], … */
export function instrumentList(instruments: string | readonly string[]): string[] {
  const list = typeof instruments === 'string' ? instruments.split(/[\s,]+/) : [...instruments];
  return [...new Set(list.map((s) => s.trim().toUpperCase()).filter((s) => s !== ''))].sort();
}

/** 3.5.1's p-value key for the network: `''.join(sorted(instruments))`. */
export function instrumentKey(instruments: string | readonly string[]): string {
  return instrumentList(instruments).join('');
}

export function searchParameters(population: Population, instruments: string | readonly string[]): SearchParameters {
  return { ...DEFAULT_SEARCH_PARAMETERS, population, instruments: instrumentList(instruments) };
}

/** The parameters as 3.5.1 wrote them (`dict(search_params)`, its own key names). */
export function searchParametersRecord(p: SearchParameters): Record<string, unknown> {
  return {
    nu_51_100: p.nu_51_100,
    ndotgwnu: p.ndotgwnu,
    fb: p.fb,
    k0: p.k0,
    k1: p.k1,
    expected_multimessenger_event_detection_rate_density: p.expectedMultimessengerRate,
    tgwplus: p.tgwplus,
    tgwminus: p.tgwminus,
    tnuplus: p.tnuplus,
    tnuminus: p.tnuminus,
    ratebggw: p.ratebggw,
    ratebgnu: p.ratebgnu,
    Egwmax: p.egwmax,
    Egwmin: p.egwmin,
    'Eₙmax': p.enumax,
    'Eₙmin': p.enumin,
    'ϵmin': p.epsilonmin,
    'ϵmax': p.epsilonmax,
    'ρmin': p.rhomin,
    'δω': p.deltaomega,
    'ΔE': p.deltae,
    population: p.population,
    instruments: p.instruments,
    sensitivity: p.sensitivity,
  };
}

/** r0(Egw) = k0·√Egw/ρmin: the GW horizon (Mpc) for emission energy Egw (utils.py:39-42). */
export function r0(egw: number, p: SearchParameters): number {
  return (p.k0 * Math.sqrt(egw)) / p.rhomin;
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
