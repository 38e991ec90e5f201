import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createGraceDbClient,
  graceDbConfigFromEnv,
  GraceDbError,
  GraceDbNotFoundError,
  logListsVersion,
  newestLoggedVersion,
  type GraceDbConfig,
} from '../../pipelines/llama/src/gracedb/index.js';
import { startFakeGraceDb, supereventFixture, writeGraceDbMirror, type FakeGraceDb, type FakeGraceDbData } from '../fakes/gracedb.js';

const SKYMAP = new Uint8Array(await readFile(new URL('../../pipelines/llama/test-fixtures/MS260103c.multiorder.fits', import.meta.url)));
const OLD_SKYMAP = SKYMAP.subarray(0, 5760);

const DATA: FakeGraceDbData = supereventFixture({
  supereventId: 'MS260103c',
  preferredEvent: 'M400103',
  gpstime: 1451390418.25,
  far: 1.2e-9,
  pipeline: 'gstlal',
  skymaps: { 'bayestar.multiorder.fits,0': OLD_SKYMAP, 'bayestar.multiorder.fits,1': SKYMAP },
  pAstro: { BNS: 0.9, NSBH: 0.05, BBH: 0.01, Terrestrial: 0.04 },
});

const fast = (baseUrl: string, extra: Partial<GraceDbConfig> = {}): GraceDbConfig => ({
  ...graceDbConfigFromEnv({ LLAMA_GRACEDB_URL: baseUrl, LLAMA_GRACEDB_RETRY_DELAY_MS: '5', LLAMA_GRACEDB_TIMEOUT_MS: '300' }),
  ...extra,
});

describe('GraceDB client over HTTP', () => {
  let gdb: FakeGraceDb;
  beforeAll(async () => {
    gdb = await startFakeGraceDb(DATA);
  });
  afterAll(async () => gdb.close());

  it('reads superevents, events, file lists, logs and versioned files', async () => {
    const client = createGraceDbClient(fast(gdb.url));
    expect((await client.superevent('MS260103c'))['preferred_event']).toBe('M400103');
    expect((await client.preferredEvent('MS260103c'))['gpstime']).toBe(1451390418.25);
    const files = await client.files('MS260103c');
    expect(Object.keys(files)).toContain('bayestar.multiorder.fits,1');
    expect(files['bayestar.multiorder.fits']).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/superevents\/MS260103c\/files\//);
    const logs = await client.logs('MS260103c');
    expect(newestLoggedVersion(logs, 'bayestar.multiorder.fits')).toBe(1);
    expect(logListsVersion(logs, 'bayestar.multiorder.fits', 0)).toBe(true);
    expect(logListsVersion(logs, 'bayestar.multiorder.fits', 2)).toBe(false);
    expect((await client.file('MS260103c', 'bayestar.multiorder.fits', 0)).length).toBe(OLD_SKYMAP.length);
    expect(Buffer.from(await client.file('MS260103c', 'bayestar.multiorder.fits')).equals(Buffer.from(SKYMAP))).toBe(true);
    expect(gdb.requests).toContain('superevents/MS260103c/files/bayestar.multiorder.fits,0');
  });

  it('retries 5xx answers with back-off, then succeeds', async () => {
    gdb.clearFaults();
    gdb.addFault({ match: 'superevents/MS260103c/logs/', status: 503, times: 2 });
    const retries: string[] = [];
    const client = createGraceDbClient(fast(gdb.url), { onRetry: (m) => retries.push(m) });
    const before = gdb.requests.length;
    expect((await client.logs('MS260103c')).length).toBeGreaterThan(0);
    expect(gdb.requests.length - before).toBe(3);
    expect(retries).toHaveLength(2);
    expect(retries[0]).toContain('HTTP 503');
  });

  it('retries a request that times out', async () => {
    gdb.clearFaults();
    gdb.addFault({ match: 'events/M400103/', delayMs: 1000, times: 1 });
    const retries: string[] = [];
    const client = createGraceDbClient(fast(gdb.url, { timeoutMs: 100 }), { onRetry: (m) => retries.push(m) });
    expect((await client.event('M400103'))['graceid']).toBe('M400103');
    expect(retries[0]).toContain('no answer within 100 ms');
  });

  it('gives up after the configured attempts, naming the URL', async () => {
    gdb.clearFaults();
    gdb.addFault({ match: 'superevents/MS260103c/', status: 502 });
    const client = createGraceDbClient(fast(gdb.url, { retries: 2 }));
    const failure = client.superevent('MS260103c');
    await expect(failure).rejects.toThrow(GraceDbError);
    await expect(failure).rejects.toThrow(/superevents\/MS260103c\/ after 3 attempt\(s\): HTTP 502/);
    gdb.clearFaults();
  });

  it('does not retry a 404, and names the URL', async () => {
    const client = createGraceDbClient(fast(gdb.url));
    const before = gdb.requests.length;
    const failure = client.file('MS260103c', 'bayestar.multiorder.fits', 7);
    await expect(failure).rejects.toThrow(GraceDbNotFoundError);
    await expect(failure).rejects.toThrow(`${gdb.url}superevents/MS260103c/files/bayestar.multiorder.fits,7`);
    expect(gdb.requests.length - before).toBe(1);
  });

  it('stops retrying when the caller aborts', async () => {
    gdb.addFault({ match: 'superevents/MS260103c/', status: 503 });
    const controller = new AbortController();
    const client = createGraceDbClient(fast(gdb.url, { retryDelayMs: 10_000 }), { signal: controller.signal, onRetry: () => controller.abort() });
    const started = Date.now();
    await expect(client.superevent('MS260103c')).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(2000);
    gdb.clearFaults();
  });

  it('retries connection errors, then names the URL and the cause', async () => {
    // A port that was just free: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const retries: string[] = [];
    const client = createGraceDbClient(fast(`http://127.0.0.1:${port}/api/`, { retries: 1 }), { onRetry: (m) => retries.push(m) });
    await expect(client.superevent('MS260103c')).rejects.toThrow(new RegExp(`did not serve http://127\\.0\\.0\\.1:${port}/api/superevents/MS260103c/ after 2 attempt\\(s\\): fetch failed \\(.*ECONNREFUSED`));
    expect(retries).toHaveLength(1);
  });

  it('refuses ids that are not GraceDB ids before any request', async () => {
    const client = createGraceDbClient(fast(gdb.url));
    await expect(client.superevent('../etc')).rejects.toThrow(/not a superevent id/);
    await expect(client.file('MS260103c', '../../x')).rejects.toThrow(/not a GraceDB file name/);
  });
});

describe('GraceDB client authentication', () => {
  it('sends the bearer token from LLAMA_GRACEDB_TOKEN; a 403 names the URL', async () => {
    const gdb = await startFakeGraceDb(DATA, { token: 's3cret' });
    try {
      const anonymous = createGraceDbClient(fast(gdb.url));
      await expect(anonymous.superevent('MS260103c')).rejects.toThrow(/refused .*superevents\/MS260103c\/ \(HTTP 403/);
      const config = graceDbConfigFromEnv({ LLAMA_GRACEDB_URL: gdb.url, LLAMA_GRACEDB_TOKEN: 's3cret' });
      expect((await createGraceDbClient(config).superevent('MS260103c'))['superevent_id']).toBe('MS260103c');
      expect(gdb.authorizations.at(-1)).toBe('Bearer s3cret');
    } finally {
      await gdb.close();
    }
  });

  it('reads the configuration from the environment', () => {
    const defaults = graceDbConfigFromEnv({});
    expect(defaults.baseUrl).toBe('https://gracedb.ligo.org/api/');
    expect(defaults).toMatchObject({ retries: 3, retryDelayMs: 1000, timeoutMs: 15_000, token: undefined, certificate: undefined });
    expect(graceDbConfigFromEnv({ LLAMA_GRACEDB_URL: 'https://example.org/api' }).baseUrl).toBe('https://example.org/api/');
    expect(graceDbConfigFromEnv({ X509_USER_PROXY: '/tmp/proxy.pem' }).certificate).toEqual({ certFile: '/tmp/proxy.pem', keyFile: '/tmp/proxy.pem' });
    expect(graceDbConfigFromEnv({ LLAMA_GRACEDB_CERT: '/c.pem', LLAMA_GRACEDB_KEY: '/k.pem' }).certificate).toEqual({ certFile: '/c.pem', keyFile: '/k.pem' });
    expect(() => graceDbConfigFromEnv({ LLAMA_GRACEDB_CERT: '/c.pem' })).toThrow(/set together/);
    expect(() => graceDbConfigFromEnv({ LLAMA_GRACEDB_URL: 'ftp://x/' })).toThrow(/only http, https and file/);
    expect(() => graceDbConfigFromEnv({ LLAMA_GRACEDB_RETRIES: '-1' })).toThrow(/LLAMA_GRACEDB_RETRIES/);
  });
});

describe('GraceDB client over a file:// mirror', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'llama-gdb-mirror-'));
    await writeGraceDbMirror(root, DATA);
  });
  afterAll(async () => rm(root, { recursive: true, force: true }));

  it('serves the same objects as the REST API', async () => {
    const client = createGraceDbClient(graceDbConfigFromEnv({ LLAMA_GRACEDB_URL: pathToFileURL(root).href }));
    expect((await client.preferredEvent('MS260103c'))['far']).toBe(1.2e-9);
    const logs = await client.logs('MS260103c');
    expect(newestLoggedVersion(logs, 'bayestar.multiorder.fits')).toBe(1);
    expect(newestLoggedVersion(logs, 'p_astro.json')).toBe(0);
    const files = await client.files('MS260103c');
    expect(files['bayestar.multiorder.fits']).toBe(`${pathToFileURL(root).href}/superevents/MS260103c/files/bayestar.multiorder.fits,1`);
    expect((await client.file('MS260103c', 'bayestar.multiorder.fits')).length).toBe(SKYMAP.length);
    expect((await client.file('MS260103c', 'bayestar.multiorder.fits', 0)).length).toBe(OLD_SKYMAP.length);
    expect(JSON.parse(new TextDecoder().decode(await client.file('MS260103c', 'p_astro.json')))).toHaveProperty('BNS', 0.9);
  });

  it('reports missing objects and versions as not found, naming the file', async () => {
    const client = createGraceDbClient(graceDbConfigFromEnv({ LLAMA_GRACEDB_URL: pathToFileURL(root).href }));
    await expect(client.superevent('S260101zz')).rejects.toThrow(GraceDbNotFoundError);
    await expect(client.superevent('S260101zz')).rejects.toThrow(/superevents\/S260101zz\/superevent\.json/);
    await expect(client.file('MS260103c', 'bayestar.multiorder.fits', 5)).rejects.toThrow(/no .*bayestar\.multiorder\.fits,5/);
    await expect(client.logs('S260101zz')).rejects.toThrow(GraceDbNotFoundError);
  });
});

describe('GraceDB client with X.509 (client certificate over TLS)', () => {
  const hasOpenssl = (() => {
    try {
      execFileSync('openssl', ['version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

  it.skipIf(!hasOpenssl)('presents LLAMA_GRACEDB_CERT/KEY and trusts LLAMA_GRACEDB_CA; fails clearly without them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'llama-gdb-tls-'));
    const selfSigned = (name: string, subject: string, extra: string[] = []): void => {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
        '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.pem`), '-subj', subject, ...extra], { stdio: 'ignore' });
    };
    selfSigned('server', '/CN=127.0.0.1', ['-addext', 'subjectAltName=IP:127.0.0.1']);
    selfSigned('client', '/CN=llama-test-robot');
    const read = (f: string) => readFile(join(dir, f));
    const gdb = await startFakeGraceDb(DATA, { tls: { key: await read('server.key'), cert: await read('server.pem'), clientCa: await read('client.pem') } });
    try {
      const env = { LLAMA_GRACEDB_URL: gdb.url, LLAMA_GRACEDB_CA: join(dir, 'server.pem'), LLAMA_GRACEDB_RETRIES: '0' };
      const withCert = createGraceDbClient(graceDbConfigFromEnv({ ...env, LLAMA_GRACEDB_CERT: join(dir, 'client.pem'), LLAMA_GRACEDB_KEY: join(dir, 'client.key') }));
      expect((await withCert.superevent('MS260103c'))['superevent_id']).toBe('MS260103c');
      expect((await withCert.file('MS260103c', 'bayestar.multiorder.fits', 1)).length).toBe(SKYMAP.length);
      const noCert = createGraceDbClient(graceDbConfigFromEnv(env));
      await expect(noCert.superevent('MS260103c')).rejects.toThrow(/GraceDB did not serve https:\/\/127\.0\.0\.1:\d+\/api\/superevents\/MS260103c\/ after 1 attempt/);
      const missingKey = createGraceDbClient(graceDbConfigFromEnv({ ...env, LLAMA_GRACEDB_CERT: join(dir, 'client.pem'), LLAMA_GRACEDB_KEY: join(dir, 'nope.key') }));
      await expect(missingKey.superevent('MS260103c')).rejects.toThrow(/cannot read the GraceDB client certificate/);
    } finally {
      await gdb.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
