import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync, renameSync, rmSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import xxhash from 'xxhash-wasm';
import { fileKey, sameFile, type FileKey } from '../util/fs.js';

/** Hex xxh64 of some bytes (seed 0). */
export type ContentHash = string & { readonly __brand: 'xxh64' };

type Hasher = Awaited<ReturnType<typeof xxhash>>;
let hasher: Hasher | undefined;

/** Load the xxhash wasm module once; every other function here is synchronous afterwards. */
export async function initHashing(): Promise<void> {
  hasher ??= await xxhash();
}

export function xxh64(bytes: Uint8Array): ContentHash {
  if (hasher === undefined) throw new Error('initHashing() must be awaited before hashing');
  return hasher.h64Raw(bytes).toString(16).padStart(16, '0') as ContentHash;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}


/**
 * Timestamps are coarse (a kernel tick); a file modified within one tick of being hashed may
 * change again without its mtime changing. Such entries are re-hashed (git's racy-clean rule).
 */
export const RACY_MARGIN_MS = 50;

/** (inode, size, mtime, ctime): if none changed, neither did the bytes (racy files aside). */
interface Identity {
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  /** Wall-clock ms when the file was read. */
  at: number;
}

interface Entry extends Identity {
  hash: ContentHash;
}

function identity(stat: Stats, at: number): Identity {
  return { ino: stat.ino, size: stat.size, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs, at };
}

/** A file this process wrote, and what it holds (see `HashCache.vouch`). */
export interface Vouched extends FileKey {
  readonly hash?: ContentHash;
  readonly sha?: string;
  readonly parsed?: unknown;
}

/** Same file, same bytes, and not racily clean. */
function unchanged(e: Identity, stat: Stats): boolean {
  return (
    e.ino === stat.ino &&
    e.size === stat.size &&
    e.mtimeMs === stat.mtimeMs &&
    e.ctimeMs === stat.ctimeMs &&
    (stat.mtimeMs > stat.ctimeMs ? stat.mtimeMs : stat.ctimeMs) < e.at - RACY_MARGIN_MS
  );
}

/**
 * The persisted index is sharded by directory (an event directory, in practice): one small JSON
 * file per directory, `{v, dir, h, p}`, where `h` and `p` map file names to rows
 * `ino,size,mtimeMs,ctimeMs,at,VALUE` (VALUE: the hash, or the parsed value as JSON). A pass
 * reads only the shards of the events it has to look into, and writes only those that changed,
 * so the cost of a pass does not grow with the size of the run.
 */
type Rows = Record<string, string>;
interface ShardFile {
  v: 6;
  dir: string;
  /** Hashes. */
  h: Rows;
  /** Parsed small files (riders). */
  p: Rows;
}

function encodeIdentity(e: Identity): string {
  return `${e.ino},${e.size},${e.mtimeMs},${e.ctimeMs},${e.at},`;
}

/** Split a row into its identity and the value text after the fifth comma. */
function decodeRow(row: string): { identity: Identity; rest: string } | undefined {
  let cut = -1;
  const fields: number[] = [];
  for (let i = 0; i < 5; i++) {
    const next = row.indexOf(',', cut + 1);
    if (next === -1) return undefined;
    fields.push(Number(row.slice(cut + 1, next)));
    cut = next;
  }
  const [ino, size, mtimeMs, ctimeMs, at] = fields as [number, number, number, number, number];
  return { identity: { ino, size, mtimeMs, ctimeMs, at }, rest: row.slice(cut + 1) };
}

function splitPath(path: string): [string, string] {
  const cut = path.lastIndexOf('/');
  return [path.slice(0, cut), path.slice(cut + 1)];
}

interface ParsedEntry extends Identity {
  value: unknown;
}

/** One directory's entries. */
interface Shard {
  readonly hashes: Map<string, Entry>;
  readonly parsed: Map<string, ParsedEntry>;
  dirty: boolean;
}

/** The shard file of a directory: a fixed-length name, whatever the directory's path. */
export function shardName(dir: string): string {
  return `${createHash('sha1').update(dir).digest('hex').slice(0, 20)}.json`;
}

function readShard(file: string, dir: string): Shard {
  const shard: Shard = { hashes: new Map(), parsed: new Map(), dirty: false };
  let data: ShardFile;
  try {
    data = JSON.parse(readFileSync(file, 'utf8')) as ShardFile;
  } catch {
    return shard; // missing or corrupt: the cache only saves work, it never decides on its own
  }
  if (data.v !== 6 || data.dir !== dir || typeof data.h !== 'object' || typeof data.p !== 'object' || data.h === null || data.p === null) return shard;
  for (const [name, row] of Object.entries(data.h)) {
    const decoded = typeof row === 'string' ? decodeRow(row) : undefined;
    if (decoded !== undefined) shard.hashes.set(name, { ...decoded.identity, hash: decoded.rest as ContentHash });
  }
  for (const [name, row] of Object.entries(data.p)) {
    const decoded = typeof row === 'string' ? decodeRow(row) : undefined;
    if (decoded === undefined) continue;
    try {
      shard.parsed.set(name, { ...decoded.identity, value: JSON.parse(decoded.rest) as unknown });
    } catch {
      // a damaged row is just a miss
    }
  }
  return shard;
}

/**
 * Content hashes keyed by path and validated by (inode, size, mtime, ctime): a pass over
 * unchanged files costs stat calls, not reads. Persisted (optionally) as one shard per
 * directory under `root`, loaded on first use.
 */
export class HashCache {
  readonly #root: string | undefined;
  readonly #shards = new Map<string, Shard>();
  readonly #vouched = new Map<string, Map<string, Vouched>>();
  hits = 0;
  misses = 0;

  /** An in-memory cache; with `root`, shards are read from and saved to that directory. */
  constructor(root?: string) {
    this.#root = root;
  }

  #shard(dir: string): Shard {
    let shard = this.#shards.get(dir);
    if (shard === undefined) {
      shard = this.#root === undefined ? { hashes: new Map(), parsed: new Map(), dirty: false } : readShard(join(this.#root, shardName(dir)), dir);
      this.#shards.set(dir, shard);
    }
    return shard;
  }

  /** Hash of the file at `path` whose stat is `stat`; reads the file only when needed. */
  hash(path: string, stat: Stats): ContentHash {
    const [dir, name] = splitPath(path);
    const entry = this.#shard(dir).hashes.get(name);
    if (entry !== undefined && unchanged(entry, stat)) {
      this.hits++;
      return entry.hash;
    }
    const vouched = this.#vouchedFor(dir, name, stat);
    if (vouched?.hash !== undefined) {
      this.hits++;
      return vouched.hash;
    }
    this.misses++;
    const hash = xxh64(readFileSync(path));
    this.record(path, stat, hash);
    return hash;
  }

  /** `parse(text)` of the file at `path`, re-read only when its stat key changed. */
  parsed<T>(path: string, stat: Stats, parse: (text: string) => T): T {
    const [dir, name] = splitPath(path);
    const shard = this.#shard(dir);
    const entry = shard.parsed.get(name);
    if (entry !== undefined && unchanged(entry, stat)) {
      this.hits++;
      return entry.value as T;
    }
    const vouched = this.#vouchedFor(dir, name, stat);
    if (vouched !== undefined && 'parsed' in vouched) {
      this.hits++;
      return vouched.parsed as T;
    }
    this.misses++;
    const at = Date.now();
    const value = parse(readFileSync(path, 'utf8'));
    shard.parsed.set(name, { ...identity(stat, at), value });
    shard.dirty = true;
    return value;
  }

  /** Remember a hash computed elsewhere (e.g. of an output we just wrote). */
  record(path: string, stat: Stats, hash: ContentHash, hashedAt = Date.now()): void {
    const [dir, name] = splitPath(path);
    const shard = this.#shard(dir);
    const previous = shard.hashes.get(name);
    shard.hashes.set(name, { ...identity(stat, hashedAt), hash });
    // A re-hash that found the same file and bytes (a racily clean file, e.g. one with an mtime
    // in the future) changes nothing worth rewriting the shard for.
    const same =
      previous !== undefined &&
      previous.hash === hash &&
      previous.ino === stat.ino &&
      previous.size === stat.size &&
      previous.mtimeMs === stat.mtimeMs &&
      previous.ctimeMs === stat.ctimeMs;
    if (!same) shard.dirty = true;
  }

  /**
   * Vouch for a file this process has just written and renamed into place: until `forgetVouched`,
   * a file with the same inode, size and mtime is taken to hold these bytes (hash, sha256) or this
   * parsed value, without the racy rule and the ctime, which the engine's own hard links to it
   * (input snapshots) keep changing. Never persisted: the next pass checks the file in full.
   * What it misses is an edit in place during the pass that keeps the size and restores the
   * mtime; the next plan that reads the file sees it.
   */
  vouch(path: string, stat: FileKey, facts: { readonly hash?: ContentHash; readonly sha?: string; readonly parsed?: unknown }): void {
    const [dir, name] = splitPath(path);
    let files = this.#vouched.get(dir);
    if (files === undefined) this.#vouched.set(dir, (files = new Map()));
    files.set(name, { ...fileKey(stat), ...facts });
  }

  /** What was vouched for the file at `path` whose stat is `stat`, if it is still that file. */
  vouched(path: string, stat: FileKey): Vouched | undefined {
    const [dir, name] = splitPath(path);
    return this.#vouchedFor(dir, name, stat);
  }

  #vouchedFor(dir: string, name: string, stat: FileKey): Vouched | undefined {
    const vouched = this.#vouched.get(dir)?.get(name);
    return vouched !== undefined && sameFile(vouched, stat) ? vouched : undefined;
  }

  /** Drop what was vouched for the files of `dir` (default: of every directory). */
  forgetVouched(dir?: string): void {
    if (dir === undefined) this.#vouched.clear();
    else this.#vouched.delete(dir);
  }

  forget(path: string): void {
    const [dir, name] = splitPath(path);
    const shard = this.#shard(dir);
    if (shard.hashes.delete(name)) shard.dirty = true;
    if (shard.parsed.delete(name)) shard.dirty = true;
  }

  /** Hash entries held in memory (of the shards loaded so far). */
  get size(): number {
    let n = 0;
    for (const shard of this.#shards.values()) n += shard.hashes.size;
    return n;
  }

  /** Open a persisted cache rooted at directory `root` (created on the first save). */
  static load(root: string): HashCache {
    return new HashCache(root);
  }

  /** Write the shards that changed (to `root`, or to the directory the cache was opened on). */
  save(root = this.#root): void {
    if (root === undefined) return;
    let made = false;
    for (const [dir, shard] of this.#shards) {
      if (!shard.dirty && root === this.#root) continue;
      const file = join(root, shardName(dir));
      if (shard.hashes.size === 0 && shard.parsed.size === 0) {
        rmSync(file, { force: true });
      } else {
        if (!made) mkdirSync(root, { recursive: true });
        made = true;
        const h: Rows = {};
        const p: Rows = {};
        for (const [name, e] of shard.hashes) h[name] = `${encodeIdentity(e)}${e.hash}`;
        for (const [name, e] of shard.parsed) p[name] = `${encodeIdentity(e)}${JSON.stringify(e.value)}`;
        const tmp = `${file}.${process.pid}.tmp`;
        writeFileSync(tmp, JSON.stringify({ v: 6, dir, h, p } satisfies ShardFile));
        renameSync(tmp, file);
      }
      shard.dirty = false;
    }
  }
}
