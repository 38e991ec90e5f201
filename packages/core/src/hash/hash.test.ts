import { linkSync, mkdirSync, mkdtempSync, readdirSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HashCache, initHashing, shardName, xxh64 } from './hash.js';

await initHashing();

/** Let the racy-clean window (a few tens of ms after the last change) pass. */
const settle = (): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 80);
};

/** A file written a minute "ago" whose racy window has passed. */
function settledFile(content: string): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'llama-hash-'));
  const file = join(dir, 'a.txt');
  writeFileSync(file, content);
  const old = new Date(Date.now() - 60_000);
  utimesSync(file, old, old);
  settle();
  return { dir, file };
}

describe('stat-keyed hash cache', () => {
  it('hashes with xxh64 and reuses the hash while the stat key holds', () => {
    const { file } = settledFile('alpha');
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

  it('persists one shard per directory, reloads it on first use; a corrupt shard is just a miss', () => {
    const { dir, file } = settledFile('alpha');
    const cache = new HashCache();
    cache.hash(file, statSync(file));
    cache.parsed(file, statSync(file), (t) => t.toUpperCase());
    const index = join(dir, 'index');
    cache.save(index);
    expect(readdirSync(index)).toEqual([shardName(dir)]);
    const again = HashCache.load(index);
    expect(again.size).toBe(0); // nothing read yet
    expect(again.hash(file, statSync(file))).toBe(xxh64(Buffer.from('alpha')));
    expect(again.parsed(file, statSync(file), () => 'reparsed')).toBe('ALPHA');
    expect(again.hits).toBe(2);
    expect(again.size).toBe(1);

    writeFileSync(join(index, shardName(dir)), '{"v": 6, "h": tru');
    const corrupt = HashCache.load(index);
    expect(corrupt.hash(file, statSync(file))).toBe(xxh64(Buffer.from('alpha')));
    expect(corrupt.misses).toBe(1);
    corrupt.save();
    expect(HashCache.load(index).hash(file, statSync(file))).toBe(xxh64(Buffer.from('alpha')));
  });

  it('writes only the shards that changed, and removes emptied ones', () => {
    const root = mkdtempSync(join(tmpdir(), 'llama-hash-'));
    const dirs = ['e1', 'e2'].map((d) => join(root, d));
    for (const d of dirs) {
      mkdirSync(d);
      writeFileSync(join(d, 'f'), d);
      const old = new Date(Date.now() - 60_000);
      utimesSync(join(d, 'f'), old, old);
    }
    settle();
    const index = join(root, 'index');
    const first = HashCache.load(index);
    for (const d of dirs) first.hash(join(d, 'f'), statSync(join(d, 'f')));
    first.save();
    const shard2 = join(index, shardName(dirs[1] as string));
    const before = statSync(shard2).mtimeMs;
    const second = HashCache.load(index);
    second.forget(join(dirs[0] as string, 'f'));
    second.hash(join(dirs[1] as string, 'f'), statSync(join(dirs[1] as string, 'f')));
    second.save();
    expect(readdirSync(index)).toEqual([shardName(dirs[1] as string)]);
    expect(statSync(shard2).mtimeMs).toBe(before);
  });
});

describe('vouching for files this process wrote', () => {
  it('answers for a vouched file whose ctime changed (a hard link to it), without reading it, until forgotten', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llama-vouch-'));
    const file = join(dir, 'out.dat');
    writeFileSync(file, 'real bytes\n');
    const cache = new HashCache();
    const made = statSync(file);
    cache.vouch(file, made, { hash: xxh64(Buffer.from('what we wrote\n')), sha: 'abc', parsed: { kind: 'ok' } });
    linkSync(file, join(dir, 'snapshot'));
    const now = statSync(file);
    expect(now.ctimeMs).toBeGreaterThanOrEqual(made.ctimeMs);
    // The vouched facts are answered, not the bytes on disk: proof that nothing was read.
    expect(cache.hash(file, now)).toBe(xxh64(Buffer.from('what we wrote\n')));
    expect(cache.vouched(file, now)?.sha).toBe('abc');
    expect(cache.parsed(file, now, () => ({ kind: 'read' }))).toEqual({ kind: 'ok' });
    cache.forgetVouched(dir);
    expect(cache.hash(file, now)).toBe(xxh64(Buffer.from('real bytes\n')));
  });

  it('does not answer once the file was rewritten (another size or mtime) or replaced (another inode)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llama-vouch-'));
    const file = join(dir, 'out.dat');
    writeFileSync(file, 'v1\n');
    const cache = new HashCache();
    cache.vouch(file, statSync(file), { hash: xxh64(Buffer.from('v1\n')), sha: 'x' });
    writeFileSync(file, 'v22\n'); // in place: size and mtime change
    expect(cache.vouched(file, statSync(file))).toBeUndefined();
    expect(cache.hash(file, statSync(file))).toBe(xxh64(Buffer.from('v22\n')));
    const other = join(dir, 'other');
    writeFileSync(other, 'v22\n');
    const same = statSync(file);
    utimesSync(other, same.atime, same.mtime);
    cache.vouch(file, same, { hash: xxh64(Buffer.from('v22\n')) });
    renameSync(other, file); // same size and mtime, another inode
    expect(cache.vouched(file, statSync(file))).toBeUndefined();
  });
});
