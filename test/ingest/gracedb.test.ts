import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeGraceDb, supereventFixture, writeGraceDbMirror, mergeFixtures, type FakeGraceDb } from '../fakes/gracedb.js';
import { llama, readJson, SKYMAP_FIXTURES, tempDir } from './helpers.js';

const SKYMAP = new Uint8Array(await readFile(join(SKYMAP_FIXTURES, 'MS260103c.multiorder.fits')));
const DATA = mergeFixtures(
  supereventFixture({
    supereventId: 'MS260103c', preferredEvent: 'M400103', gpstime: 1451513418.5, far: 1.2e-9, pipeline: 'gstlal',
    skymaps: { 'bayestar.multiorder.fits,0': SKYMAP, 'bayestar.multiorder.fits,1': SKYMAP, 'Bilby.multiorder.fits,0': SKYMAP },
    pAstro: { BNS: 0.95, NSBH: 0.01, BBH: 0, Terrestrial: 0.04 },
  }),
  supereventFixture({ supereventId: 'MS260104d', preferredEvent: 'M400104', gpstime: 1451599818, far: 3e-8, pipeline: 'pycbc', skymaps: {} }),
);
// The log order decides "newest": Bilby,0 was uploaded after bayestar,1.
const LOGS = [
  { N: 1, filename: 'bayestar.multiorder.fits', file_version: 0, comment: 'BAYESTAR' },
  { N: 2, filename: 'p_astro.json', file_version: 0, comment: 'p_astro' },
  { N: 3, filename: 'bayestar.multiorder.fits', file_version: 1, comment: 'BAYESTAR (all detectors)' },
  { N: 4, filename: 'Bilby.multiorder.fits', file_version: 0, comment: 'Bilby' },
  { N: 5, filename: 'bayestar.png', file_version: 0, comment: 'plot' },
];
const WITH_LOGS = { ...DATA, superevents: { ...DATA.superevents, MS260103c: { ...DATA.superevents!['MS260103c']!, logs: LOGS } } };

let gdb: FakeGraceDb;
beforeAll(async () => {
  gdb = await startFakeGraceDb(WITH_LOGS);
});
afterAll(async () => gdb.close());

let tmp: { path: string; remove: () => Promise<void> };
let run: string;
beforeEach(async () => {
  tmp = await tempDir('llama-ingest-gdb-');
  run = join(tmp.path, 'run');
});
afterEach(async () => {
  gdb.clearFaults();
  await tmp.remove();
});

const env = () => ({ LLAMA_GRACEDB_URL: gdb.url, LLAMA_GRACEDB_RETRY_DELAY_MS: '5', LLAMA_GRACEDB_RETRIES: '2' });

describe('llama ingest gracedb', () => {
  it('builds SkymapInfo from the preferred event and the newest standard skymap', async () => {
    const result = await llama(['ingest', 'gracedb', 'MS260103c', '--run', run], env());
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const info = await readJson(join(run, 'MS260103c', 'skymap_info.json'));
    expect(info).toMatchObject({
      alert_type: 'manual',
      graceid: 'MS260103c',
      event_time_iso: '2026-01-03T22:10:00.500Z',
      far: 1.2e-9,
      pipeline: 'GSTLAL',
      skymap_filename: 'Bilby.multiorder.fits,0',
    });
    expect(Number.isNaN(Date.parse(info['notice_time_iso'] as string))).toBe(false);
    expect(await readJson(join(run, 'MS260103c', 'FLAGS.json'))).toMatchObject({ ROLE: 'test', UPLOAD: 'false' });
  });

  it('takes --skymap and --flags, and removes a stored skymap that SkymapInfo no longer names', async () => {
    const first = await llama(['ingest', 'gracedb', 'MS260103c', '--run', run, '--skymap', 'bayestar.multiorder.fits', '--flags', 'RERUN'], env());
    expect(first.code).toBe(0);
    const event = join(run, 'MS260103c');
    expect(await readJson(join(event, 'skymap_info.json'))).toMatchObject({ skymap_filename: 'bayestar.multiorder.fits,1' });
    expect(await readJson(join(event, 'FLAGS.json'))).toMatchObject({ ROLE: 'observation', UPLOAD: 'false' });
    // Pretend the pipeline downloaded it, then re-ingest naming another skymap.
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(event, 'lvc_skymap.fits.gz'), 'old');
    const second = await llama(['ingest', 'gracedb', 'MS260103c', '--run', run, '--skymap', 'bayestar.multiorder.fits,0'], env());
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('removed lvc_skymap.fits.gz (was bayestar.multiorder.fits,1)');
    expect(existsSync(join(event, 'lvc_skymap.fits.gz'))).toBe(false);
    // Flags kept when --flags is not given again.
    expect(await readJson(join(event, 'FLAGS.json'))).toMatchObject({ ROLE: 'observation' });
  });

  it('fails clearly when GraceDB has no standard skymap, no such superevent, or stays down', async () => {
    const noSkymap = await llama(['ingest', 'gracedb', 'MS260104d', '--run', run], env());
    expect(noSkymap.code).toBe(1);
    expect(noSkymap.stderr).toMatch(/log of MS260104d .* lists no standard skymap yet/);
    const missing = await llama(['ingest', 'gracedb', 'S260101zz', '--run', run], env());
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/S260101zz: GraceDB has no http:\/\/127\.0\.0\.1:\d+\/api\/superevents\/S260101zz\/ \(HTTP 404/);
    gdb.addFault({ match: 'superevents/MS260103c/', status: 503 });
    const down = await llama(['ingest', 'gracedb', 'MS260103c', '--run', run], env());
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/after 3 attempt\(s\): HTTP 503/);
    expect(existsSync(join(run, 'MS260103c'))).toBe(false);
  });

  it('refuses an id that is not a GraceDB id', async () => {
    const result = await llama(['ingest', 'gracedb', '../../etc', '--run', run], env());
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('contains a path separator');
    const weird = await llama(['ingest', 'gracedb', 'hello', '--run', run], env());
    expect(weird.stderr).toContain('"hello" is not a GraceDB superevent id');
  });

  it('reads a file:// mirror the same way', async () => {
    const mirror = join(tmp.path, 'mirror');
    await writeGraceDbMirror(mirror, WITH_LOGS);
    const result = await llama(['ingest', 'gracedb', 'MS260103c', '--run', run], { LLAMA_GRACEDB_URL: pathToFileURL(mirror).href });
    expect(result.code).toBe(0);
    expect(await readJson(join(run, 'MS260103c', 'skymap_info.json'))).toMatchObject({ skymap_filename: 'Bilby.multiorder.fits,0' });
  });
});
