import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEventAtomically, initEvent, updateEventFlags, validateEventId } from './event.js';

describe('validateEventId', () => {
  it('accepts the ids LLAMA meets', () => {
    for (const id of ['S250924di', 'MS260101a', 'TS190425z', 'GW170817', 'GW190521_030229', 'G330564', 'S250924di-2-Preliminary', 'IceCube-201115A', '136123_12345', 'ev1', 'a.b']) {
      expect({ id, problem: validateEventId(id) }).toEqual({ id, problem: undefined });
    }
  });
  it('refuses, with the reason, what could escape, hide, read as an option or carry shell syntax', () => {
    const cases: [string, string][] = [
      ['', 'empty'],
      ['.', 'directory reference'],
      ['..', 'directory reference'],
      ['../x', 'path separator'],
      ['a\\b', 'path separator'],
      ['a\u0000b', 'control character'],
      ['a\nb', 'control character'],
      ['-rf', 'starts with "-"'],
      ['.hidden', 'starts with a dot'],
      ['a..b', 'contains ".."'],
      ['x;rm -rf ~', 'contains ";"'],
      ['a b', 'contains " "'],
      ['$(id)', 'contains "$"'],
      ['é', 'contains "é"'],
      ['x'.repeat(129), 'longer than 128'],
    ];
    for (const [id, reason] of cases) expect(validateEventId(id)).toContain(reason);
  });
});

describe('createEventAtomically', () => {
  const git = (dir: string, ...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8' });

  it('renames a complete event into place: flags, first commit and what fill wrote; no staging left', async () => {
    const run = mkdtempSync(join(tmpdir(), 'llama-create-'));
    let sawStaging = '';
    const { event, created } = await createEventAtomically(run, 'S1', {
      flags: { UPLOAD: 'true' },
      versioning: true,
      fill: async (staged) => {
        sawStaging = staged.eventDir;
        // While filling, the run shows no event (only a hidden staging directory).
        expect(readdirSync(run).filter((n) => !n.startsWith('.'))).toEqual([]);
        writeFileSync(join(staged.eventDir, 'trigger.txt'), 'x\n');
        return 'Wrote the trigger.\n\ntrigger.txt\n';
      },
    });
    expect(created).toBe(true);
    expect(sawStaging).toMatch(/\/\.S1\.creating-\d+-[0-9a-f]+$/);
    expect(JSON.parse(readFileSync(join(event.eventDir, 'FLAGS.json'), 'utf8'))).toMatchObject({ UPLOAD: 'true' });
    // One first commit holds the flags and what fill wrote, with fill's text as its body.
    expect(git(event.eventDir, 'log', '--format=%B')).toBe('Initialized event S1\n\nWrote the trigger.\n\ntrigger.txt\n\n');
    expect(git(event.eventDir, 'ls-files').split('\n').sort()).toEqual(['', '.gitignore', 'FLAGS.json', 'trigger.txt']);
    expect(git(event.eventDir, 'status', '--porcelain')).toBe('');
    expect(readdirSync(run)).toEqual(['S1']);
  });

  it('an existing event is not touched; a lost race returns created=false and discards the copy', async () => {
    const run = mkdtempSync(join(tmpdir(), 'llama-create-'));
    await initEvent(run, 'S1', { versioning: false });
    expect((await createEventAtomically(run, 'S1', { flags: { VETOED: 'true' }, versioning: false })).created).toBe(false);
    expect(JSON.parse(readFileSync(join(run, 'S1', 'FLAGS.json'), 'utf8'))).toMatchObject({ VETOED: 'false' });
    // Another creator finishes while we fill: ours loses and is removed.
    const lost = await createEventAtomically(run, 'S2', {
      versioning: false,
      fill: async () => {
        await initEvent(run, 'S2', { versioning: false, flags: { MANUAL: 'true' } });
      },
    });
    expect(lost.created).toBe(false);
    expect(JSON.parse(readFileSync(join(run, 'S2', 'FLAGS.json'), 'utf8'))).toMatchObject({ MANUAL: 'true' });
    expect(readdirSync(run).sort()).toEqual(['S1', 'S2']);
  });

  it("sweeps a dead creator's staging directory and refuses bad ids", async () => {
    const run = mkdtempSync(join(tmpdir(), 'llama-create-'));
    const dead = join(run, '.S9.creating-999999999-abcd1234');
    execFileSync('mkdir', ['-p', dead]);
    await createEventAtomically(run, 'S1', { versioning: false });
    expect(existsSync(dead)).toBe(false);
    await expect(createEventAtomically(run, '../x', { versioning: false })).rejects.toThrow('path separator');
  });
});

describe('updateEventFlags repairs an invalid FLAGS.json', () => {
  it('only when every invalid flag is set by the update', async () => {
    const run = mkdtempSync(join(tmpdir(), 'llama-create-'));
    const event = await initEvent(run, 'S1', { versioning: false, flags: { ROLE: 'observation' } });
    writeFileSync(join(event.eventDir, 'FLAGS.json'), JSON.stringify({ ROLE: 'observation', UPLOAD: 'maybe' }));
    await expect(updateEventFlags(event.eventDir, { VETOED: 'true' }, { versioning: false })).rejects.toThrow('set UPLOAD too');
    const fixed = await updateEventFlags(event.eventDir, { UPLOAD: 'false' }, { versioning: false });
    expect(fixed).toMatchObject({ ROLE: 'observation', UPLOAD: 'false' });
  });
});
