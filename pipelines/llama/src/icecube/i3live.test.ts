import { afterEach, describe, expect, it } from 'vitest';
import { startFakeI3Live, type FakeI3Live } from '../../../../test/fakes/i3live.js';
import { gpsToMjd, mjdToUnix } from '../time/gps.js';
import { i3liveTime, queryI3Live } from './i3live.js';
import { neutrinoSource } from './source.js';

const GW = 1250000000;
const mjd0 = gpsToMjd(GW);
const timeAt = (dt: number): string => i3liveTime(mjd0 + dt / 86400);

let fake: FakeI3Live | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const events = [
  { eventtime: timeAt(-30), ra: 216.29, dec: -15.35, sigma: 0.43, energy: 15000, run_id: 132000, event_id: 7 },
  { eventtime: timeAt(800), ra: 10, dec: 5, sigma: 1.2, energy: 900 },
  { eventtime: timeAt(5000), ra: 11, dec: 6, sigma: 1.2, energy: 900 },
];

describe('I3Live query (fake service on 127.0.0.1)', () => {
  it('posts the 3.5.1 form and parses GFU records', async () => {
    fake = await startFakeI3Live({ events });
    const out = await queryI3Live({ url: fake.url, username: 'icecube', password: 'secret', startMjd: mjd0 - 500 / 86400, stopMjd: mjd0 + 1500 / 86400, retries: 0, retryDelayMs: 0 });
    expect(fake.requests[0]).toMatchObject({ user: 'icecube', pass: 'secret', varname: 'realtimeEvent', topic: 'neutrino', timekey: 'value.data.eventtime' });
    expect(fake.requests[0]?.['start']).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
    expect(out).toHaveLength(2);
    expect(out[0]).toMatchObject({ ra: 216.29, dec: -15.35, sigma: 0.43, energy: 15000, run: '132000', event: '7', type: 'observation' });
    expect(mjdToUnix(out[0]!.mjd) - mjdToUnix(mjd0)).toBeCloseTo(-30, 3);
  });
  it('retries HTTP 503 and then succeeds', async () => {
    fake = await startFakeI3Live({ events, failFirst: 2 });
    const retries: number[] = [];
    const out = await queryI3Live({ url: fake.url, username: 'icecube', password: 'secret', startMjd: mjd0 - 0.01, stopMjd: mjd0 + 0.01, retries: 3, retryDelayMs: 1, onRetry: (n) => retries.push(n) });
    expect(out.length).toBeGreaterThan(0);
    expect(retries).toEqual([1, 2]);
  });
  it('gives up after the retries with a message naming the URL', async () => {
    fake = await startFakeI3Live({ events, failFirst: 10 });
    await expect(queryI3Live({ url: fake.url, username: 'icecube', password: 'secret', startMjd: mjd0, stopMjd: mjd0 + 0.01, retries: 1, retryDelayMs: 1 }))
      .rejects.toThrow(new RegExp(`I3Live ${fake.url}: HTTP 503.*gave up after 2 attempts`));
  });
  it('reports rejected credentials without retrying', async () => {
    fake = await startFakeI3Live({ events });
    await expect(queryI3Live({ url: fake.url, username: 'icecube', password: 'wrong', startMjd: mjd0, stopMjd: mjd0 + 0.01, retries: 5, retryDelayMs: 1000 }))
      .rejects.toThrow(/HTTP 401: credentials rejected/);
    expect(fake.requests).toHaveLength(1);
  });
  it('reports malformed responses and records', async () => {
    fake = await startFakeI3Live({ rawBody: '<html>oops' });
    await expect(queryI3Live({ url: fake.url, username: 'icecube', password: 'secret', startMjd: mjd0, stopMjd: mjd0 + 0.01, retries: 0, retryDelayMs: 0 }))
      .rejects.toThrow(/response is not valid JSON/);
    await fake.close();
    fake = await startFakeI3Live({ rawBody: '[{"value": {"data": {"eventtime": "2019-01-01 00:00:00", "ra": 1, "dec": 2}}}]' });
    await expect(queryI3Live({ url: fake.url, username: 'icecube', password: 'secret', startMjd: mjd0, stopMjd: mjd0 + 0.01, retries: 0, retryDelayMs: 0 }))
      .rejects.toThrow(/event 0: missing or non-numeric sigma, energy/);
  });
  it('is chosen by LLAMA_ICECUBE_SOURCE and needs credentials', async () => {
    expect(() => neutrinoSource({ LLAMA_ICECUBE_SOURCE: 'i3live' })).toThrow(/needs ICECUBE_USERNAME and ICECUBE_PASSWORD/);
    expect(() => neutrinoSource({ LLAMA_ICECUBE_SOURCE: 'carrier-pigeon' })).toThrow(/expected "i3live", "archive"/);
    expect(() => neutrinoSource({ LLAMA_ICECUBE_SOURCE: 'archive' })).toThrow(/needs LLAMA_NEUTRINO_ARCHIVE_URL/);
    expect(neutrinoSource({ LLAMA_NEUTRINO_ARCHIVE_URL: 'file:///x.jsonl' }).name).toBe('file:///x.jsonl');
    fake = await startFakeI3Live({ events });
    const source = neutrinoSource({ LLAMA_ICECUBE_SOURCE: 'i3live', LLAMA_I3LIVE_URL: fake.url, ICECUBE_USERNAME: 'icecube', ICECUBE_PASSWORD: 'secret' });
    expect(source.name).toBe('i3live');
    expect(await source.fetch(mjd0 - 0.01, mjd0 + 0.01, new AbortController().signal)).toHaveLength(2);
  });
});
