import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkCommit, checkFileName, Refused, resolveEvent, resolveFile } from './safe.js';

describe('names a request carries', () => {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'llama-safe-')));
  const runDir = join(root, 'run');
  mkdirSync(join(runDir, 'S1'), { recursive: true });
  writeFileSync(join(runDir, 'S1', 'a.json'), '{}');
  writeFileSync(join(root, 'secret'), 'x');
  symlinkSync(join(root, 'secret'), join(runDir, 'S1', 'link.json'));
  mkdirSync(join(root, 'outside'));
  symlinkSync(join(root, 'outside'), join(runDir, 'S2'));
  const run = { name: 'run', dir: runDir, glob: '*' };

  it('events: only directories inside the run, by a valid id', () => {
    expect(resolveEvent(run, 'S1').eventDir).toBe(join(runDir, 'S1'));
    for (const id of ['..', '.', '../run/S1', 'S1/..', '.git', '', 'a\u0000b', 'x'.repeat(201)]) expect(() => resolveEvent(run, id), id).toThrow(Refused);
    expect(() => resolveEvent(run, 'S2')).toThrow(/outside the run directory/);
    expect(() => resolveEvent(run, 'S3')).toThrow(/no event S3/);
  });

  it('files: one non-hidden component, a regular file, never a link', () => {
    const event = resolveEvent(run, 'S1');
    expect(resolveFile(event, 'a.json').stat.isFile()).toBe(true);
    for (const name of ['../secret', '.a.json.metadata.json', '.git', 'a/b', 'a\\b', '', '..']) expect(() => resolveFile(event, name), name).toThrow(Refused);
    expect(() => resolveFile(event, 'link.json')).toThrow(/symbolic link/);
    expect(() => checkFileName('ok.txt')).not.toThrow();
  });

  it('commits: hex only', () => {
    expect(() => checkCommit('abc1234')).not.toThrow();
    for (const c of ['HEAD', '--output=x', 'abc123', 'abc1234:../x', 'ABC1234']) expect(() => checkCommit(c), c).toThrow(Refused);
  });
});
