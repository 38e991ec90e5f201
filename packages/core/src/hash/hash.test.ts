import { mkdtempSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HashCache, initHashing, xxh64 } from './hash.js';

await initHashing();

/** Let the racy-clean window (a few tens of ms after the last change) pass. */
const settle = (): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 80);
};

describe('stat-keyed hash cache', () => {
  it('hashes with xxh64 and reuses the hash while the stat key holds', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llama-hash-'));
    const file = join(dir, 'a.txt');
    writeFileSync(file, 'alpha');
    const old = new Date(Date.now() - 60_000);
    utimesSync(file, old, old);
    settle();
    const cache = new HashCache();
    expect(cache.hash(file, statSync(file))).toBe(xxh64(Buffer.from('alpha')));
    expect(cache.misses).toBe(1);
    cache.hash(file, statSync(file));
    expect(cache.hits).toBe(1);
  });

  it('re-hashes racily clean files (modified within a tick of being hashed)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llama-hash-'));
    const file = join(dir, 'a.txt');
    writeFileSync(file, 'alpha');
    const cache = new HashCache();
    cache.hash(file, statSync(file));
    // Same size, same mtime: only the racy-clean rule catches this rewrite.
    const { mtime } = statSync(file);
    writeFileSync(file, 'omega');
    utimesSync(file, mtime, mtime);
    expect(cache.hash(file, statSync(file))).toBe(xxh64(Buffer.from('omega')));
  });

  it('persists and reloads; a corrupt index is just empty', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llama-hash-'));
    const file = join(dir, 'a.txt');
    writeFileSync(file, 'alpha');
    const old = new Date(Date.now() - 60_000);
    utimesSync(file, old, old);
    settle();
    const cache = new HashCache();
    cache.hash(file, statSync(file));
    cache.parsed(file, statSync(file), (t) => t.toUpperCase());
    const index = join(dir, 'index.json');
    cache.save(index);
    const again = HashCache.load(index);
    expect(again.size).toBe(1);
    expect(again.hash(file, statSync(file))).toBe(xxh64(Buffer.from('alpha')));
    expect(again.parsed(file, statSync(file), () => 'reparsed')).toBe('ALPHA');
    expect(again.hits).toBe(2);
    writeFileSync(index, '{"v": 5, "h": tru');
    expect(HashCache.load(index).size).toBe(0);
  });
});
