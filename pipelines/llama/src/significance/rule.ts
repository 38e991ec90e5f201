import { readFile, writeFile } from 'node:fs/promises';
import { GenerationError, type GenerateContext } from '@llama/core';
import { zenithAzimuthToIcrs } from '../coords/index.js';
import { PARTIAL_RESULT_MARKER, readNeutrinoList, type NeutrinoList } from '../icecube/types.js';
import { eventGps, readSkymapInfo, type SkymapInfoData } from '../skymap-info.js';
import { parseDistancesJson } from '../skymap/distances.js';
import { readSkymapHdf5 } from '../skymap/index.js';
import type { Skymap } from '../skymap/types.js';
import { mjdToGps } from '../time/gps.js';
import { PreparedBackground } from './density.js';
import { computeOpaOdds, METHOD_351, OPA_METHODS, type GwTerms, type OpaMethod, type OpaNeutrino } from './odds.js';
import { instrumentKey, instrumentList, mostLikelyPopulation, searchParameters, searchParametersRecord } from './parameters.js';
import { backgroundKey, loadBackgroundTable, pValue, selectBackground, type LoadedTable } from './pvalue.js';
import { loadBackgroundNeutrinos, loadGwSnrList, type BackgroundNeutrinoSample, type GwSnrSample } from './samples.js';
import { SkySums } from './sky.js';
import { computeSubthresholdOdds, METHOD_SUBTHRESHOLD_351 } from './subthreshold.js';

/**
 * CoincSignificanceI3Lvc (`significance_lvc-i3.json`, 3.5.1 opa.py) and
 * CoincSignificanceSubthresholdI3Lvc (`significance_subthresh_lvc-i3.json`, subthreshold.py), in
 * 3.5.1's schema, plus what llama adds: the method, the data files used (name and sha256), the
 * background table used, and the completeness of the neutrino list.
 */

export type SignificanceVariant = 'significant' | 'subthreshold';

/** Selects the OPA method; unset means 3.5.1's. */
export const ENV_SIGNIFICANCE_METHOD = 'LLAMA_SIGNIFICANCE_METHOD';

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

/** GraceDB event JSON → sorted instruments (3.5.1 gracedb.py:331-341). */
export function instrumentsFromEventData(raw: unknown, path: string): string[] {
  const o = asObject(raw, path, 'GraceDB event data');
  const value = o['instruments'];
  const list = typeof value === 'string' || Array.isArray(value) ? instrumentList(value as string | string[]) : [];
  if (list.length === 0 || !list.every((d) => /^[A-Z]\d$/.test(d))) {
    throw new GenerationError(`${path}: "instruments" must name the detectors (e.g. "H1,L1,V1"), got ${JSON.stringify(value)}`);
  }
  return list;
}

/**
 * The network SNR: `extra_attributes.CoincInspiral.snr` (3.5.1 gracedb.py:311-315). cWB events
 * have no CoincInspiral (3.5.1 raised KeyError there); we take `MultiBurst.snr`, which cancels in
 * the cWB odds.
 */
export function snrFromEventData(raw: unknown, path: string, cwb: boolean): number {
  const extra = asObject(raw, path, 'GraceDB event data')['extra_attributes'] as Record<string, Record<string, unknown> | undefined> | undefined;
  const coinc = extra?.['CoincInspiral']?.['snr'];
  if (typeof coinc === 'number' && coinc > 0) return coinc;
  const burst = extra?.['MultiBurst']?.['snr'];
  if (cwb && typeof burst === 'number' && burst > 0) return burst;
  throw new GenerationError(`${path}: no network SNR (extra_attributes.CoincInspiral.snr${cwb ? ' or MultiBurst.snr' : ''})`);
}

export interface SignificanceInputs {
  readonly info: SkymapInfoData;
  readonly infoRaw: unknown;
  readonly list: NeutrinoList;
  readonly listRaw: unknown;
  readonly skymap: Skymap;
  readonly instruments: string[];
  readonly snr: number;
  readonly pAstro: Readonly<Record<string, unknown>>;
  readonly distmean: number;
}

export interface SignificanceData {
  readonly neutrinos: BackgroundNeutrinoSample;
  readonly gwSnr?: GwSnrSample;
  readonly table: LoadedTable | undefined;
  readonly method: OpaMethod;
}

export interface SignificanceDocument {
  readonly inputs: Record<string, unknown>;
  readonly outputs: {
    readonly neutrino_gw_triggers?: readonly Record<string, unknown>[];
    readonly neutrino_gw_combined: Record<string, unknown>;
  };
  readonly complete: boolean;
  readonly partial_result?: string;
}

/** The list's neutrinos as 3.5.1 used them: RA/Dec recomputed from (mjd, zenith, azimuth). */
export function listNeutrinos(list: NeutrinoList): OpaNeutrino[] {
  return list.triggers.map((n) => {
    const { ra, dec } = zenithAzimuthToIcrs(n.mjd, n.zenith, n.azimuth);
    return { gps: mjdToGps(n.mjd), zenith: n.zenith, azimuth: n.azimuth, sigma: n.sigma, energy: n.energy, ra, dec };
  });
}

const preparedCache = new WeakMap<BackgroundNeutrinoSample, PreparedBackground>();
function prepared(sample: BackgroundNeutrinoSample): PreparedBackground {
  let p = preparedCache.get(sample);
  if (p === undefined) {
    p = new PreparedBackground(sample);
    preparedCache.set(sample, p);
  }
  return p;
}

/** Pure part: the document from parsed inputs and data (used by the rule, tests and the bench). */
export function significanceDocument(inputs: SignificanceInputs, variant: SignificanceVariant, data: SignificanceData): SignificanceDocument {
  const population = mostLikelyPopulation(inputs.pAstro);
  const params = searchParameters(population, inputs.instruments);
  const cwb = inputs.info.pipeline === 'CWB';
  const gw: GwTerms = { tgw: eventGps(inputs.info), rho: inputs.snr, dist: cwb ? 1 : inputs.distmean, cwb };
  const neutrinos = listNeutrinos(inputs.list);
  const sky = new SkySums(inputs.skymap);
  const background = prepared(data.neutrinos);
  const method = variant === 'significant' ? data.method : METHOD_SUBTHRESHOLD_351;
  const key = backgroundKey(variant === 'significant' ? 'opa' : 'subthreshold', population, params.sensitivity, instrumentKey(params.instruments));
  const selected = selectBackground(data.table, key, method, data.neutrinos, variant === 'subthreshold' ? data.gwSnr : undefined);
  const bg = 'entry' in selected ? selected.entry : undefined;
  const pv = (odds: number): number | null => (bg === undefined ? null : pValue(bg.odds, odds));
  const inputsRecord: Record<string, unknown> = {
    gw_skymap_info: inputs.infoRaw,
    neutrino_info: inputs.listRaw,
    search_parameters: searchParametersRecord(params),
    method,
    background_neutrinos: { name: data.neutrinos.name, sha256: data.neutrinos.sha256, events: data.neutrinos.zenith.length },
    ...(variant === 'subthreshold' && data.gwSnr !== undefined ? { gw_background_snr: { name: data.gwSnr.name, sha256: data.gwSnr.sha256, values: data.gwSnr.snr.length } } : {}),
    background_table: data.table === undefined ? null : { source: data.table.source, sample_sha256: data.table.table.sample.sha256, key, trials: bg?.trials ?? 0 },
    gw: { tgw: gw.tgw, snr: gw.rho, distmean: inputs.distmean, cwb, population, instruments: params.instruments },
    neutrino_coordinates: neutrinos.map((n) => ({ ra: n.ra, dec: n.dec })),
  };
  const note = 'note' in selected ? { p_value_note: selected.note } : {};
  const common = { complete: inputs.list.complete, ...(inputs.list.complete ? {} : { partial_result: PARTIAL_RESULT_MARKER }) };
  if (variant === 'subthreshold') {
    const t = inputs.pAstro['Terrestrial'];
    if (typeof t !== 'number' || !(t >= 0 && t <= 1)) throw new GenerationError('p_astro.json: "Terrestrial" must be a probability for the subthreshold significance');
    if (data.gwSnr === undefined) throw new GenerationError('the subthreshold significance needs the GW background SNR list');
    const r = computeSubthresholdOdds(gw, t, neutrinos, sky, background, data.gwSnr.snr, params);
    return {
      inputs: inputsRecord,
      outputs: { neutrino_gw_combined: { odds_ratio: r.odds_ratio, p_h_s1: r.p_h_s1, p_h_s2: r.p_h_s2, p_h_0: r.p_h_0, p_h_c: r.p_h_c, p_value: pv(r.raw_odds_ratio), ...(bg === undefined ? {} : { p_value_resolution: 1 / bg.odds.length }), ...note, dump: r.dump } },
      ...common,
    };
  }
  const result = computeOpaOdds(gw, neutrinos, sky, background, params, { method: data.method });
  const triggers = result.neutrinos.map((t, i) => ({
    ra: neutrinos[i]!.ra,
    dec: neutrinos[i]!.dec,
    sigma: neutrinos[i]!.sigma,
    energy: neutrinos[i]!.energy,
    dt: neutrinos[i]!.gps - gw.tgw,
    odds_ratio: t.odds_ratio,
    p_h_s1: t.p_h_s1,
    p_h_s2: t.p_h_s2,
    p_h_0: t.p_h_0,
    p_h_c: t.p_h_c,
    // 3.5.1 ranks each neutrino's odds against the event-sum background too (utils.py:63-114),
    // computed before bad odds are set to 0.
    p_value: pv(t.raw_odds_ratio),
    dump: t.dump,
  }));
  const combined: Record<string, unknown> = { odds_ratio: result.combined, p_value: pv(result.combined), ...note };
  if (bg !== undefined) combined['p_value_resolution'] = 1 / bg.odds.length;
  return { inputs: inputsRecord, outputs: { neutrino_gw_triggers: triggers, neutrino_gw_combined: combined }, ...common };
}

/** The OPA method named by LLAMA_SIGNIFICANCE_METHOD (default 3.5.1's). */
export function methodFromEnv(env: Readonly<Record<string, string | undefined>>): OpaMethod {
  const value = env[ENV_SIGNIFICANCE_METHOD];
  if (value === undefined || value === '') return METHOD_351;
  if ((OPA_METHODS as readonly string[]).includes(value)) return value as OpaMethod;
  throw new GenerationError(`${ENV_SIGNIFICANCE_METHOD}=${value} is not a significance method (expected ${OPA_METHODS.join(' or ')})`);
}

export async function readSignificanceInputs(ctx: GenerateContext): Promise<SignificanceInputs> {
  const path = (name: string): string => {
    const p = ctx.inputs[name];
    if (p === undefined) throw new GenerationError(`${ctx.rule}: input ${name} is missing`);
    return p;
  };
  const info = await readSkymapInfo(path('SkymapInfo'));
  const infoRaw = await readJson(path('SkymapInfo'), 'skymap info');
  const list = await readNeutrinoList(path('IceCubeNeutrinoList'));
  const listRaw = await readJson(path('IceCubeNeutrinoList'), 'neutrino list');
  let skymap: Skymap;
  try {
    // The sums need only the probability: DISTMU/DISTSIGMA/DISTNORM rows are not read.
    skymap = await readSkymapHdf5(path('LvcSkymapHdf5'), { probabilityOnly: true });
  } catch (cause) {
    throw new GenerationError(`${path('LvcSkymapHdf5')}: cannot read the GW skymap`, { cause });
  }
  const eventPath = path('LVCGraceDbEventData');
  const eventData = await readJson(eventPath, 'GraceDB event data');
  const instruments = instrumentsFromEventData(eventData, eventPath);
  const snr = snrFromEventData(eventData, eventPath, info.pipeline === 'CWB');
  const pAstroPath = path('PAstro');
  const pAstro = asObject(await readJson(pAstroPath, 'p_astro file'), pAstroPath, 'p_astro file');
  const distancesPath = path('LvcDistancesJson');
  let distmean: number;
  try {
    distmean = parseDistancesJson(await readFile(distancesPath, 'utf8'), distancesPath).distmean;
  } catch (cause) {
    throw new GenerationError(`${distancesPath}: cannot read DISTMEAN`, { cause });
  }
  return { info, infoRaw, list, listRaw, skymap, instruments, snr, pAstro, distmean };
}

export function significanceGenerator(variant: SignificanceVariant): (ctx: GenerateContext) => Promise<void> {
  return async (ctx) => {
    const method = methodFromEnv(ctx.env);
    const inputs = await readSignificanceInputs(ctx);
    const data: SignificanceData = {
      neutrinos: loadBackgroundNeutrinos(ctx.env),
      ...(variant === 'subthreshold' ? { gwSnr: loadGwSnrList(ctx.env) } : {}),
      table: loadBackgroundTable(ctx.env),
      method,
    };
    const doc = significanceDocument(inputs, variant, data);
    await writeFile(ctx.outputPath, `${JSON.stringify(doc, null, 2)}\n`);
    if (!doc.complete) ctx.log.info(`${ctx.rule}: ${PARTIAL_RESULT_MARKER}`);
  };
}
