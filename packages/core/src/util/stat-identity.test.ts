import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fastStatInUse, statIdentity } from './stat-identity.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'llama-statid-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function fromStatSync(path: string): number[] {
  const s = statSync(path);
  return [s.ino, s.size, s.mtimeMs, s.ctimeMs];
}

describe('statIdentity', () => {
  it('gives exactly the numbers statSync gives, for files and directories, as they change', () => {
    const file = join(dir, 'a.dat');
    writeFileSync(file, 'one');
    const out = new Float64Array(8);
    expect(statIdentity(file, out, 4)).toBe(true);
    expect([...out.subarray(4)]).toEqual(fromStatSync(file));
    // A sub-millisecond mtime must survive as the same double.
    utimesSync(file, 1_700_000_000.123456, 1_700_000_000.654321);
    writeFileSync(file, 'longer content');
    expect(statIdentity(file, out, 0)).toBe(true);
    expect([...out.subarray(0, 4)]).toEqual(fromStatSync(file));
    expect(statIdentity(dir, out, 0)).toBe(true);
    expect([...out.subarray(0, 4)]).toEqual(fromStatSync(dir));
  });

  it('answers false for a missing path and throws for a path through a file, as statSync does', () => {
    const out = new Float64Array(4).fill(7);
    expect(statIdentity(join(dir, 'missing'), out, 0)).toBe(false);
    expect([...out]).toEqual([7, 7, 7, 7]);
    writeFileSync(join(dir, 'f'), '');
    expect(() => statIdentity(join(dir, 'f', 'below'), out, 0)).toThrow(/ENOTDIR/);
  });

  it('uses the fast path on Node 20, and statSync when LLAMA_FAST_STAT=off or deprecations are pending', async () => {
    if (process.versions.node.startsWith('20.')) expect(fastStatInUse()).toBe(true);
    const fresh = async (env: Record<string, string>): Promise<boolean> => {
      const saved = { ...process.env };
      Object.assign(process.env, env);
      try {
        vi.resetModules();
        const module = await import('./stat-identity.js');
        return module.fastStatInUse();
      } finally {
        for (const key of Object.keys(env)) if (saved[key] === undefined) delete process.env[key];
        Object.assign(process.env, saved);
      }
    };
    expect(await fresh({ LLAMA_FAST_STAT: 'off' })).toBe(false);
    expect(await fresh({ NODE_OPTIONS: `${process.env['NODE_OPTIONS'] ?? ''} --pending-deprecation` })).toBe(false);
    if (process.versions.node.startsWith('20.')) expect(await fresh({})).toBe(true);
  });
});
