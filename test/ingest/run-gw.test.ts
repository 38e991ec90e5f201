import { existsSync } from 'node:fs';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { supereventFixture, writeGraceDbMirror } from '../fakes/gracedb.js';
import { llama, lvkAlert, readJson, REPO, SKYMAP_FIXTURES, tempDir } from './helpers.js';

/** The GW side of `llama run` against a file:// GraceDB: the rules of this area, through the real engine. */
const GW_RULES = ['+f', 'LvcDistancesJson', 'LVCGraceDbEventData', 'PAstro'];

let tmp: { path: string; remove: () => Promise<void> };
beforeEach(async () => {
  tmp = await tempDir('llama-run-gw-');
});
afterEach(async () => tmp.remove());

describe('llama run, GW side', () => {
  it('runs the bundled example with no network', async () => {
    const run = join(tmp.path, 'run');
    // Only the example's inputs: someone may have run the example in place already.
    for (const id of ['MS260101a', 'MS260102b', 'MS260103c']) {
      for (const file of ['skymap_info.json', 'FLAGS.json']) await cp(join(REPO, 'examples/run', id, file), join(run, id, file));
    }
    const mirror = pathToFileURL(join(REPO, 'examples/gracedb')).href + '/';
    const result = await llama(['run', `${run}/`, '-F', '-o', '-D', ...GW_RULES], { LLAMA_GRACEDB_URL: mirror, HOME: tmp.path });
    expect(result.code, result.stderr).toBe(0);
    for (const [id, source] of [['MS260101a', 'MS260101a.fits'], ['MS260102b', 'MS260102b.fits.gz'], ['MS260103c', 'MS260103c.multiorder.fits']] as const) {
      const dir = join(run, id);
      const original = await readFile(join(SKYMAP_FIXTURES, source));
      const stored = await readFile(join(dir, 'lvc_skymap.fits.gz'));
      expect(gunzipSync(stored).equals(source.endsWith('.gz') ? gunzipSync(original) : original), id).toBe(true);
      expect(await readJson(join(dir, 'lvc_gracedb_event_data.json'))).toMatchObject({ superevent: id, offline: false });
      expect(Object.keys(await readJson(join(dir, 'p_astro.json')))).toEqual(['BBH', 'BNS', 'NSBH', 'Terrestrial']);
      expect(existsSync(join(dir, 'lvc_skymap_distances.json'))).toBe(true);
    }
  });

  it('cools down a corrupt FITS download without disturbing the rest of the event or other events', async () => {
    const skymap = new Uint8Array(await readFile(join(SKYMAP_FIXTURES, 'MS260103c.multiorder.fits')));
    const mirror = join(tmp.path, 'gracedb');
    const good = supereventFixture({ supereventId: 'MS260103c', preferredEvent: 'M400103', gpstime: 1451513418.5, far: 1.2e-9, pipeline: 'gstlal', skymaps: { 'bayestar.multiorder.fits,0': skymap }, pAstro: { BNS: 0.9, NSBH: 0.05, BBH: 0, Terrestrial: 0.05 } });
    // A truncated download: the first 10 blocks of a real skymap.
    const bad = supereventFixture({ supereventId: 'MS260104d', preferredEvent: 'M400104', gpstime: 1451599818.25, far: 3e-8, pipeline: 'pycbc', skymaps: { 'bayestar.multiorder.fits,0': skymap.subarray(0, 28800) }, pAstro: { BNS: 0.1, NSBH: 0.1, BBH: 0.7, Terrestrial: 0.1 } });
    await writeGraceDbMirror(mirror, good);
    await writeGraceDbMirror(mirror, bad);
    const run = join(tmp.path, 'run');
    for (const [id, time] of [['MS260103c', '2026-01-03T22:10:00.500Z'], ['MS260104d', '2026-01-04T22:10:00.250Z']] as const) {
      expect((await llama(['event', 'init', id, '--run', run, '--flags', 'RERUN'])).code).toBe(0);
      await writeFile(join(run, id, 'skymap_info.json'), JSON.stringify({
        alert_type: 'manual', event_time_iso: time, far: 1e-9, graceid: id, notice_time_iso: time, pipeline: 'GSTLAL', skymap_filename: 'bayestar.multiorder.fits,0',
      }));
    }
    const result = await llama(['run', `${run}/`, '-F', '-o', '-D', ...GW_RULES], { LLAMA_GRACEDB_URL: pathToFileURL(mirror).href, HOME: tmp.path });
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toMatch(/MS260104d.*lvc_skymap\.fits\.gz: the download of .*bayestar\.multiorder\.fits,0 is not a usable skymap: truncated/);

    const broken = join(run, 'MS260104d');
    expect(existsSync(join(broken, 'lvc_skymap.fits.gz'))).toBe(false);
    expect(existsSync(join(broken, 'lvc_skymap_distances.json'))).toBe(false);
    expect(await readJson(join(broken, '.lvc_skymap.fits.gz.cooldown.json'))).toHaveProperty('num_attempts');
    // The rest of that event is unharmed…
    expect(await readJson(join(broken, 'p_astro.json'))).toMatchObject({ BBH: 0.7 });
    expect(await readJson(join(broken, 'lvc_gracedb_event_data.json'))).toMatchObject({ graceid: 'M400104' });
    // …and so is the other event.
    const fine = join(run, 'MS260103c');
    expect(gunzipSync(await readFile(join(fine, 'lvc_skymap.fits.gz'))).equals(Buffer.from(skymap))).toBe(true);
    expect(existsSync(join(fine, 'lvc_skymap_distances.json'))).toBe(true);
    expect(existsSync(join(fine, '.lvc_skymap.fits.gz.cooldown.json'))).toBe(false);
  });

  it('uses the skymap an alert brought, never asking GraceDB for it', async () => {
    const skymap = await readFile(join(SKYMAP_FIXTURES, 'MS260103c.multiorder.fits'));
    const alert = join(tmp.path, 'alert.json');
    await writeFile(alert, lvkAlert({ supereventId: 'MS260103c', alertType: 'PRELIMINARY', skymap }));
    const run = join(tmp.path, 'run');
    expect((await llama(['ingest', 'alert', '--run', run, alert])).code).toBe(0);
    // GraceDB is a dead port here: LvcSkymapFits must count as made, and its dependents build from it.
    const result = await llama(['run', `${run}/`, '-F', '-o', '-D', '+f', 'LvcDistancesJson'], { HOME: tmp.path });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout + result.stderr).not.toContain('LvcSkymapFits| generating');
    expect(existsSync(join(run, 'MS260103c', 'lvc_skymap_distances.json'))).toBe(true);
  });
});
