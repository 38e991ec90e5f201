import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

// A file system without hard links (some FUSE and SMB mounts): link() fails with EPERM.
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  return {
    ...fs,
    linkSync: () => {
      throw Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM' });
    },
  };
});

const { releaseLockHolders, withEventLock } = await import('./lock.js');

describe('event lock without hard links', () => {
  it('falls back to creating the lock file, and serialises holders all the same', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llama-lock-nolink-'));
    const lock = join(dir, '.tmp.d', 'EVENTLOCK');
    const order: string[] = [];
    await Promise.all(
      ['a', 'b'].map((name) =>
        withEventLock(dir, async () => {
          expect(JSON.parse(readFileSync(lock, 'utf8')).pid).toBe(process.pid);
          order.push(`${name}+`);
          await new Promise((r) => setTimeout(r, 10));
          order.push(`${name}-`);
        }),
      ),
    );
    expect(order.join(' ')).toMatch(/^(a\+ a- b\+ b-|b\+ b- a\+ a-)$/);
    expect(existsSync(lock)).toBe(false);
    // No holder file is left behind.
    releaseLockHolders();
    expect(readdirSync(join(dir, '.tmp.d'))).toEqual([]);
  });
});
