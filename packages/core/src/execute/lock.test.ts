import { mkdirSync, mkdtempSync, writeFileSync, utimesSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { withEventLock } from './lock.js';

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
});
