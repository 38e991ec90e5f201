import { existsSync, readFileSync } from 'node:fs';
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

describe('llama background', () => {
  it('writes a reproducible gzipped table', async () => {
    const { root } = tempHome();
    const out = join(root, 'bg.json.gz');
    const args = ['background', '--population', 'bns', '--instruments', 'H1,L1', '--trials', '60', '--skymaps', '2', '--seed', '5', '-q', '-o', out];
    const r = await llama(args);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/bns\/H1L1: 60 trials/);
    const table = JSON.parse(gunzipSync(readFileSync(out)).toString());
    expect(table).toMatchObject({ format: 'llama-background-v1', model: 'llama-default-gfu-v1' });
    expect(table.entries['bns/H1L1'].combined_sum).toHaveLength(60);
    const again = await llama([...args.slice(0, -1), join(root, 'bg2.json.gz')]);
    expect(again.code).toBe(0);
    expect(JSON.parse(gunzipSync(readFileSync(join(root, 'bg2.json.gz'))).toString()).entries).toEqual(table.entries);
  });
  it('rejects bad options with exit code 2', async () => {
    const r = await llama(['background', '--instruments', 'H1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--instruments needs two or more detectors/);
  });
});

describe('significance through the CLI', () => {
  it('computes significance_lvc-i3.json and the p-value tables from the event files', async () => {
    const { significance, skymap, time } = await import('@llama/pipelines');
    const { env, runDir } = tempHome();
    const eventDir = join(runDir, 'S170817a');
    const gps = time.isoToGps('2017-08-17T12:41:04.43');
    const nuAt = (dt: number, ra: number, dec: number) => ({ mjd: time.gpsToMjd(gps + dt), ra, dec, sigma: 0.5, energy: 4e4, zenith: dec + 90, azimuth: 0, type: 'observation' });
    writeFiles(eventDir, {
      'skymap_info.json': SKYMAP_INFO,
      'icecube_neutrino_list.json': JSON.stringify({ triggers: [nuAt(-20, 197.4, -23.4), nuAt(300, 10, 60)], complete: false }),
      'lvc_gracedb_event_data.json': JSON.stringify({ instruments: 'H1,L1,V1', offline: false }),
      'lvc_skymap_distances.json': JSON.stringify([{ distmean: 40, diststd: 8 }]),
      'p_astro.json': JSON.stringify({ BNS: 0.99, NSBH: 0, BBH: 0, Terrestrial: 0.01 }),
    });
    const map = significance.fisherMixtureSkymap([{ ra: 197.45, dec: -23.38, sigmaDeg: 3, weight: 1 }], { maxOrder: 8, minOrder: 3, distMu: 40, distSigma: 8 });
    await skymap.writeSkymapHdf5(map, join(eventDir, 'lvc_skymap.hdf5'));
    const r = await llama(['run', `${runDir}/`, '-F', '-o', '-f', 'CoincSignificanceI3Lvc', 'IceCubeNeutrinoListCoincTxt', 'IceCubeNeutrinoListTex'], { env });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(join(eventDir, 'significance_lvc-i3.json'), 'utf8'));
    expect(doc.model).toBe('llama-default-gfu-v1');
    expect(doc.complete).toBe(false);
    const [near, far] = doc.outputs.neutrino_gw_triggers;
    expect(near.odds_ratio).toBeGreaterThan(far.odds_ratio);
    expect(near.p_value).toBeGreaterThanOrEqual(0);
    expect(near.p_value).toBeLessThan(far.p_value);
    const coinc = readFileSync(join(eventDir, 'icecube_neutrino_list_coinc.txt'), 'utf8');
    expect(coinc).toMatch(/PARTIAL RESULT/);
    expect(coinc).toContain('P Value');
    expect(readFileSync(join(eventDir, 'IceCubeNeutrinoList.tex'), 'utf8')).toContain('\\begin{tabular}');
  });
});
