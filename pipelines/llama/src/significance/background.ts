import type { Skymap } from '../skymap/types.js';
import { NeutrinoModel, type NeutrinoModelFile } from './model.js';
import { Rng } from './numeric.js';
import { computeOdds, PreparedSkymap, type SignificanceNeutrino } from './odds.js';
import { searchParameters, type Population, type SearchParameters } from './parameters.js';
import { backgroundKey, type BackgroundEntry, type BackgroundTable } from './pvalue.js';
import { randomGwSkymap } from './synthetic.js';

/**
 * Background trials: for each trial, a ±500 s window of scrambled neutrinos drawn from the
 * background model (Poisson count with mean R_ν·1000 s; declination and energy from the model's
 * background density; RA uniform; σ from the model's σ distribution; Δt uniform) is evaluated
 * against a GW skymap with p_h_0 = 0. Skymaps are used in turn, `trials / skymaps` trials each.
 */

export interface BackgroundRunOptions {
  readonly params: SearchParameters;
  readonly model: NeutrinoModel;
  readonly trials: number;
  readonly seed: number;
  /** Skymaps to use; when absent, `syntheticSkymaps` random GW-like maps are drawn. */
  readonly skymaps?: readonly Skymap[];
  readonly syntheticSkymaps?: number;
  readonly skymapDescription?: string;
  readonly onProgress?: (done: number, total: number) => void;
}

const WINDOW_SECONDS = 1000;

export function drawBackgroundNeutrinos(rng: Rng, model: NeutrinoModel, params: SearchParameters): SignificanceNeutrino[] {
  const count = rng.poisson(params.ratebgnu * WINDOW_SECONDS);
  const out: SignificanceNeutrino[] = [];
  for (let i = 0; i < count; i++) {
    const s = model.sampleBackground(rng);
    out.push({ ra: s.ra, dec: s.dec, sigma: s.sigma, energy: 10 ** s.log10E, dt: WINDOW_SECONDS * (rng.uniform() - 0.5) });
  }
  return out;
}

const sig = (v: number): number => Number(v.toPrecision(6));

export function runBackgroundTrials(options: BackgroundRunOptions): BackgroundEntry {
  const { params, model } = options;
  const rng = new Rng(options.seed);
  const mapCount = options.skymaps?.length ?? Math.max(1, options.syntheticSkymaps ?? 100);
  const perNeutrino: number[] = [];
  const combinedSum: number[] = [];
  const combinedJoint: number[] = [];
  let done = 0;
  for (let m = 0; m < mapCount; m++) {
    const skymap = options.skymaps?.[m] ?? randomGwSkymap(rng, params.population, params.instruments);
    const prep = new PreparedSkymap(skymap, params, model);
    const trialsHere = Math.floor(options.trials / mapCount) + (m < options.trials % mapCount ? 1 : 0);
    for (let t = 0; t < trialsHere; t++) {
      const result = computeOdds(prep, drawBackgroundNeutrinos(rng, model, params), { terrestrialOdds: 0 });
      for (const n of result.neutrinos) perNeutrino.push(sig(n.odds_ratio));
      combinedSum.push(sig(result.combinedOddsSum));
      combinedJoint.push(sig(result.combinedOdds));
      done++;
      if (done % 500 === 0) options.onProgress?.(done, options.trials);
    }
  }
  const asc = (a: number, b: number): number => a - b;
  return {
    population: params.population,
    instruments: params.instruments,
    trials: done,
    skymaps: options.skymapDescription ?? (options.skymaps === undefined ? `${mapCount} synthetic GW-like skymaps (randomGwSkymap)` : `${mapCount} skymaps`),
    seed: options.seed,
    per_neutrino: perNeutrino.sort(asc),
    combined_sum: combinedSum.sort(asc),
    combined_joint: combinedJoint.sort(asc),
  };
}

export interface BackgroundTableOptions {
  readonly populations: readonly Population[];
  /** Instrument sets, e.g. ["H1,L1", "H1,L1,V1"]. */
  readonly instrumentSets: readonly string[];
  readonly trials: number;
  readonly seed: number;
  readonly modelFile: NeutrinoModelFile;
  readonly skymaps?: readonly Skymap[];
  readonly skymapDescription?: string;
  readonly syntheticSkymaps?: number;
  readonly generator: string;
  /** Entries to keep (a table being extended); entries computed now replace same-key ones. */
  readonly base?: BackgroundTable;
  readonly onEntry?: (key: string, entry: BackgroundEntry, seconds: number) => void;
  readonly onProgress?: (key: string, done: number, total: number) => void;
}

/** Run the trials for every population × instrument set and assemble a background table. */
export async function buildBackgroundTable(options: BackgroundTableOptions): Promise<BackgroundTable> {
  if (options.base !== undefined && options.base.model !== options.modelFile.name) {
    throw new RangeError(`cannot merge: the existing table was made with model ${options.base.model}, not ${options.modelFile.name}`);
  }
  const entries: Record<string, BackgroundEntry> = { ...(options.base?.entries ?? {}) };
  let seedOffset = 0;
  for (const population of options.populations) {
    for (const instruments of options.instrumentSets) {
      const params = searchParameters(population, instruments);
      const model = new NeutrinoModel(options.modelFile, [params.epsilonmin, params.epsilonmax]);
      const key = backgroundKey(population, params.instruments);
      const started = Date.now();
      const entry = runBackgroundTrials({
        params,
        model,
        trials: options.trials,
        seed: options.seed + 7919 * seedOffset++,
        ...(options.skymaps === undefined ? {} : { skymaps: options.skymaps }),
        ...(options.syntheticSkymaps === undefined ? {} : { syntheticSkymaps: options.syntheticSkymaps }),
        ...(options.skymapDescription === undefined ? {} : { skymapDescription: options.skymapDescription }),
        onProgress: (done, total) => options.onProgress?.(key, done, total),
      });
      entries[key] = entry;
      options.onEntry?.(key, entry, (Date.now() - started) / 1000);
      // Let other work (signals, logging) run between entries.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return {
    format: 'llama-background-v1',
    model: options.modelFile.name,
    created: new Date().toISOString(),
    generator: options.generator,
    entries,
  };
}
