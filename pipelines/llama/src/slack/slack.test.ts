import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { describeSlackError, redactSecrets } from './client.js';
import { parseChannels, slackSettings } from './config.js';
import { fileVersion, filenameForDownload, UNVERSIONED } from './versioned-filename.js';

describe('filename_for_download', () => {
  it('counts the commits touching the file and names the newest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llama-versions-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@b', GIT_COMMITTER_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@b' } });
    expect(await fileVersion(dir, 'skymap_info.json')).toEqual(UNVERSIONED);
    git('init', '-q');
    expect(await fileVersion(dir, 'skymap_info.json')).toEqual(UNVERSIONED);
    for (const [i, file] of ['skymap_info.json', 'other.json', 'skymap_info.json', 'other.json'].entries()) {
      writeFileSync(join(dir, file), String(i));
      git('add', file);
      git('commit', '-q', '-m', `commit ${i}`);
    }
    const newest = git('log', '-1', '--format=%H', '--', 'skymap_info.json').trim();
    const version = await fileVersion(dir, 'skymap_info.json');
    expect(version).toEqual({ count: 2, hash7: newest.slice(0, 7) });
    expect(filenameForDownload('S1234a', 'skymap_info.json', version)).toBe(`S1234a-v2-${newest.slice(0, 7)}-skymap_info.json`);
    expect(filenameForDownload('S1234a', 'x.json', UNVERSIONED)).toBe('S1234a-v0-UNVERSIONED-x.json');
  });
});

describe('Slack configuration', () => {
  it('parses channel lists', () => {
    expect(parseChannels(' #roc, realtime ,,C0123456789', [])).toEqual(['roc', 'realtime', 'C0123456789']);
    expect(parseChannels(undefined, ['llama-uploads'])).toEqual(['llama-uploads']);
  });

  it('requires the token and validates numbers', () => {
    expect(() => slackSettings('i3', {})).toThrow(/SLACK_API_TOKEN_ICECUBE is not set/);
    expect(slackSettings('lma', { SLACK_API_TOKEN_LLAMA: 'xoxb-1' }).channels).toEqual(['llama-uploads']);
    expect(slackSettings('i3', { SLACK_API_TOKEN_ICECUBE: 'xoxb-1' }).channels).toEqual(['roc', 'realtime']);
    expect(() => slackSettings('lma', { SLACK_API_TOKEN_LLAMA: 'xoxb-1', SLACK_RETRIES: 'many' })).toThrow(/SLACK_RETRIES must be a non-negative integer/);
  });
});

describe('secrets', () => {
  it('redacts given secrets and anything shaped like a Slack token', () => {
    expect(redactSecrets('Bearer sekrit-value and xoxp-12-34-abc', ['sekrit-value'])).toBe('Bearer [REDACTED] and xox?-[REDACTED]');
  });

  it('describes Slack errors from their codes without echoing secrets', () => {
    const error = Object.assign(new Error('An API error occurred: invalid_auth (token xoxb-9-secret)'), { code: 'slack_webapi_platform_error', data: { ok: false, error: 'invalid_auth' } });
    expect(describeSlackError(error, ['xoxb-9-secret'])).toBe('Slack answered not OK: invalid_auth');
    expect(describeSlackError(new Error('boom xoxb-9-secret'), ['xoxb-9-secret'])).toBe('boom [REDACTED]');
  });
});
