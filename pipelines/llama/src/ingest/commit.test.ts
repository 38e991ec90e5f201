import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestAlert } from './alert.js';
import { batchMessage } from './common.js';

// The LVK user guide's PRELIMINARY example (1 MB, a real BAYESTAR multi-order skymap).
const ALERT = JSON.parse(gunzipSync(readFileSync(new URL('../../../../test/listen/fixtures/MS181101ab-preliminary.json.gz', import.meta.url))).toString()) as Record<string, unknown>;
const alertBytes = (fields: Record<string, unknown>): Uint8Array => Buffer.from(JSON.stringify({ ...ALERT, ...fields }));

const git = (dir: string, ...args: string[]): string => execFileSync('git', args, { cwd: dir, encoding: 'utf8' });
/** Full messages, newest first. */
const messages = (dir: string): string[] => git(dir, 'log', '--format=%B%x00').split('\0').map((m) => m.trim()).filter((m) => m !== '');

// Every git process the ingest starts is logged by a wrapper first on PATH.
const work = mkdtempSync(join(tmpdir(), 'llama-ingest-commit-'));
const gitLog = join(work, 'git-calls.log');
const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
const saved = { PATH: process.env['PATH'], LLAMA_VERSIONING: process.env['LLAMA_VERSIONING'] };
const gitCalls = (): string[] => {
  try {
    return readFileSync(gitLog, 'utf8').split('\n').filter((l) => l !== '');
  } catch {
    return [];
  }
};
const since = (before: number): string[] => gitCalls().slice(before);

beforeAll(() => {
  const bin = join(work, 'bin');
  execFileSync('mkdir', ['-p', bin]);
  // Logs the subcommand (the first argument after the -c options), then runs the real git.
  writeFileSync(join(bin, 'git'), `#!/bin/sh\nfor a in "$@"; do case "$a" in -c|user.*|commit.gpgsign=*) ;; *) echo "$a" >> '${gitLog}'; break;; esac; done\nexec '${realGit}' "$@"\n`);
  chmodSync(join(bin, 'git'), 0o755);
  process.env['PATH'] = `${bin}${delimiter}${saved.PATH ?? ''}`;
  delete process.env['LLAMA_VERSIONING'];
});
afterAll(() => {
  process.env['PATH'] = saved.PATH;
  if (saved.LLAMA_VERSIONING !== undefined) process.env['LLAMA_VERSIONING'] = saved.LLAMA_VERSIONING;
});

describe('one commit per ingest', () => {
  const run = join(work, 'run');
  const options = { runDir: run, env: {} };
  const event = join(run, 'MS181101ab');

  it('a new event from an alert: every file in its first commit, three git processes', async () => {
    const before = gitCalls().length;
    const outcome = await ingestAlert(alertBytes({}), 'preliminary', options);
    expect(outcome.messages[0]).toBe('created MS181101ab (PRELIMINARY)');
    expect(since(before)).toEqual(['init', 'add', 'commit']);
    const log = messages(event);
    expect(log).toEqual([
      [
        'Initialized event MS181101ab',
        '',
        'Ingested LVAlertJSON from PRELIMINARY alert for MS181101ab.',
        'Wrote LvcSkymapFits from the skymap in the PRELIMINARY alert for MS181101ab.',
        'Generated SkymapInfo from PRELIMINARY alert for MS181101ab.',
        '',
        'lvalert.json',
        'lvc_skymap.fits.gz',
        'skymap_info.json',
      ].join('\n'),
    ]);
    expect(git(event, 'ls-files').split('\n').filter((f) => f !== '').sort()).toEqual([
      '.gitignore',
      '.lvalert.json.metadata.json',
      '.lvc_skymap.fits.gz.metadata.json',
      '.skymap_info.json.metadata.json',
      'FLAGS.json',
      'lvalert.json',
      'lvc_skymap.fits.gz',
      'skymap_info.json',
    ]);
    expect(git(event, 'status', '--porcelain')).toBe('');
  });

  it('an update with the same skymap: one commit, the stored skymap and its rider untouched', async () => {
    const skymap = join(event, 'lvc_skymap.fits.gz');
    const rider = join(event, '.lvc_skymap.fits.gz.metadata.json');
    const kept = { skymap: statSync(skymap).mtimeMs, rider: readFileSync(rider, 'utf8') };
    const before = gitCalls().length;
    const outcome = await ingestAlert(alertBytes({ alert_type: 'UPDATE' }), 'update', options);
    expect(outcome.messages).toEqual(['updated MS181101ab (UPDATE)', 'lvc_skymap.fits.gz unchanged (the same skymap); wrote skymap_info.json (bayestar.multiorder.fits,0)']);
    expect(since(before)).toEqual(['add', 'commit']);
    expect(statSync(skymap).mtimeMs).toBe(kept.skymap);
    expect(readFileSync(rider, 'utf8')).toBe(kept.rider);
    const log = messages(event);
    expect(log).toHaveLength(2);
    expect(log[0]).toBe(['Ingested LVAlertJSON from UPDATE alert for MS181101ab.', '', 'Generated SkymapInfo from UPDATE alert for MS181101ab.', '', 'lvalert.json', 'skymap_info.json'].join('\n'));
    // (skymap_info.json's bytes are the same: the alert's time_created did not change; its rider did.)
    expect(git(event, 'show', '--name-only', '--format=', 'HEAD').split('\n').filter((f) => f !== '').sort()).toEqual([
      '.lvalert.json.metadata.json',
      '.skymap_info.json.metadata.json',
      'lvalert.json',
    ]);
    expect(git(event, 'status', '--porcelain')).toBe('');
  });

  it('an update with --flags: the flag edit is part of the same commit', async () => {
    const before = gitCalls().length;
    await ingestAlert(alertBytes({ alert_type: 'UPDATE' }), 'update', { ...options, flags: { MANUAL: 'true' } });
    expect(since(before)).toEqual(['add', 'commit']);
    const [last = ''] = messages(event);
    expect(last).toContain('Updated flags of MS181101ab.');
    expect(last.split('\n\n').at(-1)).toBe('lvalert.json\nskymap_info.json\nFLAGS.json');
    expect(git(event, 'show', '--name-only', '--format=', 'HEAD')).toContain('FLAGS.json');
    expect(JSON.parse(readFileSync(join(event, 'FLAGS.json'), 'utf8'))).toMatchObject({ MANUAL: 'true' });
  });

  it('a retraction of an existing event: the alert and the veto in one commit', async () => {
    const retraction = { ...ALERT, alert_type: 'RETRACTION', event: null, external_coinc: null };
    const before = gitCalls().length;
    const outcome = await ingestAlert(Buffer.from(JSON.stringify(retraction)), 'retraction', options);
    expect(outcome.events).toEqual(['MS181101ab']);
    expect(since(before)).toEqual(['add', 'commit']);
    const [last = ''] = messages(event);
    expect(last).toBe(['Ingested LVAlertJSON from RETRACTION alert for MS181101ab.', '', 'Vetoed MS181101ab: retracted by RETRACTION alert for MS181101ab', '', 'lvalert.json', 'FLAGS.json'].join('\n'));
    expect(JSON.parse(readFileSync(join(event, 'FLAGS.json'), 'utf8'))).toMatchObject({ VETOED: 'true' });
    expect(git(event, 'status', '--porcelain')).toBe('');
  });

  it('a retraction of an unknown superevent: the event is created vetoed, in one commit', async () => {
    const retraction = { ...ALERT, superevent_id: 'MS181101zz', alert_type: 'RETRACTION', event: null, external_coinc: null };
    const before = gitCalls().length;
    await ingestAlert(Buffer.from(JSON.stringify(retraction)), 'retraction', options);
    expect(since(before)).toEqual(['init', 'add', 'commit']);
    const created = join(run, 'MS181101zz');
    expect(messages(created)).toEqual(['Initialized event MS181101zz\n\nIngested LVAlertJSON from RETRACTION alert for MS181101zz.\n\nlvalert.json']);
    expect(JSON.parse(readFileSync(join(created, 'FLAGS.json'), 'utf8'))).toMatchObject({ VETOED: 'true' });
  });
});

describe('batchMessage', () => {
  it("joins writes in 3.5.1's form: the first write's line as subject, the others, then the files", () => {
    expect(batchMessage(['Ingested A from x.\n\na.json\n'])).toBe('Ingested A from x.\n\na.json\n');
    expect(batchMessage(['Ingested A from x.\n\na.json\n', 'Generated B from x.\n\nb.json\n', 'Generated B from x.\n\nb.json\n'])).toBe('Ingested A from x.\n\nGenerated B from x.\n\na.json\nb.json\n');
  });
});
