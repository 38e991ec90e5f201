import { zenithAzimuthToIcrs } from '../coords/index.js';
import type { Skymap } from '../skymap/types.js';
import { gpsToMjd } from '../time/gps.js';
import { PreparedBackground } from './density.js';
import { Rng } from './numeric.js';
import { computeOpaOdds, METHOD_351, type OpaMethod, type OpaNeutrino } from './odds.js';
import { instrumentKey, searchParameters, type Population } from './parameters.js';
import { backgroundKey, BACKGROUND_TABLE_FORMAT, type BackgroundEntry, type BackgroundTable, type SearchType } from './pvalue.js';
import type { BackgroundNeutrinoSample, GwSnrSample } from './samples.js';
import { SkySums } from './sky.js';
import { computeSubthresholdOdds, METHOD_SUBTHRESHOLD_351 } from './subthreshold.js';
import { randomGwSkymap } from './synthetic.js';

/**
 * Background trials the way 3.5.1 made NEUTRINO_POPULATIONS (significance-351.md §4): simulated
 * events — a GW skymap of the population and network plus a neutrino list drawn by Monte Carlo
 * from the background neutrino sample — run through the same odds code; the event's summed odds
 * (`neutrino_gw_combined.odds_ratio`) is one background value.
 *
 * `runBackgroundChunk(seed, trials, options)` is a pure function returning one row per trial, so
 * chunks can run anywhere (e.g. a Slurm array with seed = base + index); `mergeBackgroundRows`
 * sorts rows into a table.
 */

/** The neutrino search window of 3.5.1's lists: ±500 s. */
const WINDOW_SECONDS = 1000;
/** 3.5.1's floor on the angular error (realtime_tools_stubs.py:21). */
const MIN_SIGMA = 0.2;
/** GW times are drawn in O3-to-O5-like GPS seconds; only the Earth's orientation depends on them. */
const GPS_RANGE: readonly [number, number] = [1.24e9, 1.45e9];
/** Network SNR of the simulated events: it cancels in the OPA odds (significance-351.md §3). */
const TRIAL_SNR = 10;

export interface SimulatedSkymap {
  readonly skymap: Skymap;
  /** DISTMEAN, Mpc. */
  readonly distmean: number;
  readonly label: string;
}

export interface BackgroundChunkOptions {
  readonly population: Population;
  /** Instruments, e.g. "H1,L1,V1" or ["H1","L1"]. */
  readonly instruments: string | readonly string[];
  readonly sample: BackgroundNeutrinoSample;
  readonly method?: OpaMethod;
  /** Skymaps to use in turn; when absent, `syntheticSkymaps` population-like maps are drawn from the seed. */
  readonly skymaps?: readonly SimulatedSkymap[];
  readonly syntheticSkymaps?: number;
  /** 'opa' (default) or 'subthreshold' (needs `gwSnr`). */
  readonly search?: SearchType;
  /** The GW background SNR list: subthreshold trials draw their network SNR from it. */
  readonly gwSnr?: GwSnrSample;
}

/** One simulated event. */
export interface BackgroundRow {
  readonly key: string;
  readonly method: OpaMethod | typeof METHOD_SUBTHRESHOLD_351;
  readonly sample_sha256: string;
  readonly seed: number;
  /** Σ_i odds_i of the event. */
  readonly odds: number;
  readonly neutrinos: number;
  readonly skymap: string;
  /** Subthreshold rows: the GW background SNR list the SNR was drawn from. */
  readonly gw_snr?: { readonly name: string; readonly sha256: string };
}

/** A neutrino list drawn from the background sample: Poisson count, random events, uniform azimuth and time. */
export function drawBackgroundNeutrinos(rng: Rng, sample: BackgroundNeutrinoSample, tgw: number, ratebgnu: number): OpaNeutrino[] {
  const count = rng.poisson(ratebgnu * WINDOW_SECONDS);
  const out: OpaNeutrino[] = [];
  for (let i = 0; i < count; i++) {
    const k = Math.floor(rng.uniform() * sample.zenith.length);
    const zenith = sample.zenith[k]!;
    const azimuth = 360 * rng.uniform();
    const gps = tgw + WINDOW_SECONDS * (rng.uniform() - 0.5);
    const { ra, dec } = zenithAzimuthToIcrs(gpsToMjd(gps), zenith, azimuth);
    out.push({ gps, zenith, azimuth, sigma: Math.max(MIN_SIGMA, sample.angErr[k]!), energy: sample.energy[k]!, ra, dec });
  }
  return out;
}

/** Run `trials` simulated events from `seed`: the same seed and options give the same rows. */
export function runBackgroundChunk(seed: number, trials: number, options: BackgroundChunkOptions): BackgroundRow[] {
  const search = options.search ?? 'opa';
  const gwSnr = options.gwSnr;
  if (search === 'subthreshold' && gwSnr === undefined) throw new RangeError('subthreshold background trials need the GW background SNR list');
  const method = search === 'subthreshold' ? METHOD_SUBTHRESHOLD_351 : options.method ?? METHOD_351;
  const params = searchParameters(options.population, options.instruments);
  const instruments = instrumentKey(params.instruments);
  const key = backgroundKey(search, options.population, params.sensitivity, instruments);
  const rng = new Rng(seed);
  const background = preparedBackground(options.sample);
  const mapCount = options.skymaps?.length ?? Math.max(1, Math.min(trials, options.syntheticSkymaps ?? 100));
  const rows: BackgroundRow[] = [];
  for (let m = 0; m < mapCount; m++) {
    const sim = options.skymaps?.[m] ?? syntheticSkymap(rng, options.population, instruments, seed, m);
    const sky = new SkySums(sim.skymap);
    const trialsHere = Math.floor(trials / mapCount) + (m < trials % mapCount ? 1 : 0);
    for (let t = 0; t < trialsHere; t++) {
      const tgw = GPS_RANGE[0] + (GPS_RANGE[1] - GPS_RANGE[0]) * rng.uniform();
      const neutrinos = drawBackgroundNeutrinos(rng, options.sample, tgw, params.ratebgnu);
      if (search === 'subthreshold') {
        const odds = subthresholdTrialOdds(rng, tgw, sim.distmean, neutrinos, sky, background, gwSnr!, params);
        rows.push({ key, method, sample_sha256: options.sample.sha256, seed, odds, neutrinos: neutrinos.length, skymap: sim.label, gw_snr: { name: gwSnr!.name, sha256: gwSnr!.sha256 } });
        continue;
      }
      const result = computeOpaOdds({ tgw, rho: TRIAL_SNR, dist: sim.distmean, cwb: false }, neutrinos, sky, background, params, { method: method as OpaMethod });
      rows.push({ key, method, sample_sha256: options.sample.sha256, seed, odds: result.combined, neutrinos: neutrinos.length, skymap: sim.label });
    }
  }
  return rows;
}

/**
 * One subthreshold background trial (3.5.1 built its subthreshold table the same way, from
 * simulated events through subthreshold.py): what a background GW trigger looks like is an SNR
 * drawn from the GW background SNR list; its p_terr is drawn uniformly on [0, 1]. Why uniform:
 * no public distribution of p_terr for background triggers exists, and a fixed p_terr = 1 (pure
 * noise) would give every trial the largest H0 term, hence the smallest background odds and the
 * smallest (least conservative) p-values; the uniform draw spans every p_terr a real trigger can
 * carry. The value kept is the file's `odds_ratio` (after 3.5.1's clean-up: NaN or negative → 0),
 * because 3.5.1's table collected `outputs.neutrino_gw_combined.odds_ratio` (significance-351.md §4).
 */
function subthresholdTrialOdds(
  rng: Rng,
  tgw: number,
  distmean: number,
  neutrinos: readonly OpaNeutrino[],
  sky: SkySums,
  background: PreparedBackground,
  gwSnr: GwSnrSample,
  params: ReturnType<typeof searchParameters>,
): number {
  const rho = gwSnr.snr[Math.floor(rng.uniform() * gwSnr.snr.length)]!;
  const pTerrestrial = rng.uniform();
  const odds = computeSubthresholdOdds({ tgw, rho, dist: distmean, cwb: false }, pTerrestrial, neutrinos, sky, background, gwSnr.snr, params).odds_ratio;
  // JSON has no ∞ (the clean-up keeps +∞): the largest double ranks the same, above every finite trial.
  return odds === Infinity ? Number.MAX_VALUE : odds;
}

function syntheticSkymap(rng: Rng, population: Population, instruments: string, seed: number, m: number): SimulatedSkymap {
  const skymap = randomGwSkymap(rng, population, instruments);
  return { skymap, distmean: skymap.distMu?.[0] ?? (population === 'bns' ? 150 : 800), label: `synthetic ${population} ${instruments} map ${m} of seed ${seed}` };
}

const prepared = new WeakMap<BackgroundNeutrinoSample, PreparedBackground>();
function preparedBackground(sample: BackgroundNeutrinoSample): PreparedBackground {
  let p = prepared.get(sample);
  if (p === undefined) {
    p = new PreparedBackground(sample);
    prepared.set(sample, p);
  }
  return p;
}

export interface MergeOptions {
  readonly sample: { readonly name: string; readonly sha256: string };
  readonly generator: string;
  /** An existing table to extend (same sample); its entries are kept and extended. */
  readonly base?: BackgroundTable;
  readonly created?: string;
}

/** Sort rows into a background table (entries keyed search_type/population/sensitivity/instruments). */
export function mergeBackgroundRows(rows: readonly BackgroundRow[], options: MergeOptions): BackgroundTable {
  if (options.base !== undefined && options.base.sample.sha256 !== options.sample.sha256) {
    throw new RangeError(`cannot merge: the existing table was made from sample ${options.base.sample.name} (${options.base.sample.sha256.slice(0, 12)}…), not ${options.sample.name}`);
  }
  const entries: Record<string, BackgroundEntry> = { ...(options.base?.entries ?? {}) };
  const groups = new Map<string, BackgroundRow[]>();
  for (const row of rows) {
    if (row.sample_sha256 !== options.sample.sha256) throw new RangeError(`cannot merge: a row of ${row.key} (seed ${row.seed}) was made from another neutrino sample`);
    const list = groups.get(row.key) ?? [];
    list.push(row);
    groups.set(row.key, list);
  }
  for (const [key, list] of groups) {
    const method = list[0]!.method;
    if (list.some((r) => r.method !== method)) throw new RangeError(`cannot merge: rows of ${key} were made with different methods`);
    const old = entries[key];
    if (old !== undefined && old.method !== method) throw new RangeError(`cannot merge: ${key} in the existing table was made with ${old.method}, not ${method}`);
    const gwSnr = list[0]!.gw_snr;
    if (list.some((r) => r.gw_snr?.sha256 !== gwSnr?.sha256)) throw new RangeError(`cannot merge: rows of ${key} were made from different GW background SNR lists`);
    if (old !== undefined && old.gw_snr?.sha256 !== gwSnr?.sha256) {
      throw new RangeError(`cannot merge: ${key} in the existing table was made from GW background SNR list ${old.gw_snr?.name ?? '(none)'}, not ${gwSnr?.name ?? '(none)'}`);
    }
    const seeds = [...new Set(list.map((r) => r.seed))].sort((a, b) => a - b);
    const clash = seeds.filter((s) => old?.seeds.includes(s));
    if (clash.length > 0) throw new RangeError(`cannot merge: ${key} already holds the trials of seed ${clash.join(', ')}`);
    const [searchType, population, sensitivity, instruments] = key.split('/') as [BackgroundEntry['search_type'], string, string, string];
    entries[key] = {
      search_type: searchType,
      method,
      population,
      sensitivity,
      instruments,
      trials: (old?.trials ?? 0) + list.length,
      seeds: [...(old?.seeds ?? []), ...seeds].sort((a, b) => a - b),
      odds: [...(old?.odds ?? []), ...list.map((r) => r.odds)].sort((a, b) => a - b),
      ...(gwSnr === undefined ? {} : { gw_snr: { name: gwSnr.name, sha256: gwSnr.sha256 } }),
    };
  }
  return {
    format: BACKGROUND_TABLE_FORMAT,
    sample: { name: options.sample.name, sha256: options.sample.sha256 },
    created: options.created ?? new Date().toISOString(),
    // Extending a table keeps the command that made its other entries.
    generator: options.base === undefined ? options.generator : `${options.base.generator}; then ${options.generator} --merge`,
    entries,
  };
}
