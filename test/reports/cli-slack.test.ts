/** Black box: `llama run` uploads through the fake Slack; tokens appear nowhere on disk or in output. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLAG_PRESETS, serializeFlags } from '@llama/core';
import { startFakeSlack, type FakeSlack } from '../fakes/slack.js';
import { llama, tempHome, writeFiles } from '../helpers/llama.js';
import { SKYMAP_INFO } from './context.js';

const LLAMA_TOKEN = 'xoxb-4242-llama-cli-secret';
const ICECUBE_TOKEN = 'xoxb-4343-icecube-cli-secret';
const RECEIPTS = ['RctSlkLmaSkymapInfo', 'RctSlkLmaCoincSummaryI3LvcPdf', 'RctSlkI3CoincSummaryI3LvcPdf'];

let slack: FakeSlack;
const home = tempHome('llama-reports-slack-');
const eventDir = join(home.runDir, 'S250101ab');

/** Every file under a directory, .git included (commit messages, objects are compressed). */
function allText(dir: string): string {
  let text = '';
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) text += allText(path);
    else text += readFileSync(path).toString('latin1');
  }
  return text;
}

beforeAll(async () => {
  slack = await startFakeSlack({ tokens: [LLAMA_TOKEN, ICECUBE_TOKEN] });
  mkdirSync(eventDir);
  writeFiles(eventDir, {
    'FLAGS.json': serializeFlags(FLAG_PRESETS.TRIGGERED_PUBLIC),
    'skymap_info.json': JSON.stringify(SKYMAP_INFO),
    'summary_lvc-I3.pdf': '%PDF-1.4\n% a stand-in summary\n',
  });
});
afterAll(async () => {
  await slack.close();
});

const run = (env: Record<string, string>) =>
  llama(['run', `${home.runDir}/*`, '-o', '-F', '-f', ...RECEIPTS], { env: { ...home.env, SLACK_API_URL: slack.apiUrl, SLACK_RETRY_BASE_MS: '5', ...env } });

describe('llama run with Slack receipts', () => {
  it('records a cooldown on an invalid token and leaks it nowhere', async () => {
    const wrong = 'xoxb-9999-wrong-cli-secret';
    const result = await run({ SLACK_API_TOKEN_LLAMA: wrong, SLACK_API_TOKEN_ICECUBE: wrong });
    expect(result.code).toBe(1);
    expect(existsSync(join(eventDir, 'rct_slk_lma_skymap_info.json.json'))).toBe(false);
    expect(existsSync(join(eventDir, '.rct_slk_lma_skymap_info.json.json.cooldown.json'))).toBe(true);
    const everything = result.stdout + result.stderr + allText(home.root);
    expect(everything).toMatch(/invalid_auth/);
    expect(everything).not.toContain('wrong-cli-secret');
  });

  it('uploads to every channel with the versioned filename and writes the receipts', async () => {
    // Clear the cooldowns of the failed attempt (as an operator would) and try again.
    for (const name of readdirSync(eventDir).filter((n) => n.endsWith('.cooldown.json'))) {
      rmSync(join(eventDir, name));
    }
    const result = await run({ SLACK_API_TOKEN_LLAMA: LLAMA_TOKEN, SLACK_API_TOKEN_ICECUBE: ICECUBE_TOKEN });
    expect(result.code, result.stderr).toBe(0);
    const lma = JSON.parse(readFileSync(join(eventDir, 'rct_slk_lma_summary_lvc-I3.pdf.json'), 'utf8')) as Record<string, unknown>;
    const i3 = JSON.parse(readFileSync(join(eventDir, 'rct_slk_i3_summary_lvc-I3.pdf.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(lma)).toEqual(['llama-uploads']);
    expect(Object.keys(i3)).toEqual(['roc', 'realtime']);
    const names = slack.completedUploads().map((f) => f.filename);
    // The versioned name as of the upload, from the event directory's own history: files placed by
    // hand are committed by the engine's first commit, which may come before or after an upload.
    const versions = (file: string) => {
      const hashes = execFileSync('git', ['log', '--reverse', '--format=%H', '--', file], { cwd: eventDir, encoding: 'utf8' }).trim().split('\n').filter(Boolean);
      return [`S250101ab-v0-UNVERSIONED-${file}`, ...hashes.map((hash, i) => `S250101ab-v${i + 1}-${hash.slice(0, 7)}-${file}`)];
    };
    expect(names.filter((n) => versions('summary_lvc-I3.pdf').includes(n))).toHaveLength(3);
    expect(names.filter((n) => versions('skymap_info.json').includes(n))).toHaveLength(1);
    expect(names).toHaveLength(4);
    const everything = result.stdout + result.stderr + allText(home.root);
    expect(everything).not.toContain('llama-cli-secret');
    expect(everything).not.toContain('icecube-cli-secret');
  });
});
