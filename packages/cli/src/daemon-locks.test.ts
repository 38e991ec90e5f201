import { describe, expect, it } from 'vitest';
import { competes, globsIntersect, lockDirName, quotePlus, simplifyGlob, unquotePlus, type DaemonEntry } from './daemon-locks.js';

describe('3.5.1 daemon lock naming', () => {
  it('quote_plus like Python', () => {
    expect(quotePlus('/root/.local/share/llama/current_run')).toBe('%2Froot%2F.local%2Fshare%2Fllama%2Fcurrent_run');
    expect(quotePlus('a b+c')).toBe('a+b%2Bc');
    expect(unquotePlus(quotePlus('/x y/+z'))).toBe('/x y/+z');
  });
  it('simplifies globs', () => {
    expect(simplifyGlob('a*b*c')).toBe('a*c');
    expect(simplifyGlob('S19?[0-9]x')).toBe('S19*x');
    expect(simplifyGlob('S1')).toBe('S1');
  });
  it('names lock directories after sorted run dirs and the glob', () => {
    expect(lockDirName(['/b', '/a'], '*')).toBe('%2Fa,%2Fb+%2A');
    expect(lockDirName(['/' + 'x'.repeat(200)], 'S*')).toMatch(/^[0-9a-f]{40}\+S%2A$/);
  });
  it('intersects globs conservatively', () => {
    expect(globsIntersect('S1', 'S1')).toBe(true);
    expect(globsIntersect('S1', 'S2')).toBe(false);
    expect(globsIntersect('S*', 'S19*')).toBe(true);
    expect(globsIntersect('S*', 'G*')).toBe(false);
    expect(globsIntersect('S*z', 'S19*')).toBe(true);
    expect(globsIntersect('S190425z', 'S*z')).toBe(true);
    expect(globsIntersect('S190425a', 'S*z')).toBe(false);
  });
});

describe('competing daemons', () => {
  const entry = (runDirs: string[] | undefined, glob: string): DaemonEntry => ({ lockDir: '/x', name: 'x', runDirs, glob, pid: 1, commandLine: undefined, startedAt: undefined, alive: true });
  it('compete only when run directories AND globs intersect (3.5.1: OR)', () => {
    expect(competes(entry(['/runs/a'], '*'), ['/runs/b'], '*')).toBe(false);
    expect(competes(entry(['/runs/a'], 'S*'), ['/runs/a'], 'G*')).toBe(false);
    expect(competes(entry(['/runs/a'], 'S*'), ['/runs/a'], 'S19*')).toBe(true);
    expect(competes(entry(['/runs/a', '/runs/b'], '*'), ['/runs/b'], 'S1')).toBe(true);
    // A hashed (long) run part cannot be compared: assumed to intersect.
    expect(competes(entry(undefined, '*'), ['/runs/b'], 'S1')).toBe(true);
    expect(competes(entry(undefined, 'G*'), ['/runs/b'], 'S1')).toBe(false);
  });
});

describe('claiming a daemon lock directory', () => {
  it('appears with its pid already inside, once', async () => {
    const { mkdtempSync, readFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { claimLockDir, listDaemons } = await import('./daemon-locks.js');
    const root = mkdtempSync(join(tmpdir(), 'llama-locks-'));
    const lockDir = join(root, '%2Frun+%2A');
    expect(claimLockDir(lockDir, process.pid, 'llama run /run/')).toBe(true);
    expect(readFileSync(join(lockDir, 'pid'), 'utf8').trim()).toBe(String(process.pid));
    expect(claimLockDir(lockDir, process.pid, 'llama run /run/')).toBe(false);
    expect(listDaemons(root).map((e) => [e.runDirs, e.glob, e.alive])).toEqual([[['/run'], '*', true]]);
  });
});
