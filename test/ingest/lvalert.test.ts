import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mergeFixtures, startFakeGraceDb, supereventFixture, type FakeGraceDb } from '../fakes/gracedb.js';
import { llama, readJson, SKYMAP_FIXTURES, tempDir } from './helpers.js';

/** LVK-internal igwn-alert messages (GraceDB's uid/alert_type/data/object), as 3.5.1's LVAlert listener took them. */
const SKYMAP = new Uint8Array(await readFile(join(SKYMAP_FIXTURES, 'MS260103c.multiorder.fits')));
const DATA = mergeFixtures(
  supereventFixture({ supereventId: 'MS260103c', preferredEvent: 'M400103', gpstime: 1451513418.5, far: 1.2e-9, pipeline: 'gstlal', skymaps: { 'bayestar.multiorder.fits,0': SKYMAP } }),
  supereventFixture({ supereventId: 'S260105x', preferredEvent: 'G400105', gpstime: 1451635228.125, far: 3.4e-10, pipeline: 'pycbc', skymaps: { 'bayestar.multiorder.fits,0': SKYMAP } }),
);

function message(uid: string, alertType: string, labels: string[], data: Record<string, unknown> = {}, category = 'Production'): string {
  const object = DATA.superevents?.[uid]?.json ?? { superevent_id: uid };
  return JSON.stringify({ uid, alert_type: alertType, data, object: { ...object, category, labels } }, null, 1);
}

let gdb: FakeGraceDb;
beforeAll(async () => {
  gdb = await startFakeGraceDb(DATA);
});
afterAll(async () => gdb.close());

let tmp: { path: string; remove: () => Promise<void> };
let run: string;
beforeEach(async () => {
  tmp = await tempDir('llama-ingest-lvalert-');
  run = join(tmp.path, 'run');
});
afterEach(async () => {
  gdb.clearFaults();
  await tmp.remove();
});

async function ingest(text: string): Promise<Awaited<ReturnType<typeof llama>>> {
  const path = join(tmp.path, `m${Math.random().toString(36).slice(2)}.json`);
  await writeFile(path, text);
  return llama(['ingest', 'alert', '--run', run, path], { LLAMA_GRACEDB_URL: gdb.url, LLAMA_GRACEDB_RETRY_DELAY_MS: '5', LLAMA_GRACEDB_RETRIES: '1' });
}

describe('llama ingest alert with igwn-alert GraceDB messages', () => {
  it('an ADVOK label: lvalert.json, lvalert_advok.json, advok.json and SkymapInfo from GraceDB', async () => {
    const text = message('MS260103c', 'label_added', ['SKYMAP_READY'], { name: 'ADVOK', created: '2026-01-03 22:30:00 UTC' }, 'MDC');
    const result = await ingest(text);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const dir = join(run, 'MS260103c');
    expect(await readFile(join(dir, 'lvalert.json'), 'utf8')).toBe(text);
    const advokAlert = await readFile(join(dir, 'lvalert_advok.json'), 'utf8');
    expect(JSON.parse(advokAlert)).toEqual(JSON.parse(text));
    expect(advokAlert).toMatch(/^\{\n {4}"alert_type": "label_added",\n {4}"data"/);
    expect(await readJson(join(dir, 'advok.json'))).toMatchObject({ alert_type: 'lvalert' });
    expect(await readJson(join(dir, 'skymap_info.json'))).toMatchObject({ alert_type: 'lvalert', graceid: 'MS260103c', skymap_filename: 'bayestar.multiorder.fits,0', pipeline: 'GSTLAL' });
    expect(await readJson(join(dir, 'FLAGS.json'))).toMatchObject({ ROLE: 'test', UPLOAD: 'false' });
  });

  it('ADVREQ on a Production superevent: TRIGGERED_INTERNAL, no advok; the first lvalert.json is kept', async () => {
    const first = message('S260105x', 'new', ['ADVREQ', 'SKYMAP_READY']);
    expect((await ingest(first)).code).toBe(0);
    const dir = join(run, 'S260105x');
    expect(await readJson(join(dir, 'FLAGS.json'))).toMatchObject({ ROLE: 'observation', UPLOAD: 'true', ICECUBE_UPLOAD: 'false' });
    expect(existsSync(join(dir, 'advok.json'))).toBe(false);
    expect(await readJson(join(dir, 'skymap_info.json'))).toMatchObject({ pipeline: 'PYCBC' });
    const later = await ingest(message('S260105x', 'label_added', ['ADVREQ', 'SKYMAP_READY'], { name: 'ADVOK' }));
    expect(later.code).toBe(0);
    expect(await readFile(join(dir, 'lvalert.json'), 'utf8')).toBe(first);
    expect(existsSync(join(dir, 'lvalert_advok.json'))).toBe(true);
  });

  it('skips superevents without ADVOK/ADVREQ and messages about events', async () => {
    const unlabelled = await ingest(message('S260105x', 'new', ['SKYMAP_READY']));
    expect(unlabelled.code).toBe(0);
    expect(unlabelled.stdout).toContain('has no ADVOK or ADVREQ label yet');
    const eventNode = await ingest(JSON.stringify({ uid: 'G400105', alert_type: 'new', data: {}, object: { graceid: 'G400105', labels: ['ADVOK'] } }));
    expect(eventNode.stdout).toContain('not a superevent');
    expect(existsSync(run) ? existsSync(join(run, 'S260105x')) : false).toBe(false);
  });

  it('keeps the event and names the retry command when GraceDB is down', async () => {
    gdb.addFault({ match: 'S260105x', status: 503 });
    const result = await ingest(message('S260105x', 'label_added', [], { name: 'ADVOK' }));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/S260105x was created, but skymap_info\.json could not be built from GraceDB .*HTTP 503.*; retry with llama ingest gracedb S260105x/);
    expect(existsSync(join(run, 'S260105x', 'lvalert.json'))).toBe(true);
    expect(existsSync(join(run, 'S260105x', 'skymap_info.json'))).toBe(false);
  });
});
