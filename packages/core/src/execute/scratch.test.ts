import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withEventLock } from './lock.js';
import { EventScratch, ScratchPool } from './generate.js';
import { parseIntent } from '../event/riders.js';

function eventDir(): string {
  return mkdtempSync(join(tmpdir(), 'llama-scratch-'));
}

describe('EventScratch', () => {
  it('writes each intent whole into place and keeps the retired file for the next one (same inode)', () => {
    const dir = eventDir();
    const pool = new ScratchPool();
    const scratch = new EventScratch(dir, pool);
    const intent = join(dir, '.a.dat.intent.json');
    scratch.writeIntent(intent, '{"expiry": 1, "pid": 1}');
    const first = statSync(intent).ino;
    scratch.retireIntent(intent);
    expect(existsSync(intent)).toBe(false);
    scratch.writeIntent(join(dir, '.b.dat.intent.json'), '{"expiry": 2}');
    expect(statSync(join(dir, '.b.dat.intent.json')).ino).toBe(first);
    // The reused file holds the new content, padded with spaces where the old one was longer.
    expect(readFileSync(join(dir, '.b.dat.intent.json'), 'utf8')).toBe('{"expiry": 2}          ');
    expect(parseIntent(readFileSync(join(dir, '.b.dat.intent.json'), 'utf8'))).toEqual({ expiresAt: 2000 });
    scratch.retireIntent(join(dir, '.b.dat.intent.json'));
    expect(readdirSync(join(dir, '.tmp.d'))).toEqual([expect.stringMatching(new RegExp(`^intent\\.${process.pid}\\.[0-9a-f]{8}\\.tmp$`))]);
    pool.close();
    expect(existsSync(join(dir, '.tmp.d'))).toBe(false); // removed when left empty
  });

  it('moves a spare intent and a free work directory to the next event instead of making new ones', () => {
    const first = eventDir();
    const second = eventDir();
    const pool = new ScratchPool();
    const a = new EventScratch(first, pool);
    a.writeIntent(join(first, '.x.intent.json'), '{"expiry": 1}');
    const ino = statSync(join(first, '.x.intent.json')).ino;
    a.retireIntent(join(first, '.x.intent.json'));
    const work = a.takeWorkDir();
    const workIno = statSync(work).ino;
    a.giveWorkDir(work);

    const b = new EventScratch(second, pool);
    b.writeIntent(join(second, '.y.intent.json'), '{"expiry": 2}');
    expect(statSync(join(second, '.y.intent.json')).ino).toBe(ino);
    const moved = b.takeWorkDir();
    expect(moved.startsWith(join(second, '.tmp.d'))).toBe(true);
    expect(statSync(moved).ino).toBe(workIno);
    expect(readdirSync(join(first, '.tmp.d'))).toEqual([]);
    b.giveWorkDir(moved);
    b.retireIntent(join(second, '.y.intent.json'));
    pool.close();
    expect(existsSync(join(second, '.tmp.d'))).toBe(false); // removed when left empty
  });

  it('retiring an intent that is already gone is not an error', () => {
    const dir = eventDir();
    const pool = new ScratchPool();
    const scratch = new EventScratch(dir, pool);
    expect(() => scratch.retireIntent(join(dir, '.gone.intent.json'))).not.toThrow();
    pool.close();
  });

  it('empties a work directory for reuse, links and nested scratch alike, and removes everything on close', async () => {
    const dir = eventDir();
    const pool = new ScratchPool();
    const scratch = new EventScratch(dir, pool);
    const work = scratch.takeWorkDir();
    writeFileSync(join(work, 'input.dat'), 'x');
    mkdirSync(join(work, 'nested', 'deeper'), { recursive: true });
    writeFileSync(join(work, 'nested', 'deeper', 'f'), 'y');
    scratch.giveWorkDir(work);
    expect(readdirSync(work)).toEqual([]);
    expect(scratch.takeWorkDir()).toBe(work);
    // The lock holder is this process's too; closing the pool removes it.
    await withEventLock(dir, () => undefined);
    expect(readdirSync(join(dir, '.tmp.d')).length).toBe(2);
    pool.close();
    expect(existsSync(join(dir, '.tmp.d'))).toBe(false); // removed when left empty
  });
});
