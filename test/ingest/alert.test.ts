import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixture, llama, lvkAlert, readJson, SKYMAP_FIXTURES, tempDir } from './helpers.js';

const SKYMAP = await readFile(join(SKYMAP_FIXTURES, 'MS260103c.multiorder.fits'));

let tmp: { path: string; remove: () => Promise<void> };
let run: string;
beforeEach(async () => {
  tmp = await tempDir('llama-ingest-alert-');
  run = join(tmp.path, 'run');
});
afterEach(async () => tmp.remove());

async function alertFile(name: string, text: string): Promise<string> {
  const path = join(tmp.path, name);
  await writeFile(path, text);
  return path;
}

const ingest = (...files: string[]) => llama(['ingest', 'alert', '--run', run, ...files]);

describe('llama ingest alert', () => {
  it('writes lvalert.json verbatim, the embedded skymap gzipped, and skymap_info.json', async () => {
    const text = lvkAlert({ supereventId: 'MS260103c', alertType: 'PRELIMINARY', skymap: SKYMAP });
    const result = await ingest(await alertFile('prelim.json', text));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const event = join(run, 'MS260103c');
    expect(await readFile(join(event, 'lvalert.json'), 'utf8')).toBe(text);
    const stored = await readFile(join(event, 'lvc_skymap.fits.gz'));
    expect(gunzipSync(stored).equals(SKYMAP)).toBe(true);
    expect(existsSync(join(event, '.lvc_skymap.fits.gz.metadata.json'))).toBe(true);
    expect(await readJson(join(event, 'skymap_info.json'))).toEqual({
      alert_type: 'igwn-alert',
      event_time_iso: '2026-01-03T22:10:00.500Z',
      far: 1.2e-9,
      graceid: 'MS260103c',
      notice_time_iso: '2026-01-03T22:10:30Z',
      pipeline: 'GSTLAL',
      // the fixture's CREATOR card is BAYESTAR
      skymap_filename: 'bayestar.multiorder.fits,0',
    });
    // A mock (MS…) superevent is a test.
    expect(await readJson(join(event, 'FLAGS.json'))).toMatchObject({ ROLE: 'test', UPLOAD: 'false' });
  });

  it('counts the skymap version up only when a later alert brings different bytes', async () => {
    await ingest(await alertFile('a.json', lvkAlert({ supereventId: 'S260103c', alertType: 'PRELIMINARY', skymap: SKYMAP })));
    const info = join(run, 'S260103c', 'skymap_info.json');
    expect(await readJson(join(run, 'S260103c', 'FLAGS.json'))).toMatchObject({ ROLE: 'observation', UPLOAD: 'true' });
    await ingest(await alertFile('b.json', lvkAlert({ supereventId: 'S260103c', alertType: 'INITIAL', skymap: SKYMAP })));
    expect(await readJson(info)).toMatchObject({ skymap_filename: 'bayestar.multiorder.fits,0' });
    const changed = Buffer.from(SKYMAP);
    changed[changed.length - 1] = 7; // padding byte of the last block: still a valid FITS file
    const update = await ingest(await alertFile('c.json', lvkAlert({ supereventId: 'S260103c', alertType: 'UPDATE', skymap: changed, far: 2e-10 })));
    expect(update.code).toBe(0);
    expect(await readJson(info)).toMatchObject({ skymap_filename: 'bayestar.multiorder.fits,1', far: 2e-10 });
    expect(gunzipSync(await readFile(join(run, 'S260103c', 'lvc_skymap.fits.gz'))).equals(changed)).toBe(true);
  });

  it('vetoes every event of the superevent on a RETRACTION alert', async () => {
    await ingest(await alertFile('a.json', lvkAlert({ supereventId: 'S260105x', alertType: 'PRELIMINARY', skymap: SKYMAP })));
    expect((await llama(['ingest', 'gcn', '--run', run, fixture('S260105x-1-Preliminary.xml')])).code).toBe(0);
    const result = await ingest(fixture('S260105x-retraction.json'));
    expect(result.code).toBe(0);
    for (const id of ['S260105x', 'S260105x-1-Preliminary']) {
      expect(await readJson(join(run, id, 'FLAGS.json'))).toMatchObject({ VETOED: 'true' });
    }
    expect(await readJson(join(run, 'S260105x', 'lvalert.json'))).toMatchObject({ alert_type: 'RETRACTION' });
    // A later alert of the retracted superevent keeps the veto.
    await ingest(await alertFile('late.json', lvkAlert({ supereventId: 'S260105x', alertType: 'UPDATE', skymap: SKYMAP })));
    expect(await readJson(join(run, 'S260105x', 'FLAGS.json'))).toMatchObject({ VETOED: 'true' });
  });

  it('records a retraction for a superevent it has never seen', async () => {
    expect((await ingest(fixture('S260105x-retraction.json'))).code).toBe(0);
    expect(await readJson(join(run, 'S260105x', 'FLAGS.json'))).toMatchObject({ VETOED: 'true' });
  });

  it('skips alerts of other missions, and refuses hostile superevent ids', async () => {
    const skipped = await ingest(fixture('icecube-lvk-nu-track.json'));
    expect(skipped.code).toBe(0);
    expect(skipped.stdout).toMatch(/skipped .*icecube-lvk-nu-track\.json: not an LVK gravitational-wave alert/);
    const hostile = await ingest(fixture('hostile-alert.json'));
    expect(hostile.code).toBe(1);
    expect(hostile.stderr).toMatch(/hostile-alert\.json: superevent_id: the event id .* contains a path separator/);
    expect(existsSync(run) ? await readdir(run) : []).toEqual([]);
  });

  it('rejects a corrupt embedded skymap before writing anything', async () => {
    const html = new TextEncoder().encode('<html>502 Bad Gateway</html>');
    const result = await ingest(await alertFile('bad.json', lvkAlert({ supereventId: 'MS260103c', alertType: 'PRELIMINARY', skymap: html })));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/bad\.json: the alert's skymap is not a usable FITS file: not a FITS file/);
    expect(existsSync(join(run, 'MS260103c'))).toBe(false);
  });

  it('names the problem in malformed alerts', async () => {
    const broken = await ingest(await alertFile('broken.json', '{"superevent_id": "S260105x", '));
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/broken\.json: not valid JSON/);
    const noEvent = await ingest(await alertFile('noevent.json', JSON.stringify({ superevent_id: 'S260105x', alert_type: 'PRELIMINARY', event: null })));
    expect(noEvent.stderr).toMatch(/noevent\.json: a PRELIMINARY alert must carry an "event"/);
    const badFar = await ingest(await alertFile('badfar.json', lvkAlert({ supereventId: 'S260105x', alertType: 'PRELIMINARY', far: -1 })));
    expect(badFar.stderr).toMatch(/badfar\.json: "event\.far" must be a non-negative number/);
  });

  it('keeps SkymapInfo when an alert carries no skymap', async () => {
    const result = await ingest(await alertFile('nomap.json', lvkAlert({ supereventId: 'MS260103c', alertType: 'PRELIMINARY', skymap: null })));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('carries no skymap');
    expect(existsSync(join(run, 'MS260103c', 'lvalert.json'))).toBe(true);
    expect(existsSync(join(run, 'MS260103c', 'skymap_info.json'))).toBe(false);
  });
});
