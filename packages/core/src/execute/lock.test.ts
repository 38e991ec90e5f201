import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync, utimesSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, vi } from 'vitest';
import { releaseLockHolders, withEventLock } from './lock.js';

describe('event lock', () => {
  it('serialises holders', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llama-lock-'));
    const order: string[] = [];
    await Promise.all([
      withEventLock(dir, async () => { order.push('a+'); await sleep(30); order.push('a-'); }),
      withEventLock(dir, async () => { order.push('b+'); await sleep(5); order.push('b-'); }),
    ]);
    expect(order.join(' ')).toMatch(/^(a\+ a- b\+ b-|b\+ b- a\+ a-)$/);
  });

  it('takes over a lock whose owner died', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llama-lock-'));
    mkdirSync(join(dir, '.tmp.d'));
    writeFileSync(join(dir, '.tmp.d', 'EVENTLOCK'), JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), time: Date.now() }));
    expect(await withEventLock(dir, () => 'mine', 2000)).toBe('mine');
  });

  it('takes over a lock older than 20 s, and gives up on a live fresh one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llama-lock-'));
    mkdirSync(join(dir, '.tmp.d'));
    const lock = join(dir, '.tmp.d', 'EVENTLOCK');
    writeFileSync(lock, JSON.stringify({ pid: process.ppid, host: 'elsewhere', time: 0 }));
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    expect(await withEventLock(dir, () => 'stale taken', 2000)).toBe('stale taken');
    writeFileSync(lock, JSON.stringify({ pid: process.ppid, host: hostname(), time: Date.now() }));
    await expect(withEventLock(dir, () => 'never', 200)).rejects.toThrow(/held by pid/);
  });

  it('takes the lock by linking a holder file of its own: no file made or deleted per acquisition', async () => {
    releaseLockHolders(); // the next acquisition makes the process's holder, in this event
    const dir = mkdtempSync(join(tmpdir(), 'llama-lock-'));
    const lock = join(dir, '.tmp.d', 'EVENTLOCK');
    const seen: { ino: number; nlink: number; owner: unknown }[] = [];
    for (let i = 0; i < 3; i++) {
      await withEventLock(dir, () => {
        const stat = statSync(lock);
        seen.push({ ino: stat.ino, nlink: stat.nlink, owner: JSON.parse(readFileSync(lock, 'utf8')).pid });
      });
      expect(existsSync(lock)).toBe(false);
    }
    expect(new Set(seen.map((s) => s.ino)).size).toBe(1);
    expect(seen.every((s) => s.nlink === 2 && s.owner === process.pid)).toBe(true);
    const holders = readdirSync(join(dir, '.tmp.d'));
    expect(holders).toEqual([expect.stringMatching(new RegExp(`^eventlock\\.${process.pid}\\.[0-9a-f]{8}\\.tmp$`))]);
    // One holder serves every event of the process (on one file system).
    const other = mkdtempSync(join(tmpdir(), 'llama-lock-'));
    await withEventLock(other, () => {
      expect(statSync(join(other, '.tmp.d', 'EVENTLOCK')).ino).toBe(seen[0]?.ino);
    });
    expect(readdirSync(join(other, '.tmp.d'))).toEqual([]);
    releaseLockHolders();
    expect(readdirSync(join(dir, '.tmp.d'))).toEqual([]);
  });

  it('does not remove a lock that another process took over while it was held', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llama-lock-'));
    const lock = join(dir, '.tmp.d', 'EVENTLOCK');
    const other = JSON.stringify({ pid: process.ppid, host: hostname(), time: Date.now() });
    await withEventLock(dir, () => {
      // What a process that judged this lock stale does: remove it and take it.
      unlinkSync(lock);
      writeFileSync(lock, other);
    });
    expect(readFileSync(lock, 'utf8')).toBe(other);
    releaseLockHolders();
  });

  it('counts a linked lock\'s age from when it was taken, not from when its holder was made', async () => {
    releaseLockHolders();
    const dir = mkdtempSync(join(tmpdir(), 'llama-lock-'));
    await withEventLock(dir, () => undefined);
    const [holder] = readdirSync(join(dir, '.tmp.d'));
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(dir, '.tmp.d', holder as string), old, old);
    // The holder's mtime is set at most once a second: take the next lock two seconds later.
    const realNow = Date.now.bind(Date);
    const later = vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 2_000);
    try {
      await withEventLock(dir, () => {
        expect(Math.abs(Date.now() - statSync(join(dir, '.tmp.d', 'EVENTLOCK')).mtimeMs)).toBeLessThan(1_000);
      });
    } finally {
      later.mockRestore();
    }
    releaseLockHolders();
  });
});
