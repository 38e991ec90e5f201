import { existsSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FLAG_PRESETS, GenerationError, type Rule } from '@llama/core';
import * as receipts from '../../pipelines/llama/src/rules/receipts.js';
import { startFakeSlack, type FakeSlack } from '../fakes/slack.js';
import { contextFor, makeEvent, SKYMAP_INFO, type TempEvent } from './context.js';

const LLAMA_TOKEN = 'xoxb-1111-llama-secret-token';
const ICECUBE_TOKEN = 'xoxb-2222-icecube-secret-token';
const ALL_RECEIPTS = Object.values(receipts).filter((value): value is Rule => typeof value === 'object' && value !== null && 'generate' in value);

let slack: FakeSlack;
beforeEach(async () => {
  slack = await startFakeSlack({ tokens: [LLAMA_TOKEN, ICECUBE_TOKEN] });
});
afterEach(async () => {
  await slack.close();
});

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    SLACK_API_URL: slack.apiUrl,
    SLACK_API_TOKEN_LLAMA: LLAMA_TOKEN,
    SLACK_API_TOKEN_ICECUBE: ICECUBE_TOKEN,
    SLACK_RETRY_BASE_MS: '5',
    ...extra,
  };
}

function uploadedRule(rule: Rule): Rule {
  const uploaded = rule.inputs[0];
  if (uploaded === undefined) throw new Error(`${rule.name} has no input`);
  return uploaded;
}

/** An event whose uploaded file has been committed twice (so v2) and whose SkymapInfo exists. */
function eventWith(rule: Rule): { event: TempEvent; hash: string; bytes: Buffer } {
  const event = makeEvent();
  event.write('skymap_info.json', JSON.stringify(SKYMAP_INFO));
  event.commit('skymap info', 'skymap_info.json');
  const uploaded = uploadedRule(rule);
  const bytes = Buffer.from(`content of ${uploaded.filename}\n\u0000binary\u00ff`, 'latin1');
  if (uploaded.name !== 'SkymapInfo') {
    event.write(uploaded.filename, 'first version');
    event.commit('first', uploaded.filename);
    event.write(uploaded.filename, bytes);
    event.write(`.${uploaded.filename}.metadata.json`, JSON.stringify({ wall_time: 1.25 }));
    const hash = event.commit('second', uploaded.filename);
    return { event, hash, bytes };
  }
  const infoBytes = Buffer.from(JSON.stringify({ ...SKYMAP_INFO, notice_time_iso: '2025-01-01T10:05:00.000' }));
  event.write('skymap_info.json', infoBytes);
  event.write('.skymap_info.json.metadata.json', JSON.stringify({ wall_time: 1.25 }));
  const hash = event.commit('second', 'skymap_info.json');
  return { event, hash, bytes: infoBytes };
}

describe('the sixteen RctSlk receipts', () => {
  it('are all here, with 3.5.1 filenames', () => {
    expect(ALL_RECEIPTS).toHaveLength(16);
    for (const rule of ALL_RECEIPTS) {
      const org = rule.name.startsWith('RctSlkI3') ? 'i3' : 'lma';
      expect(rule.filename).toBe(`rct_slk_${org}_${uploadedRule(rule).filename}.json`);
    }
  });

  for (const rule of ALL_RECEIPTS) {
    it(`${rule.name} uploads with files.uploadV2 and records the channel → response map`, async () => {
      const { event, hash, bytes } = eventWith(rule);
      const uploaded = uploadedRule(rule);
      const { ctx, logs, outputPath } = contextFor(rule, event, { env: env() });
      await rule.generate(ctx);

      const icecube = rule.name.startsWith('RctSlkI3');
      const channels = icecube ? ['roc', 'realtime'] : ['llama-uploads'];
      const receipt = JSON.parse(readFileSync(outputPath, 'utf8')) as Record<string, { ok: boolean; files: { id: string }[] }>;
      expect(Object.keys(receipt)).toEqual(channels);
      for (const channel of channels) expect(receipt[channel]?.ok).toBe(true);

      const methods = slack.calls.map((c) => c.method);
      expect(methods).not.toContain('files.upload');
      expect(methods.filter((m) => m === 'files.getUploadURLExternal')).toHaveLength(channels.length);
      expect(methods.filter((m) => m === 'upload')).toHaveLength(channels.length);
      expect(methods.filter((m) => m === 'files.completeUploadExternal')).toHaveLength(channels.length);
      expect(slack.calls.every((c) => c.method === 'upload' || c.token === (icecube ? ICECUBE_TOKEN : LLAMA_TOKEN))).toBe(true);

      const done = slack.completedUploads();
      expect(done).toHaveLength(channels.length);
      const versioned = `${event.eventId}-v2-${hash.slice(0, 7)}-${uploaded.filename}`;
      for (const file of done) {
        expect(file.filename).toBe(versioned);
        expect(file.bytes?.equals(bytes)).toBe(true);
        expect(file.title).toBe(`${uploaded.filename} from ${SKYMAP_INFO.graceid} (LLAMA internal ID: ${event.eventId})`);
        expect(file.initialComment).toContain(`VERSIONED_FILENAME: ${versioned}`);
        expect(file.initialComment).toContain(`UPLOAD_FILEHANDLER: ${uploaded.name}`);
        expect(file.initialComment).toContain(`UPLOADER: ${rule.name}`);
        expect(file.initialComment).toContain(`EVENT_SNAPSHOT: ${event.git('rev-parse', 'HEAD').trim()}`);
        expect(file.initialComment).toContain('GRACEDB_LINK: https://gracedb.ligo.org/superevents/S250101ab/view/');
        expect(file.initialComment).toContain('WALL_TIME: 1.250 s');
      }
      expect(done.map((f) => f.channelId)).toEqual(channels.map((c) => ({ 'llama-uploads': 'C0LLAMAUP1', roc: 'C0ROCROC01', realtime: 'C0REALTIM1' })[c]));
      expect(JSON.stringify(logs)).not.toContain('secret-token');
    });
  }
});

const LMA = receipts.RctSlkLmaCoincSummaryI3LvcPdf;
const I3 = receipts.RctSlkI3CoincSummaryI3LvcPdf;

describe('upload behaviour', () => {
  it('names files never committed v0-UNVERSIONED', async () => {
    const event = makeEvent();
    event.write('skymap_info.json', JSON.stringify(SKYMAP_INFO));
    event.write('summary_lvc-I3.pdf', '%PDF-1.4 fake');
    const { ctx } = contextFor(LMA, event, { env: env() });
    await LMA.generate(ctx);
    expect(slack.completedUploads()[0]?.filename).toBe(`${event.eventId}-v0-UNVERSIONED-summary_lvc-I3.pdf`);
  });

  it('works in an event directory that is not a git repository', async () => {
    const event = makeEvent('S250101cd', { git: false });
    event.write('skymap_info.json', JSON.stringify({ ...SKYMAP_INFO, graceid: 'S250101cd' }));
    event.write('summary_lvc-I3.pdf', '%PDF-1.4 fake');
    const { ctx } = contextFor(LMA, event, { env: env() });
    await LMA.generate(ctx);
    const done = slack.completedUploads()[0];
    expect(done?.filename).toBe('S250101cd-v0-UNVERSIONED-summary_lvc-I3.pdf');
    expect(done?.initialComment).toContain('EVENT_SNAPSHOT: none');
  });

  it('uses channels and IDs given in the environment', async () => {
    const { event } = eventWith(I3);
    const { ctx, outputPath } = contextFor(I3, event, { env: env({ SLACK_CHANNELS_ICECUBE: '#roc, C0CUSTOM01' }) });
    await slack.close();
    slack = await startFakeSlack({ tokens: [ICECUBE_TOKEN], channels: { roc: 'C0ROCROC01', other: 'C0CUSTOM01' } });
    const ctxNew = { ...ctx, env: { ...ctx.env, SLACK_API_URL: slack.apiUrl } };
    await I3.generate(ctxNew);
    expect(Object.keys(JSON.parse(readFileSync(outputPath, 'utf8')) as object)).toEqual(['roc', 'C0CUSTOM01']);
    expect(slack.completedUploads().map((f) => f.channelId)).toEqual(['C0ROCROC01', 'C0CUSTOM01']);
  });

  it('fails clearly when the token is not set', async () => {
    const { event } = eventWith(I3);
    const { ctx, outputPath } = contextFor(I3, event, { env: env({ SLACK_API_TOKEN_ICECUBE: '' }) });
    await expect(I3.generate(ctx)).rejects.toThrow(/SLACK_API_TOKEN_ICECUBE is not set/);
    expect(existsSync(outputPath)).toBe(false);
    expect(slack.calls).toHaveLength(0);
  });

  it('fails with GenerationError on an invalid token, without revealing it', async () => {
    const { event } = eventWith(LMA);
    const badToken = 'xoxb-9999-wrong-secret-value';
    const { ctx, logs, outputPath } = contextFor(LMA, event, { env: env({ SLACK_API_TOKEN_LLAMA: badToken }) });
    const error = await LMA.generate(ctx).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GenerationError);
    const message = String((error as Error).message);
    expect(message).toMatch(/invalid_auth/);
    expect(message).toMatch(/summary_lvc-I3\.pdf/);
    expect(message).toMatch(/LLAMA Slack workspace/);
    for (const text of [message, JSON.stringify(logs), String((error as Error).stack), JSON.stringify(error)]) {
      expect(text).not.toContain(badToken);
      expect(text).not.toContain('wrong-secret');
    }
    expect(existsSync(outputPath)).toBe(false);
  });

  it('retries transient HTTP failures within one generation', async () => {
    const { event } = eventWith(LMA);
    slack.fail('files.getUploadURLExternal', { status: 500, body: 'internal error', times: 1 });
    slack.fail('upload', { status: 503, body: 'busy', times: 1 });
    const { ctx, outputPath } = contextFor(LMA, event, { env: env() });
    await LMA.generate(ctx);
    expect(slack.calls.filter((c) => c.method === 'files.getUploadURLExternal')).toHaveLength(2);
    expect(slack.calls.filter((c) => c.method === 'upload')).toHaveLength(2);
    expect(existsSync(outputPath)).toBe(true);
  });

  it('gives up after SLACK_RETRIES and succeeds on the engine\'s next attempt', async () => {
    const { event } = eventWith(LMA);
    slack.fail('files.getUploadURLExternal', { status: 500, body: 'down', times: 3 });
    const first = contextFor(LMA, event, { env: env({ SLACK_RETRIES: '2' }) });
    await expect(LMA.generate(first.ctx)).rejects.toThrow(/HTTP 500/);
    expect(slack.calls.filter((c) => c.method === 'files.getUploadURLExternal')).toHaveLength(3);
    expect(existsSync(first.outputPath)).toBe(false);
    const second = contextFor(LMA, event, { env: env({ SLACK_RETRIES: '2' }) });
    await LMA.generate(second.ctx);
    expect(existsSync(second.outputPath)).toBe(true);
  });

  it('treats a non-OK completion as a failure', async () => {
    const { event } = eventWith(LMA);
    slack.fail('files.completeUploadExternal', { body: { ok: false, error: 'channel_is_archived' } });
    const { ctx, outputPath } = contextFor(LMA, event, { env: env() });
    await expect(LMA.generate(ctx)).rejects.toThrow(/channel #llama-uploads: Slack answered not OK: channel_is_archived/);
    expect(existsSync(outputPath)).toBe(false);
  });

  it('fails when a channel does not exist in the workspace', async () => {
    const { event } = eventWith(LMA);
    const { ctx } = contextFor(LMA, event, { env: env({ SLACK_CHANNELS_LLAMA: 'nowhere' }) });
    await expect(LMA.generate(ctx)).rejects.toThrow(/no channel #nowhere/);
  });

  it('honours Retry-After on HTTP 429', async () => {
    const { event } = eventWith(LMA);
    slack.fail('files.completeUploadExternal', { status: 429, retryAfter: 1, body: { ok: false, error: 'ratelimited' } });
    const { ctx, logs, outputPath } = contextFor(LMA, event, { env: env() });
    await LMA.generate(ctx);
    const completes = slack.calls.filter((c) => c.method === 'files.completeUploadExternal');
    expect(completes).toHaveLength(2);
    const waited = (completes[1]?.at ?? 0) - (completes[0]?.at ?? 0);
    expect(waited).toBeGreaterThanOrEqual(950);
    expect(logs.some((l) => l.level === 'warn' && /waiting 1 s/.test(l.message))).toBe(true);
    expect(existsSync(outputPath)).toBe(true);
  });

  it('fails instead of waiting when Retry-After exceeds the bound', async () => {
    const { event } = eventWith(LMA);
    slack.fail('files.getUploadURLExternal', { status: 429, retryAfter: 3600, body: { ok: false, error: 'ratelimited' } });
    const { ctx } = contextFor(LMA, event, { env: env({ SLACK_MAX_RETRY_AFTER_SECONDS: '30' }) });
    const started = Date.now();
    await expect(LMA.generate(ctx)).rejects.toThrow(/rate-limited the upload and asked to wait 3600 s/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('stops waiting when the generation is aborted', async () => {
    const { event } = eventWith(LMA);
    slack.fail('files.getUploadURLExternal', { status: 429, retryAfter: 20, body: { ok: false, error: 'ratelimited' } });
    const abort = new AbortController();
    const { ctx } = contextFor(LMA, event, { env: env(), signal: abort.signal });
    setTimeout(() => abort.abort(new Error('timeout')), 200);
    const started = Date.now();
    await expect(LMA.generate(ctx)).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('looks the channel IDs up once per workspace, not once per receipt', async () => {
    const { event } = eventWith(I3);
    event.write('summary_lvc-I3.pdf', 'x');
    for (const rule of [I3, I3, LMA]) {
      const { ctx } = contextFor(rule, event, { env: env() });
      await rule.generate(ctx);
    }
    // One listing for the IceCube token, one for the LLAMA token.
    expect(slack.calls.filter((c) => c.method === 'conversations.list').map((c) => c.token)).toEqual([ICECUBE_TOKEN, LLAMA_TOKEN]);
  });

  it('never writes a token into the receipt', async () => {
    const { event } = eventWith(I3);
    const { ctx, outputPath, logs } = contextFor(I3, event, { env: env() });
    await I3.generate(ctx);
    const text = readFileSync(outputPath, 'utf8');
    expect(text).not.toContain(ICECUBE_TOKEN);
    expect(text).not.toContain(LLAMA_TOKEN);
    expect(JSON.stringify(logs)).not.toContain('secret-token');
  });
});

describe('receipt vetoes (pure functions of flags and location)', () => {
  const eventRef = { eventId: 'S250101ab', runDir: '/srv/llama/current_run', eventDir: '/srv/llama/current_run/S250101ab' };
  const vetoed = (rule: Rule, flags: Record<string, string>, eventDir = eventRef.eventDir) =>
    rule.vetoes.map((veto) => veto.check({ flags, event: { ...eventRef, eventDir } })).filter((result) => result !== false);

  for (const rule of ALL_RECEIPTS) {
    it(`${rule.name}`, () => {
      const publicFlags = FLAG_PRESETS.TRIGGERED_PUBLIC;
      expect(vetoed(rule, publicFlags)).toEqual([]);
      expect(vetoed(rule, { ...publicFlags, UPLOAD: 'false' })).toContain('flag UPLOAD=false');
      expect(vetoed(rule, { ...publicFlags, ROLE: 'test' }).length).toBeGreaterThan(0);
      expect(vetoed(rule, { ...publicFlags, ONLINE: 'false' }).length).toBeGreaterThan(0);
      const icecubeOff = vetoed(rule, { ...publicFlags, ICECUBE_UPLOAD: 'false' });
      if (rule.name.startsWith('RctSlkI3')) expect(icecubeOff).toContain('flag ICECUBE_UPLOAD=false');
      else expect(icecubeOff).toEqual([]);
      expect(vetoed(rule, publicFlags, '/srv/llama/test_runs/S250101ab').length).toBeGreaterThan(0);
      expect(vetoed(rule, FLAG_PRESETS.DEFAULT).length).toBeGreaterThan(0);
    });
  }
});
