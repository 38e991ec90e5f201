import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeI3Live, type FakeI3Live } from '../fakes/i3live.js';
import { llama, tempHome, writeFiles } from '../helpers/llama.js';

// GW170817's time, as GPS: 1187008882.43; MJD 57982.52852.
const SKYMAP_INFO = JSON.stringify({
  event_time_iso: '2017-08-17T12:41:04.43', graceid: 'S170817a', far: 1e-9, notice_time_iso: '2017-08-17T13:00:00',
  pipeline: 'GSTLAL', skymap_filename: 'bayestar.fits.gz,0', alert_type: 'manual',
});
const MJD = 57982.528523495;
const nu = (dt: number, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ mjd: MJD + dt / 86400, ra: 197.45, dec: -23.38, sigma: 0.6, energy: 25000, ...extra });

let fake: FakeI3Live | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('neutrino lists through the CLI', () => {
  it('builds IceCubeNeutrinoList and its txt table from a file:// archive', async () => {
    const { env, runDir, root } = tempHome();
    writeFiles(join(runDir, 'S170817a'), { 'skymap_info.json': SKYMAP_INFO });
    writeFiles(root, { 'archive.jsonl': [nu(-800), nu(-12.5, { run: 130033, event: 5 }), nu(420), nu(900)].join('\n') });
    const archive = pathToFileURL(join(root, 'archive.jsonl')).href;
    const r = await llama(['run', `${runDir}/`, '-F', '-o', '+f', 'IceCubeNeutrinoListTxt'], { env: { ...env, LLAMA_ICECUBE_SOURCE: archive } });
    expect(r.code, r.stderr).toBe(0);
    const list = JSON.parse(readFileSync(join(runDir, 'S170817a', 'icecube_neutrino_list.json'), 'utf8'));
    expect(list.complete).toBe(true);
    expect(list.triggers).toHaveLength(2);
    expect(list.triggers[0]).toMatchObject({ run: '130033', event: '5', type: 'archival' });
    const txt = readFileSync(join(runDir, 'S170817a', 'icecube_neutrino_list.txt'), 'utf8').split('\n');
    expect(txt[0]).toContain('dt[s]');
    expect(txt[2]).toMatch(/^1\s+-12\.50\s+197\.45\s+-23\.38\s+25\.00\s+0\.60$/);
  });
  it('reports a malformed archive line and writes nothing', async () => {
    const { env, runDir, root } = tempHome();
    writeFiles(join(runDir, 'S170817a'), { 'skymap_info.json': SKYMAP_INFO });
    writeFiles(root, { 'archive.jsonl': `${nu(0)}\n{"mjd": 57982.5, "ra": 1}\n` });
    const r = await llama(['run', `${runDir}/`, '-F', '-o', '-f', 'IceCubeNeutrinoList'], { env: { ...env, LLAMA_ICECUBE_SOURCE: pathToFileURL(join(root, 'archive.jsonl')).href } });
    expect(`${r.stdout}${r.stderr}`).toMatch(/archive\.jsonl: line 2: "dec" must be a finite number/);
    expect(existsSync(join(runDir, 'S170817a', 'icecube_neutrino_list.json'))).toBe(false);
  });
  it('pulls from a fake I3Live service', async () => {
    fake = await startFakeI3Live({
      events: [
        { eventtime: '2017-08-17 12:40:30.000000', ra: 10, dec: 20, sigma: 1.1, energy: 3000, run_id: 1, event_id: 2 },
        { eventtime: '2017-08-17 13:00:00.000000', ra: 11, dec: 21, sigma: 1.1, energy: 3000 },
      ],
    });
    const { env, runDir } = tempHome();
    writeFiles(join(runDir, 'S170817a'), { 'skymap_info.json': SKYMAP_INFO });
    const r = await llama(['run', `${runDir}/`, '-F', '-o', '-f', 'IceCubeNeutrinoList'], {
      env: { ...env, LLAMA_ICECUBE_SOURCE: 'i3live', LLAMA_I3LIVE_URL: fake.url, ICECUBE_USERNAME: 'icecube', ICECUBE_PASSWORD: 'secret' },
    });
    expect(r.code, r.stderr).toBe(0);
    const list = JSON.parse(readFileSync(join(runDir, 'S170817a', 'icecube_neutrino_list.json'), 'utf8'));
    expect(list).toMatchObject({ complete: true, source: 'i3live' });
    expect(list.triggers).toHaveLength(1);
    expect(fake.requests[0]).toMatchObject({ varname: 'realtimeEvent', topic: 'neutrino' });
  });
});

/** A small background neutrino sample in the IceCube public data release text format. */
function writeSample(root: string): string {
  const lines = ['# MJD log10(E/GeV) AngErr[deg] RA[deg] Dec[deg] Azimuth[deg] Zenith[deg]'];
  let x = 12345;
  const next = (): number => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
  for (let i = 0; i < 4000; i++) {
    const zenith = (Math.acos(2 * next() - 1) * 180) / Math.PI;
    lines.push(`${58000 + i / 100} ${(2 + 4 * next()).toFixed(4)} ${(0.2 + 2 * next()).toFixed(3)} ${(360 * next()).toFixed(3)} ${(zenith - 90).toFixed(3)} ${(360 * next()).toFixed(3)} ${zenith.toFixed(4)}`);
  }
  const path = join(root, 'bg-neutrinos.txt');
  writeFiles(root, { 'bg-neutrinos.txt': `${lines.join('\n')}\n` });
  return path;
}

describe('llama background', () => {
  it('writes a reproducible gzipped table (3.5.1 keys, method and sample recorded)', async () => {
    const { root, env } = tempHome();
    const sampleEnv = { ...env, LLAMA_BACKGROUND_NEUTRINOS: writeSample(root) };
    const out = join(root, 'bg.json.gz');
    const args = ['background', '--population', 'bns', '--instruments', 'H1,L1', '--trials', '20', '--skymaps', '2', '--seed', '5', '-q', '-o', out];
    const r = await llama(args, { env: sampleEnv });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/opa\/bns\/o3\/H1L1: 20 trials/);
    const table = JSON.parse(gunzipSync(readFileSync(out)).toString());
    expect(table).toMatchObject({ format: 'llama-background-351-v1', sample: { name: 'bg-neutrinos.txt' } });
    expect(table.entries['opa/bns/o3/H1L1']).toMatchObject({ method: 'llama-3.5.1-opa', trials: 20, seeds: [5] });
    expect(table.entries['opa/bns/o3/H1L1'].odds).toHaveLength(20);
    const again = await llama([...args.slice(0, -1), join(root, 'bg2.json.gz')], { env: sampleEnv });
    expect(again.code).toBe(0);
    expect(JSON.parse(gunzipSync(readFileSync(join(root, 'bg2.json.gz'))).toString()).entries).toEqual(table.entries);
  }, 120_000);
  it('--chunks N: chunk i is the unchunked run with seed + i; a rerun computes only missing chunks; a shard of another command is refused', async () => {
    const { root, env } = tempHome();
    const sampleEnv = { ...env, LLAMA_BACKGROUND_NEUTRINOS: writeSample(root), SOURCE_DATE_EPOCH: '1765000000' };
    const out = join(root, 'chunked.json.gz');
    const args = ['background', '--population', 'bns', '--instruments', 'H1,L1', '--trials', '9', '--skymaps', '2', '--seed', '5', '--chunks', '3', '-q', '-o', out];
    const r = await llama(args, { env: sampleEnv });
    expect(r.code, r.stderr).toBe(0);
    const table = JSON.parse(gunzipSync(readFileSync(out)).toString());
    expect(table.entries['opa/bns/o3/H1L1']).toMatchObject({ trials: 9, seeds: [5, 6, 7] });
    expect(table.created).toBe('2025-12-06T05:46:40.000Z');
    // Independent: three unchunked runs of 3 trials with seeds 5, 6, 7 hold the same odds.
    const singles: number[] = [];
    for (const seed of [5, 6, 7]) {
      const file = join(root, `single-${seed}.json.gz`);
      const one = await llama(['background', '--population', 'bns', '--instruments', 'H1,L1', '--trials', '3', '--skymaps', '2', '--seed', String(seed), '-q', '-o', file], { env: sampleEnv });
      expect(one.code, one.stderr).toBe(0);
      singles.push(...JSON.parse(gunzipSync(readFileSync(file)).toString()).entries['opa/bns/o3/H1L1'].odds);
    }
    expect(table.entries['opa/bns/o3/H1L1'].odds).toEqual(singles.sort((a, b) => a - b));
    // A crash lost chunk 1: only it is computed again, and the table is the same byte for byte.
    const first = readFileSync(out);
    rmSync(join(root, 'chunked.json.gz.chunks', 'chunk-1-of-3.json.gz'));
    const again = await llama(args, { env: sampleEnv });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('2 of 3 chunks already computed');
    expect(readFileSync(out).equals(first)).toBe(true);
    // Other options over the same shards: refused in one line, exit 2, the shards left alone.
    const other = await llama(args.map((a) => (a === '9' ? '12' : a)), { env: sampleEnv });
    expect(other.code).toBe(2);
    expect(other.stderr.trim().split('\n')).toHaveLength(1);
    expect(other.stderr).toMatch(/chunk-0-of-3\.json\.gz: refused: this shard was made by another command/);
    // --merge of the same seeds again: refused, the table keeps its trials.
    const twice = await llama([...args, '--merge'], { env: sampleEnv });
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/already holds the trials of seed 5, 6, 7/);
    expect(readFileSync(out).equals(first)).toBe(true);
  }, 180_000);
  it('--search opa subthreshold --chunks 2: both searches chunked, seeds disjoint, the same rows as unchunked runs', async () => {
    const { root, env } = tempHome();
    writeFiles(root, { 'snr.txt': `# synthetic\n${Array.from({ length: 60 }, (_, i) => (5 + i * 0.1).toFixed(2)).join('\n')}\n` });
    const sampleEnv = { ...env, LLAMA_BACKGROUND_NEUTRINOS: writeSample(root), LLAMA_GW_BACKGROUND_SNR: join(root, 'snr.txt') };
    const out = join(root, 'both.json.gz');
    const base = ['background', '--search', 'opa', 'subthreshold', '--population', 'bns', '--instruments', 'H1,L1', 'H1,L1,V1', '--trials', '4', '--skymaps', '1', '--seed', '3', '-q'];
    const r = await llama([...base, '--chunks', '2', '-o', out], { env: sampleEnv });
    expect(r.code, r.stderr).toBe(0);
    const table = JSON.parse(gunzipSync(readFileSync(out)).toString());
    expect(table.generator).toContain('--search opa subthreshold');
    expect(table.entries['opa/bns/o3/H1L1'].seeds).toEqual([3, 4]);
    expect(table.entries['opa/bns/o3/H1L1V1'].seeds).toEqual([3 + 7919, 4 + 7919]);
    expect(table.entries['subthreshold/bns/o3/H1L1'].seeds).toEqual([1_000_003, 1_000_004]);
    expect(table.entries['subthreshold/bns/o3/H1L1V1']).toMatchObject({ method: 'llama-3.5.1-subthreshold', trials: 4, seeds: [1_007_922, 1_007_923], gw_snr: { name: 'snr.txt' } });
    // Chunk i of each key is the unchunked run with seed + i.
    const singles: number[] = [];
    for (const seed of [3, 4]) {
      const file = join(root, `sub-${seed}.json.gz`);
      const one = await llama(['background', '--search', 'subthreshold', '--population', 'bns', '--instruments', 'H1,L1', '--trials', '2', '--skymaps', '1', '--seed', String(seed), '-q', '-o', file], { env: sampleEnv });
      expect(one.code, one.stderr).toBe(0);
      singles.push(...JSON.parse(gunzipSync(readFileSync(file)).toString()).entries['subthreshold/bns/o3/H1L1'].odds);
    }
    expect(table.entries['subthreshold/bns/o3/H1L1'].odds).toEqual(singles.sort((a, b) => a - b));
  }, 180_000);
  it('rejects bad options with exit code 2', async () => {
    const r = await llama(['background', '--instruments', 'H1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--instruments needs two or more detectors/);
    const search = await llama(['background', '--search', 'opa', 'supra']);
    expect(search.code).toBe(2);
    expect(search.stderr.trim()).toBe('llama background: unknown search supra (expected opa or subthreshold)');
  });
  it('fails with one line naming a missing background neutrino sample', async () => {
    const { root, env } = tempHome();
    const r = await llama(['background', '--trials', '1', '-o', join(root, 'x.json.gz')], { env: { ...env, LLAMA_BACKGROUND_NEUTRINOS: join(root, 'absent.txt') } });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/absent\.txt: missing background neutrino sample \(from LLAMA_BACKGROUND_NEUTRINOS\)/);
  });
});

describe('significance through the CLI', () => {
  const setup = async () => {
    const { significance, skymap, time } = await import('@llama/pipelines');
    const { env, runDir, root } = tempHome();
    const eventDir = join(runDir, 'S170817a');
    const gps = time.isoToGps('2017-08-17T12:41:04.43');
    const mjd = (dt: number): number => time.gpsToMjd(gps + dt);
    // Directions given in IceCube local coordinates: 3.5.1 recomputes RA/Dec from them.
    const near = significance.icrsToZenithAzimuth(mjd(-20), 197.4, -23.4);
    const nuAt = (dt: number, zenith: number, azimuth: number) => ({ mjd: mjd(dt), ra: 0, dec: 0, sigma: 0.5, energy: 4e4, zenith, azimuth, type: 'observation' });
    writeFiles(eventDir, {
      'skymap_info.json': SKYMAP_INFO,
      'icecube_neutrino_list.json': JSON.stringify({ triggers: [nuAt(-20, near.zenith, near.azimuth), nuAt(300, 150, 10)], complete: false }),
      'lvc_gracedb_event_data.json': JSON.stringify({ instruments: 'H1,L1,V1', offline: false, extra_attributes: { CoincInspiral: { snr: 32.4 } } }),
      'lvc_skymap_distances.json': JSON.stringify([{ distmean: 40, diststd: 8 }]),
      'p_astro.json': JSON.stringify({ BNS: 0.99, NSBH: 0, BBH: 0, Terrestrial: 0.01 }),
    });
    const map = significance.fisherMixtureSkymap([{ ra: 197.45, dec: -23.38, sigmaDeg: 3, weight: 1 }], { maxOrder: 8, minOrder: 3, distMu: 40, distSigma: 8 });
    await skymap.writeSkymapHdf5(map, join(eventDir, 'lvc_skymap.hdf5'));
    return { env: { ...env, LLAMA_BACKGROUND_NEUTRINOS: writeSample(root) }, runDir, root, eventDir };
  };

  it('computes significance_lvc-i3.json with 3.5.1\'s method and p-values from a matching table', async () => {
    const { env, runDir, root, eventDir } = await setup();
    const table = join(root, 'table.json.gz');
    const bg = await llama(['background', '--population', 'bns', '--instruments', 'H1,L1,V1', '--trials', '30', '--skymaps', '3', '-q', '-o', table], { env });
    expect(bg.code, bg.stderr).toBe(0);
    const r = await llama(['run', `${runDir}/`, '-F', '-o', '-f', 'CoincSignificanceI3Lvc', 'IceCubeNeutrinoListCoincTxt', 'IceCubeNeutrinoListTex'], { env: { ...env, LLAMA_BACKGROUND_TABLE: table } });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(join(eventDir, 'significance_lvc-i3.json'), 'utf8'));
    expect(doc.inputs.method).toBe('llama-3.5.1-opa');
    expect(doc.inputs.background_neutrinos).toMatchObject({ name: 'bg-neutrinos.txt', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(doc.inputs.search_parameters).toMatchObject({ nu_51_100: 1.1, fb: 10, sensitivity: 'o3', population: 'bns', instruments: ['H1', 'L1', 'V1'] });
    expect(doc.complete).toBe(false);
    const [nearNu, farNu] = doc.outputs.neutrino_gw_triggers;
    expect(Object.keys(nearNu).sort()).toEqual(['dec', 'dt', 'dump', 'energy', 'odds_ratio', 'p_h_0', 'p_h_c', 'p_h_s1', 'p_h_s2', 'p_value', 'ra', 'sigma']);
    expect(nearNu.odds_ratio).toBeGreaterThan(farNu.odds_ratio);
    expect(nearNu.p_h_0).toBe(0);
    expect(doc.outputs.neutrino_gw_combined.odds_ratio).toBeCloseTo(nearNu.odds_ratio + farNu.odds_ratio, 12);
    expect(nearNu.p_value).toBeLessThanOrEqual(farNu.p_value);
    expect(typeof doc.outputs.neutrino_gw_combined.p_value).toBe('number');
    const coinc = readFileSync(join(eventDir, 'icecube_neutrino_list_coinc.txt'), 'utf8');
    expect(coinc).toMatch(/PARTIAL RESULT/);
    expect(coinc).toContain('P Value');
    expect(readFileSync(join(eventDir, 'IceCubeNeutrinoList.tex'), 'utf8')).toContain('\\begin{tabular}');
  }, 180_000);

  it('fails with one clear line when the background neutrino sample is missing, and refuses a table from another sample', async () => {
    const { env, runDir, root, eventDir } = await setup();
    const missing = await llama(['run', `${runDir}/`, '-F', '-o', '-f', 'CoincSignificanceI3Lvc'], { env: { ...env, LLAMA_BACKGROUND_NEUTRINOS: join(root, 'nope.txt') } });
    expect(`${missing.stdout}${missing.stderr}`).toMatch(/nope\.txt: missing background neutrino sample/);
    expect(existsSync(join(eventDir, 'significance_lvc-i3.json'))).toBe(false);
    writeFiles(root, { 'other.txt': `${readFileSync(env.LLAMA_BACKGROUND_NEUTRINOS, 'utf8')}58000 3 1 1 1 1 91\n` });
    const table = join(root, 'other.json.gz');
    const bg = await llama(['background', '--population', 'bns', '--instruments', 'H1,L1,V1', '--trials', '2', '--skymaps', '1', '-q', '-o', table], { env: { ...env, LLAMA_BACKGROUND_NEUTRINOS: join(root, 'other.txt') } });
    expect(bg.code, bg.stderr).toBe(0);
    const refused = await llama(['run', `${runDir}/`, '-F', '-o', '-f', 'CoincSignificanceI3Lvc'], { env: { ...env, LLAMA_BACKGROUND_TABLE: table } });
    expect(`${refused.stdout}${refused.stderr}`).toMatch(/other\.json\.gz: refused: the background table was made from neutrino sample other\.txt/);
    expect(existsSync(join(eventDir, 'significance_lvc-i3.json'))).toBe(false);
  }, 180_000);

  it('computes the subthreshold odds (3.5.1 subthreshold.py) and names the SNR list; a missing SNR list is one line', async () => {
    const { env, runDir, root, eventDir } = await setup();
    writeFiles(eventDir, { 'lvalert.json': JSON.stringify({ alert_type: 'new', superevent_id: 'S170817a' }) });
    const missing = await llama(['run', `${runDir}/`, '-F', '-o', '-f', 'CoincSignificanceSubthresholdI3Lvc'], { env: { ...env, LLAMA_GW_BACKGROUND_SNR: join(root, 'no-snr.txt') } });
    expect(`${missing.stdout}${missing.stderr}`).toMatch(/no-snr\.txt: missing GW background SNR list \(from LLAMA_GW_BACKGROUND_SNR\)/);
    writeFiles(root, { 'snr.txt': `# synthetic\n${Array.from({ length: 200 }, (_, i) => (5 + (i % 50) * 0.3).toFixed(2)).join('\n')}\n` });
    const r = await llama(['run', `${runDir}/`, '-F', '-o', '-f', 'CoincSignificanceSubthresholdI3Lvc'], { env: { ...env, LLAMA_GW_BACKGROUND_SNR: join(root, 'snr.txt') } });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(join(eventDir, 'significance_subthresh_lvc-i3.json'), 'utf8'));
    expect(doc.inputs.method).toBe('llama-3.5.1-subthreshold');
    expect(doc.inputs.gw_background_snr).toMatchObject({ name: 'snr.txt', values: 200 });
    expect(doc.outputs.neutrino_gw_triggers).toBeUndefined();
    const c = doc.outputs.neutrino_gw_combined;
    expect(c.p_h_s2).toBe(0);
    expect(c.odds_ratio).toBeGreaterThan(0);
    expect(c.odds_ratio).toBeCloseTo(c.p_h_s1 / (c.p_h_c + c.p_h_0), 12);
    expect(c.p_value).toBeNull();
    // Another sample is configured and no table: the shipped table (made from the shipped sample) is not used.
    expect(c.p_value_note).toMatch(/shipped background table .*background-pvalues\.json\.gz was made from neutrino sample background-neutrinos\.txt .*not bg-neutrinos\.txt .*: not used/);
    // Named by its place in the package, so the output is the same wherever llama is installed.
    expect(c.p_value_note).toContain('the shipped background table data/background-pvalues.json.gz was made');

    // With a table holding subthreshold/bns/o3/H1L1V1 (made by `llama background --search subthreshold`) the p-value is a number.
    const snrEnv = { ...env, LLAMA_GW_BACKGROUND_SNR: join(root, 'snr.txt') };
    const table = join(root, 'sub.json.gz');
    const bg = await llama(['background', '--search', 'subthreshold', '--population', 'bns', '--instruments', 'H1,L1,V1', '--trials', '30', '--skymaps', '3', '-q', '-o', table], { env: snrEnv });
    expect(bg.code, bg.stderr).toBe(0);
    expect(bg.stdout).toMatch(/subthreshold\/bns\/o3\/H1L1V1: 30 trials/);
    const entry = JSON.parse(gunzipSync(readFileSync(table)).toString()).entries['subthreshold/bns/o3/H1L1V1'];
    expect(entry).toMatchObject({ search_type: 'subthreshold', method: 'llama-3.5.1-subthreshold', trials: 30, seeds: [1_000_001], gw_snr: { name: 'snr.txt', sha256: doc.inputs.gw_background_snr.sha256 } });
    // A changed environment variable is not an input the freshness check sees: remove the file to recompute it.
    rmSync(join(eventDir, 'significance_subthresh_lvc-i3.json'));
    const withTable = await llama(['run', `${runDir}/`, '-F', '-o', '-f', 'CoincSignificanceSubthresholdI3Lvc'], { env: { ...snrEnv, LLAMA_BACKGROUND_TABLE: table } });
    expect(withTable.code, withTable.stderr).toBe(0);
    const ranked = JSON.parse(readFileSync(join(eventDir, 'significance_subthresh_lvc-i3.json'), 'utf8'));
    const rc = ranked.outputs.neutrino_gw_combined;
    expect(rc.p_value_note).toBeUndefined();
    expect(ranked.inputs.background_table).toMatchObject({ key: 'subthreshold/bns/o3/H1L1V1', trials: 30 });
    // Independent ranking: the fraction of background trials at or above the raw odds (exact: k/30).
    const atOrAbove = entry.odds.filter((o: number) => o >= rc.dump.raw_odds_ratio).length;
    expect(rc.p_value).toBeCloseTo(atOrAbove / 30, 12);
    expect(rc.p_value_resolution).toBeCloseTo(1 / 30, 15);
    expect(rc.p_value_note).toBeUndefined();
    // The same table with another GW SNR list configured: refused in one line, not used.
    writeFiles(root, { 'snr2.txt': `${readFileSync(join(root, 'snr.txt'), 'utf8')}9.99\n` });
    rmSync(join(eventDir, 'significance_subthresh_lvc-i3.json'));
    const refused = await llama(['run', `${runDir}/`, '-F', '-o', '-f', 'CoincSignificanceSubthresholdI3Lvc'], { env: { ...env, LLAMA_GW_BACKGROUND_SNR: join(root, 'snr2.txt'), LLAMA_BACKGROUND_TABLE: table } });
    expect(`${refused.stdout}${refused.stderr}`).toMatch(/sub\.json\.gz: refused: the background for subthreshold\/bns\/o3\/H1L1V1 was made from GW background SNR list snr\.txt .*not snr2\.txt/);
    expect(existsSync(join(eventDir, 'significance_subthresh_lvc-i3.json'))).toBe(false);
  }, 240_000);
});
