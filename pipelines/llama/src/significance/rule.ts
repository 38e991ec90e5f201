import { readFile, writeFile } from 'node:fs/promises';
import { GenerationError, type GenerateContext } from '@llama/core';
import { PARTIAL_RESULT_MARKER, readNeutrinoList, type NeutrinoList } from '../icecube/types.js';
import { eventGps, readSkymapInfo, type SkymapInfoData } from '../skymap-info.js';
import { readSkymapHdf5 } from '../skymap/index.js';
import type { Skymap } from '../skymap/types.js';
import { mjdToGps } from '../time/gps.js';
import { loadNeutrinoModel, NeutrinoModel, type NeutrinoModelFile } from './model.js';
import { computeOdds, PreparedSkymap, type SignificanceNeutrino, type SignificanceResult } from './odds.js';
import { instrumentKey, mostLikelyPopulation, searchParameters, type SearchParameters } from './parameters.js';
import { backgroundKey, loadBackgroundTable, pValue, type BackgroundEntry } from './pvalue.js';

/**
 * CoincSignificanceI3Lvc (`significance_lvc-i3.json`) and CoincSignificanceSubthresholdI3Lvc
 * (`significance_subthresh_lvc-i3.json`), in the 3.5.1 schema: `inputs` (gw_skymap_info,
 * neutrino_info, search_parameters), `outputs.neutrino_gw_triggers[]` and
 * `outputs.neutrino_gw_combined`, plus what llama adds: the model used, the background table used,
 * and the completeness of the neutrino list.
 */

export type SignificanceVariant = 'significant' | 'subthreshold';

async function readJson(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new GenerationError(`${path}: cannot read the ${what}`, { cause });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new GenerationError(`${path}: the ${what} is not valid JSON`, { cause });
  }
}

function asObject(raw: unknown, path: string, what: string): Record<string, unknown> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new GenerationError(`${path}: the ${what} must be a JSON object`);
  return raw as Record<string, unknown>;
}

/** GraceDB event JSON → instruments (e.g. "H1,L1,V1"). */
export function instrumentsFromEventData(raw: unknown, path: string): string {
  const o = asObject(raw, path, 'GraceDB event data');
  const value = o['instruments'];
  const key = typeof value === 'string' || Array.isArray(value) ? instrumentKey(value as string | string[]) : '';
  if (key === '' || !/^([A-Z]\d)+$/.test(key)) {
    throw new GenerationError(`${path}: "instruments" must name the detectors (e.g. "H1,L1,V1"), got ${JSON.stringify(value)}`);
  }
  return key;
}

export interface SignificanceInputs {
  readonly info: SkymapInfoData;
  readonly list: NeutrinoList;
  readonly skymap: Skymap;
  readonly instruments: string;
  readonly pAstro: Readonly<Record<string, unknown>>;
  readonly distances: unknown;
}

export interface SignificanceDocument {
  readonly inputs: Record<string, unknown>;
  readonly outputs: {
    readonly neutrino_gw_triggers: readonly Record<string, unknown>[];
    readonly neutrino_gw_combined: Record<string, unknown>;
  };
  readonly complete: boolean;
  readonly partial_result?: string;
  readonly model: string;
}

function entryOrNote(entries: Readonly<Record<string, BackgroundEntry>>, key: string): BackgroundEntry | undefined {
  return entries[key];
}

/** Pure part: compute the document from parsed inputs (used by the rule, tests and the bench). */
export function significanceDocument(
  inputs: SignificanceInputs,
  variant: SignificanceVariant,
  modelFile: NeutrinoModelFile,
  background: { table: { model: string; entries: Readonly<Record<string, BackgroundEntry>> }; source: string } | undefined,
): SignificanceDocument {
  const population = mostLikelyPopulation(inputs.pAstro);
  const params: SearchParameters = searchParameters(population, inputs.instruments);
  const model = new NeutrinoModel(modelFile, [params.epsilonmin, params.epsilonmax]);
  const gwGps = eventGps(inputs.info);
  const neutrinos: SignificanceNeutrino[] = inputs.list.triggers.map((n) => ({
    ra: n.ra, dec: n.dec, sigma: n.sigma, energy: n.energy, dt: mjdToGps(n.mjd) - gwGps,
  }));
  let terrestrialOdds = 0;
  let pTerrestrial: number | undefined;
  if (variant === 'subthreshold') {
    const t = inputs.pAstro['Terrestrial'];
    if (typeof t !== 'number' || !(t >= 0 && t <= 1)) throw new GenerationError('p_astro.json: "Terrestrial" must be a probability for the subthreshold significance');
    pTerrestrial = t;
    terrestrialOdds = t >= 1 ? Number.MAX_VALUE : t / (1 - t);
  }
  const prep = new PreparedSkymap(inputs.skymap, params, model);
  const result: SignificanceResult = computeOdds(prep, neutrinos, { terrestrialOdds });
  // p-values rank the neutrino evidence (p_h_0 = 0) against background trials for this
  // population and network; p_astro enters the odds ratio only.
  const key = backgroundKey(population, params.instruments);
  let note: string | undefined;
  let entry: BackgroundEntry | undefined;
  if (background === undefined) note = 'no background table';
  else if (background.table.model !== modelFile.name) {
    note = `the background table ${background.source} was made with model ${background.table.model}, not ${modelFile.name}; run \`llama background\` with this model`;
  } else {
    entry = entryOrNote(background.table.entries, key);
    if (entry === undefined) note = `no background trials for ${key} in ${background.source}; run \`llama background --population ${population} --instruments ${params.instruments}\``;
  }
  const noP0 = terrestrialOdds === 0 ? result : computeOddsNoP0(result);
  const triggers = inputs.list.triggers.map((n, i) => {
    const t = result.neutrinos[i]!;
    const bare = noP0.neutrinos[i]!;
    return {
      ra: n.ra,
      dec: n.dec,
      sigma: n.sigma,
      energy: n.energy,
      dt: neutrinos[i]!.dt,
      odds_ratio: t.odds_ratio,
      p_h_s1: t.p_h_s1,
      p_h_s2: t.p_h_s2,
      p_h_0: t.p_h_0,
      p_h_c: t.p_h_c,
      p_value: entry === undefined ? null : pValue(entry.per_neutrino, bare.odds_ratio),
      dump: t.dump,
    };
  });
  const combined: Record<string, unknown> = variant === 'significant'
    ? {
        odds_ratio: result.combinedOddsSum,
        p_value: neutrinos.length === 0 ? 1 : entry === undefined ? null : pValue(entry.combined_sum, noP0.combinedOddsSum),
      }
    : {
        odds_ratio: result.combinedOdds,
        p_h_s1: result.neutrinos.reduce((a, t) => a + t.p_h_s1, 0),
        p_h_s2: 0,
        p_h_0: result.p_h_0,
        p_h_c: result.p_h_c,
        p_value: neutrinos.length === 0 ? 1 : entry === undefined ? null : pValue(entry.combined_joint, noP0.combinedOdds),
        dump: { p_terrestrial: pTerrestrial, pair_terms_included: true },
      };
  if (note !== undefined) combined['p_value_note'] = note;
  // p = 0 means "beyond every background trial": the table resolves p only down to 1/trials.
  if (entry !== undefined) combined['p_value_resolution'] = 1 / (variant === 'significant' ? entry.combined_sum.length : entry.combined_joint.length);
  return {
    inputs: {
      gw_skymap_info: {
        graceid: inputs.info.graceid,
        event_time_iso: inputs.info.event_time_iso,
        gps: gwGps,
        far: inputs.info.far,
        pipeline: inputs.info.pipeline,
        skymap_filename: inputs.info.skymap_filename,
        instruments: params.instruments,
        population,
        p_astro: inputs.pAstro,
        distances: inputs.distances,
        skymap_pixels: inputs.skymap.probDensity.length,
        skymap_max_order: inputs.skymap.meta.maxOrder,
        skymap_has_distance: inputs.skymap.distMu !== undefined,
      },
      neutrino_info: inputs.list.triggers,
      search_parameters: params,
      neutrino_model: { name: modelFile.name, description: modelFile.description, provenance: modelFile.provenance },
      background_table: background === undefined ? null : { source: background.source, model: background.table.model, key, trials: entry?.trials ?? 0 },
      method: 'Bartos et al. 2019 (arXiv:1810.11467) odds ratio as run by LLAMA 3.5.1; equations reconstructed (see pipelines/llama/README.md, Significance)',
    },
    outputs: { neutrino_gw_triggers: triggers, neutrino_gw_combined: combined },
    complete: inputs.list.complete,
    ...(inputs.list.complete ? {} : { partial_result: PARTIAL_RESULT_MARKER }),
    model: modelFile.name,
  };
}

/** The same terms with p_h_0 = 0 (what the background trials rank), from the hypothesis terms. */
function computeOddsNoP0(r: SignificanceResult): SignificanceResult {
  const neutrinos = r.neutrinos.map((t) => ({ ...t, odds_ratio: (t.p_h_s1 + t.p_h_s2) / r.p_h_c, p_h_0: 0 }));
  return {
    ...r,
    neutrinos,
    combinedOddsSum: neutrinos.reduce((a, t) => a + t.odds_ratio, 0),
    combinedOdds: r.combinedSignal / r.p_h_c,
    p_h_0: 0,
  };
}

export async function readSignificanceInputs(ctx: GenerateContext): Promise<SignificanceInputs> {
  const path = (name: string): string => {
    const p = ctx.inputs[name];
    if (p === undefined) throw new GenerationError(`${ctx.rule}: input ${name} is missing`);
    return p;
  };
  const info = await readSkymapInfo(path('SkymapInfo'));
  const list = await readNeutrinoList(path('IceCubeNeutrinoList'));
  let skymap: Skymap;
  try {
    skymap = await readSkymapHdf5(path('LvcSkymapHdf5'));
  } catch (cause) {
    throw new GenerationError(`${path('LvcSkymapHdf5')}: cannot read the GW skymap`, { cause });
  }
  const eventData = path('LVCGraceDbEventData');
  const instruments = instrumentsFromEventData(await readJson(eventData, 'GraceDB event data'), eventData);
  const pAstroPath = path('PAstro');
  const pAstro = asObject(await readJson(pAstroPath, 'p_astro file'), pAstroPath, 'p_astro file');
  const distances = await readJson(path('LvcDistancesJson'), 'distances file');
  return { info, list, skymap, instruments, pAstro, distances };
}

export function significanceGenerator(variant: SignificanceVariant): (ctx: GenerateContext) => Promise<void> {
  return async (ctx) => {
    const inputs = await readSignificanceInputs(ctx);
    const modelFile = await loadNeutrinoModel(ctx.env);
    const background = loadBackgroundTable(ctx.env);
    const doc = significanceDocument(inputs, variant, modelFile, background);
    await writeFile(ctx.outputPath, `${JSON.stringify(doc, null, 2)}\n`);
    if (!doc.complete) ctx.log.info(`${ctx.rule}: ${PARTIAL_RESULT_MARKER}`);
  };
}
