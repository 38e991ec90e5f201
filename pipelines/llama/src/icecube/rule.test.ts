import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { GenerateContext } from '@llama/core';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeI3Live, type FakeI3Live } from '../../../../test/fakes/i3live.js';
import { gpsToIso, gpsToMjd, gpsToUnix } from '../time/gps.js';
import { i3liveTime } from './i3live.js';
import { generateIceCubeNeutrinoList } from './rule.js';

const GW = 1250000000;

async function setup(env: Record<string, string>, nowGps: number, flags: Record<string, string> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'llama-i3-'));
  const info = join(dir, 'skymap_info.json');
  await writeFile(info, JSON.stringify({
    event_time_iso: gpsToIso(GW).replace('Z', ''), graceid: 'S190930s', far: 1e-9, notice_time_iso: gpsToIso(GW + 60),
    pipeline: 'GSTLAL', skymap_filename: 'bayestar.fits.gz,0', alert_type: 'manual',
  }));
  const out = join(dir, 'icecube_neutrino_list.json');
  const provisional: [string, number][] = [];
  const ctx: GenerateContext = {
    rule: 'IceCubeNeutrinoList', event: { eventId: 'S190930s', runDir: dir, eventDir: dir }, flags, inputs: { SkymapInfo: info },
    outputPath: out, workDir: dir, signal: new AbortController().signal,
    log: { debug() {}, info() {}, warn() {}, error() {} }, env, now: () => new Date(gpsToUnix(nowGps) * 1000),
    setProvisional: (reason, after) => provisional.push([reason, after]),
  };
  return { ctx, out, dir, provisional };
}

const line = (dt: number, extra = {}): string => JSON.stringify({ mjd: gpsToMjd(GW + dt), ra: 100, dec: 20, sigma: 0.7, energy: 3e4, ...extra });

let fake: FakeI3Live | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('IceCubeNeutrinoList rule', () => {
  it('writes a complete list from a file:// archive', async () => {
    const s = await setup({}, GW + 3000);
    const archive = join(s.dir, 'archive.jsonl');
    await writeFile(archive, [line(-700), line(-20), line(300, { run: 1, event: 2 }), line(800)].join('\n'));
    s.ctx = { ...s.ctx, env: { LLAMA_ICECUBE_SOURCE: pathToFileURL(archive).href } };
    await generateIceCubeNeutrinoList(s.ctx);
    const list = JSON.parse(await readFile(s.out, 'utf8'));
    expect(list.complete).toBe(true);
    expect(list.triggers).toHaveLength(2);
    expect(list.triggers[1]).toMatchObject({ run: '1', event: '2', type: 'archival' });
    expect(list.source).toBe(pathToFileURL(archive).href);
    expect(s.provisional).toEqual([]);
  });
  it('marks an incomplete list provisional, and blinds when the flag says so', async () => {
    const s = await setup({}, GW + 450, { BLINDED_NEUTRINOS: 'true' });
    const archive = join(s.dir, 'archive.jsonl');
    await writeFile(archive, [line(-20), line(100)].join('\n'));
    s.ctx = { ...s.ctx, env: { LLAMA_NEUTRINO_ARCHIVE_URL: pathToFileURL(archive).href } };
    await generateIceCubeNeutrinoList(s.ctx);
    const list = JSON.parse(await readFile(s.out, 'utf8'));
    expect(list.complete).toBe(false);
    expect(list.triggers.every((n: { type: string }) => n.type === 'blinded')).toBe(true);
    expect(s.provisional).toHaveLength(1);
    expect(s.provisional[0]![0]).toMatch(/neutrino list incomplete/);
  });
  it('names the archive line of a malformed record', async () => {
    const s = await setup({}, GW + 3000);
    const archive = join(s.dir, 'archive.jsonl');
    await writeFile(archive, `${line(0)}\n{"mjd": "soon"}\n`);
    s.ctx = { ...s.ctx, env: { LLAMA_ICECUBE_SOURCE: pathToFileURL(archive).href } };
    await expect(generateIceCubeNeutrinoList(s.ctx)).rejects.toThrow(/archive\.jsonl: line 2: "mjd" must be a finite number/);
  });
  it('queries the (fake) I3Live service', async () => {
    const at = (dt: number): string => i3liveTime(gpsToMjd(GW + dt));
    fake = await startFakeI3Live({ events: [{ eventtime: at(-37), ra: 216.29, dec: -15.35, sigma: 0.1, energy: 2e4 }, { eventtime: at(650), ra: 1, dec: 1, sigma: 1, energy: 1e3 }] });
    const s = await setup({ LLAMA_I3LIVE_URL: fake.url, ICECUBE_USERNAME: 'icecube', ICECUBE_PASSWORD: 'secret' }, GW + 2000);
    await generateIceCubeNeutrinoList(s.ctx);
    const list = JSON.parse(await readFile(s.out, 'utf8'));
    expect(list).toMatchObject({ complete: true, source: 'i3live' });
    expect(list.triggers).toHaveLength(1);
    expect(list.triggers[0]).toMatchObject({ ra: 216.29, dec: -15.35, sigma: 0.2, type: 'observation' });
  });
});
