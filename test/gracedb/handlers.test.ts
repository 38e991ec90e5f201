import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { GenerationError, type GenerateContext } from '@llama/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateLvcGraceDbEventData, generateLvcSkymapFits, generatePAstro } from '../../pipelines/llama/src/gracedb/products.js';
import { mergeFixtures, startFakeGraceDb, supereventFixture, type FakeGraceDb } from '../fakes/gracedb.js';

const SKYMAP = new Uint8Array(await readFile(new URL('../../pipelines/llama/test-fixtures/MS260103c.multiorder.fits', import.meta.url)));
const SKYMAP_GZ = new Uint8Array(gzipSync(SKYMAP));

const DATA = mergeFixtures(
  supereventFixture({
    supereventId: 'MS260103c', preferredEvent: 'M400103', gpstime: 1451390418.25, far: 1.2e-9, pipeline: 'gstlal',
    skymaps: {
      'bayestar.multiorder.fits,0': SKYMAP,
      'bayestar.multiorder.fits,1': SKYMAP,
      'bayestar.fits.gz,2': SKYMAP_GZ,
      'bayestar.multiorder.fits,3': SKYMAP.subarray(0, SKYMAP.length - 2880),
    },
    pAstro: { BNS: 0.95, NSBH: 0.01, BBH: 0.0, Terrestrial: 0.04 },
  }),
  supereventFixture({ supereventId: 'MS260104d', preferredEvent: 'M400104', gpstime: 1451476818, far: 3e-8, pipeline: 'pycbc', skymaps: {} }),
);
// An event whose JSON lacks "offline", and a superevent whose p_astro.json is corrupt.
const BROKEN = {
  events: { M400105: { json: { graceid: 'M400105', instruments: 'H1,L1', gpstime: 1 } } },
  superevents: { MS260105e: { json: { superevent_id: 'MS260105e', preferred_event: 'M400105' }, files: { 'p_astro.json,0': '{"BNS": 0.7, ' } } },
};

let gdb: FakeGraceDb;
let dir: string;
beforeAll(async () => {
  gdb = await startFakeGraceDb(mergeFixtures(DATA, BROKEN));
  dir = await mkdtemp(join(tmpdir(), 'llama-gdb-handlers-'));
});
afterAll(async () => {
  await gdb.close();
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => gdb.clearFaults());

let counter = 0;
async function context(graceid: string, skymap: string, env: Record<string, string> = {}): Promise<GenerateContext & { warnings: string[] }> {
  const eventDir = join(dir, `case${++counter}`);
  await import('node:fs/promises').then((fs) => fs.mkdir(eventDir, { recursive: true }));
  const infoPath = join(eventDir, 'skymap_info.json');
  await writeFile(infoPath, JSON.stringify({
    event_time_iso: '2026-01-03T12:00:00.250Z', graceid, far: 1.2e-9, notice_time_iso: '2026-01-03T12:01:00Z',
    pipeline: 'GSTLAL', skymap_filename: skymap, alert_type: 'gcn-preliminary',
  }));
  const warnings: string[] = [];
  return {
    rule: 'test', event: { eventId: `case${counter}`, runDir: dir, eventDir }, flags: {},
    inputs: { SkymapInfo: infoPath }, outputPath: join(eventDir, 'out'), workDir: eventDir,
    signal: new AbortController().signal,
    log: { debug: () => {}, info: () => {}, warn: (m: string) => warnings.push(m), error: () => {} },
    env: { LLAMA_GRACEDB_URL: gdb.url, LLAMA_GRACEDB_RETRY_DELAY_MS: '5', LLAMA_GRACEDB_TIMEOUT_MS: '2000', ...env },
    now: () => new Date('2026-01-03T12:05:00Z'), setProvisional: () => {}, warnings,
  };
}

describe('LvcSkymapFits', () => {
  it('downloads the named version and stores it gzipped', async () => {
    const ctx = await context('MS260103c', 'bayestar.multiorder.fits,1');
    await generateLvcSkymapFits(ctx);
    const stored = await readFile(ctx.outputPath);
    expect(stored.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(gunzipSync(stored).equals(Buffer.from(SKYMAP))).toBe(true);
    expect(gdb.requests).toContain('superevents/MS260103c/files/bayestar.multiorder.fits,1');
  });

  it('keeps an already gzipped skymap as it is', async () => {
    const ctx = await context('MS260103c', 'bayestar.fits.gz,2');
    await generateLvcSkymapFits(ctx);
    expect((await readFile(ctx.outputPath)).equals(Buffer.from(SKYMAP_GZ))).toBe(true);
  });

  it('fails (to cool down) while the GraceDB log does not list the version', async () => {
    const ctx = await context('MS260103c', 'bayestar.multiorder.fits,4');
    await expect(generateLvcSkymapFits(ctx)).rejects.toThrow(GenerationError);
    await expect(generateLvcSkymapFits(ctx)).rejects.toThrow(/log of MS260103c .* does not list bayestar\.multiorder\.fits,4 yet/);
  });

  it('rejects a corrupt download (an HTML error page served as 200)', async () => {
    gdb.addFault({ match: 'files/bayestar.multiorder.fits,1', body: '<html><body>Service Unavailable</body></html>' });
    const ctx = await context('MS260103c', 'bayestar.multiorder.fits,1');
    await expect(generateLvcSkymapFits(ctx)).rejects.toThrow(/lvc_skymap\.fits\.gz: the download of .*bayestar\.multiorder\.fits,1 is not a usable skymap: not a FITS file/);
  });

  it('rejects a truncated FITS file and a corrupt gzip stream', async () => {
    const truncated = await context('MS260103c', 'bayestar.multiorder.fits,3');
    await expect(generateLvcSkymapFits(truncated)).rejects.toThrow(/truncated/);
    gdb.addFault({ match: 'files/bayestar.fits.gz,2', body: SKYMAP_GZ.subarray(0, 1000) });
    const corruptGzip = await context('MS260103c', 'bayestar.fits.gz,2');
    await expect(generateLvcSkymapFits(corruptGzip)).rejects.toThrow(/corrupt gzip stream/);
  });

  it('retries a 503 from GraceDB and then succeeds', async () => {
    gdb.addFault({ match: 'files/bayestar.multiorder.fits,0', status: 503, times: 1 });
    const ctx = await context('MS260103c', 'bayestar.multiorder.fits,0');
    await generateLvcSkymapFits(ctx);
    expect(ctx.warnings.join('\n')).toMatch(/HTTP 503.*retry 1\/3/);
  });

  it('fails, naming the URL, when GraceDB stays down', async () => {
    gdb.addFault({ match: 'superevents/MS260103c/logs/', status: 500 });
    const ctx = await context('MS260103c', 'bayestar.multiorder.fits,1', { LLAMA_GRACEDB_RETRIES: '1' });
    await expect(generateLvcSkymapFits(ctx)).rejects.toThrow(/cannot read the GraceDB log of MS260103c: .*superevents\/MS260103c\/logs\/ after 2 attempt\(s\): HTTP 500/);
  });

  it('refuses a skymap name that is not a standard LVK skymap', async () => {
    const ctx = await context('MS260103c', 'p_astro.json,0');
    await expect(generateLvcSkymapFits(ctx)).rejects.toThrow(/not a standard LVK skymap FITS file/);
  });
});

describe('LVCGraceDbEventData', () => {
  it('stores the preferred event of a superevent, keys sorted', async () => {
    const ctx = await context('MS260103c', 'bayestar.multiorder.fits,1');
    await generateLvcGraceDbEventData(ctx);
    const text = await readFile(ctx.outputPath, 'utf8');
    const event = JSON.parse(text) as Record<string, unknown>;
    expect(event).toMatchObject({ graceid: 'M400103', offline: false, instruments: 'H1,L1,V1', far: 1.2e-9 });
    expect(Object.keys(event)).toEqual([...Object.keys(event)].sort());
    expect(text).toContain('\n    "extra_attributes"');
  });

  it('reads an event id directly', async () => {
    const ctx = await context('M400104', 'bayestar.multiorder.fits,0');
    await generateLvcGraceDbEventData(ctx);
    expect(JSON.parse(await readFile(ctx.outputPath, 'utf8'))).toHaveProperty('pipeline', 'pycbc');
  });

  it('fails when the event lacks "offline"', async () => {
    const ctx = await context('MS260105e', 'bayestar.multiorder.fits,0');
    await expect(generateLvcGraceDbEventData(ctx)).rejects.toThrow(/event JSON of M400105 lacks "offline"/);
  });

  it('fails with a 404 for an unknown superevent', async () => {
    const ctx = await context('S260101zz', 'bayestar.multiorder.fits,0');
    await expect(generateLvcGraceDbEventData(ctx)).rejects.toThrow(/lvc_gracedb_event_data\.json: cannot fetch the preferred event of S260101zz: GraceDB has no .*superevents\/S260101zz\/ \(HTTP 404/);
  });
});

describe('PAstro', () => {
  it('stores p_astro.json', async () => {
    const ctx = await context('MS260103c', 'bayestar.multiorder.fits,1');
    await generatePAstro(ctx);
    expect(JSON.parse(await readFile(ctx.outputPath, 'utf8'))).toEqual({ BBH: 0, BNS: 0.95, NSBH: 0.01, Terrestrial: 0.04 });
  });

  it('fails on a corrupt p_astro.json, naming the URL', async () => {
    const ctx = await context('MS260105e', 'bayestar.multiorder.fits,0');
    await expect(generatePAstro(ctx)).rejects.toThrow(/p_astro\.json: .*superevents\/MS260105e\/files\/p_astro\.json is not valid JSON/);
  });

  it('fails when GraceDB has no p_astro.json', async () => {
    const ctx = await context('MS260104d', 'bayestar.multiorder.fits,0');
    await expect(generatePAstro(ctx)).rejects.toThrow(/cannot download p_astro\.json of MS260104d: .*HTTP 404/);
  });
});
