import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { GenerateContext } from '@llama/core';
import { describe, expect, it } from 'vitest';
import { writeSkymapHdf5 } from '../skymap/index.js';
import { gpsToIso, gpsToMjd } from '../time/gps.js';
import { DEFAULT_MODEL_NAME } from './default-model.js';
import { significanceGenerator } from './rule.js';
import { fisherMixtureSkymap } from './synthetic.js';

const GW = 1250000000;

async function setup(options: { pAstro?: Record<string, number>; instruments?: unknown; table?: unknown; complete?: boolean } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'llama-sig-'));
  const file = (name: string, content: unknown): Promise<string> => {
    const path = join(dir, name);
    return writeFile(path, typeof content === 'string' ? content : JSON.stringify(content)).then(() => path);
  };
  const hdf5 = join(dir, 'lvc_skymap.hdf5');
  await writeSkymapHdf5(fisherMixtureSkymap([{ ra: 120, dec: 20, sigmaDeg: 4, weight: 1 }], { maxOrder: 7, minOrder: 3, distMu: 150, distSigma: 40 }), hdf5);
  const nu = (dt: number, ra: number, dec: number) => ({ mjd: gpsToMjd(GW + dt), ra, dec, sigma: 0.5, energy: 5e4, zenith: dec + 90, azimuth: 10, type: 'observation' });
  const inputs: Record<string, string> = {
    SkymapInfo: await file('skymap_info.json', {
      event_time_iso: gpsToIso(GW).replace('Z', ''), graceid: 'S190930s', far: 1e-9, notice_time_iso: gpsToIso(GW + 60),
      pipeline: 'GSTLAL', skymap_filename: 'bayestar.fits.gz,0', alert_type: 'manual',
    }),
    IceCubeNeutrinoList: await file('icecube_neutrino_list.json', { triggers: [nu(-30, 121, 20.5), nu(200, 300, -50)], complete: options.complete ?? true }),
    LvcSkymapHdf5: hdf5,
    LVCGraceDbEventData: await file('lvc_gracedb_event_data.json', { instruments: options.instruments ?? 'H1,L1,V1', offline: false }),
    LvcDistancesJson: await file('lvc_skymap_distances.json', [{ distmean: 150, diststd: 40 }]),
    PAstro: await file('p_astro.json', options.pAstro ?? { BNS: 0.9, NSBH: 0.05, BBH: 0, Terrestrial: 0.05 }),
    LVAlertJSON: await file('lvalert.json', {}),
  };
  const env: Record<string, string> = {};
  if (options.table !== undefined) {
    const tablePath = join(dir, 'bg.json.gz');
    await writeFile(tablePath, gzipSync(JSON.stringify(options.table)));
    env['LLAMA_BACKGROUND_TABLE'] = tablePath;
  }
  const out = join(dir, 'significance.json');
  const ctx: GenerateContext = {
    rule: 'CoincSignificanceI3Lvc', event: { eventId: 'S190930s', runDir: dir, eventDir: dir }, flags: {}, inputs,
    outputPath: out, workDir: dir, signal: new AbortController().signal,
    log: { debug() {}, info() {}, warn() {}, error() {} }, env, now: () => new Date(), setProvisional() {},
  };
  return { ctx, out, inputs };
}

const entry = (population: string, instruments: string) => ({
  population, instruments, trials: 4, skymaps: 'test', seed: 1,
  per_neutrino: [1e-9, 1e-6, 1e-3, 10], combined_sum: [0, 1e-6, 1e-3, 10], combined_joint: [0, 1e-6, 1e-3, 10],
});
const table = (model = DEFAULT_MODEL_NAME) => ({ format: 'llama-background-v1', model, created: '', generator: 'test', entries: { 'bns/H1L1V1': entry('bns', 'H1L1V1') } });

describe('CoincSignificanceI3Lvc / SubthresholdI3Lvc rules', () => {
  it('writes the 3.5.1 schema with per-neutrino terms, p-values, the model and completeness', async () => {
    const { ctx, out } = await setup({ table: table() });
    await significanceGenerator('significant')(ctx);
    const doc = JSON.parse(await readFile(out, 'utf8'));
    expect(Object.keys(doc.inputs)).toEqual(expect.arrayContaining(['gw_skymap_info', 'neutrino_info', 'search_parameters', 'neutrino_model']));
    expect(doc.inputs.gw_skymap_info).toMatchObject({ population: 'bns', instruments: 'H1L1V1', graceid: 'S190930s' });
    expect(doc.inputs.search_parameters).toMatchObject({ nu_51_100: 1.1, fb: 10, ratebgnu: 6.4e-3, deltaomega: 2.5 });
    expect(doc.model).toBe(DEFAULT_MODEL_NAME);
    expect(doc.complete).toBe(true);
    const [near, far] = doc.outputs.neutrino_gw_triggers;
    for (const key of ['ra', 'dec', 'sigma', 'energy', 'dt', 'odds_ratio', 'p_h_s1', 'p_h_s2', 'p_h_0', 'p_h_c', 'p_value', 'dump']) expect(near).toHaveProperty(key);
    expect(near.dt).toBeCloseTo(-30, 3);
    expect(near.odds_ratio).toBeGreaterThan(far.odds_ratio);
    expect(near.p_h_0).toBe(0);
    expect(near.p_value).toBeLessThanOrEqual(far.p_value);
    expect(doc.outputs.neutrino_gw_combined.odds_ratio).toBeCloseTo(near.odds_ratio + far.odds_ratio, 10);
    expect(doc.outputs.neutrino_gw_combined.p_value).toBeGreaterThanOrEqual(0);
    expect(doc.outputs.neutrino_gw_combined.p_value_resolution).toBe(0.25);
  });
  it('gives null p-values with a note when the table lacks the population/network or another model made it', async () => {
    const bbh = await setup({ table: table(), pAstro: { BBH: 0.99, BNS: 0, NSBH: 0, Terrestrial: 0.01 } });
    await significanceGenerator('significant')(bbh.ctx);
    const doc = JSON.parse(await readFile(bbh.out, 'utf8'));
    expect(doc.inputs.gw_skymap_info.population).toBe('bbh');
    expect(doc.outputs.neutrino_gw_triggers[0].p_value).toBeNull();
    expect(doc.outputs.neutrino_gw_combined.p_value_note).toMatch(/no background trials for bbh\/H1L1V1.*llama background --population bbh --instruments H1L1V1/);
    const other = await setup({ table: table('someone-else') });
    await significanceGenerator('significant')(other.ctx);
    expect(JSON.parse(await readFile(other.out, 'utf8')).outputs.neutrino_gw_combined.p_value_note).toMatch(/made with model someone-else/);
  });
  it('subthreshold: one combined odds ratio with p_h_0 from p_astro; partial marker when the list is incomplete', async () => {
    const { ctx, out } = await setup({ table: table(), complete: false, pAstro: { BNS: 0.4, NSBH: 0, BBH: 0, Terrestrial: 0.6 } });
    await significanceGenerator('subthreshold')(ctx);
    const doc = JSON.parse(await readFile(out, 'utf8'));
    const c = doc.outputs.neutrino_gw_combined;
    expect(c.p_h_0).toBeCloseTo(1.5, 12);
    expect(c.p_h_s2).toBe(0);
    expect(c.odds_ratio).toBeCloseTo(c.p_h_s1 / (c.p_h_c + c.p_h_0), 6);
    expect(doc.complete).toBe(false);
    expect(doc.partial_result).toMatch(/PARTIAL RESULT/);
  });
  it('a certainly terrestrial GW gives zero odds but still ranks the neutrinos', async () => {
    const { ctx, out } = await setup({ table: table(), pAstro: { BNS: 0, NSBH: 0, BBH: 0, Terrestrial: 1 } });
    await significanceGenerator('subthreshold')(ctx);
    const c = JSON.parse(await readFile(out, 'utf8')).outputs.neutrino_gw_combined;
    expect(c.odds_ratio).toBeLessThan(1e-300);
    expect(c.p_value).toBeGreaterThanOrEqual(0);
    expect(c.p_value).toBeLessThanOrEqual(1);
  });
  it('fails clearly on bad inputs', async () => {
    const bad = await setup({ instruments: '' });
    await expect(significanceGenerator('significant')(bad.ctx)).rejects.toThrow(/lvc_gracedb_event_data\.json: "instruments" must name the detectors/);
    const noTerr = await setup({ pAstro: { BNS: 1 }, table: table() });
    await expect(significanceGenerator('subthreshold')(noTerr.ctx)).rejects.toThrow(/"Terrestrial" must be a probability/);
    const corrupt = await setup();
    await writeFile(corrupt.inputs['LvcSkymapHdf5']!, 'not hdf5');
    await expect(significanceGenerator('significant')(corrupt.ctx)).rejects.toThrow(/lvc_skymap\.hdf5/);
  });
});
