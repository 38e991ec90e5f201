import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync, renameSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import xxhash from 'xxhash-wasm';

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
const RACY_MARGIN_MS = 50;

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

/** A persisted row: inode, size, mtime, ctime, when the file was read, the hash or parsed value. */
type IndexRow = [number, number, number, number, number, unknown];
type IndexTable = Record<string, Record<string, IndexRow>>;
interface IndexFile {
  v: 4;
  /** Hashes, by directory then file name. */
  h: IndexTable;
  /** Parsed small files (riders), by directory then file name. */
  p: IndexTable;
}

interface ParsedEntry extends Identity {
  value: unknown;
}

/**
 * Content hashes keyed by path and validated by (inode, size, mtime, ctime): a pass over
 * unchanged files costs stat calls, not reads. Persisted as one file per run so that a fresh
 * process does not re-read thousands of files.
 */
export class HashCache {
  readonly #entries = new Map<string, Entry>();
  /** Parsed small files (metadata riders), under the same stat-key rule as hashes. */
  readonly #parsed = new Map<string, ParsedEntry>();
  #dirty = false;
  hits = 0;
  misses = 0;

  /** Hash of the file at `path` whose stat is `stat`; reads the file only when needed. */
  hash(path: string, stat: Stats): ContentHash {
    const entry = this.#entries.get(path);
    if (entry !== undefined && unchanged(entry, stat)) {
      this.hits++;
      return entry.hash;
    }
    this.misses++;
    const hash = xxh64(readFileSync(path));
    this.record(path, stat, hash);
    return hash;
  }

  /** `parse(text)` of the file at `path`, re-read only when its stat key changed. */
  parsed<T>(path: string, stat: Stats, parse: (text: string) => T): T {
    const entry = this.#parsed.get(path);
    if (entry !== undefined && unchanged(entry, stat)) {
      this.hits++;
      return entry.value as T;
    }
    this.misses++;
    const at = Date.now();
    const value = parse(readFileSync(path, 'utf8'));
    this.#parsed.set(path, { ...identity(stat, at), value });
    this.#dirty = true;
    return value;
  }

  /** Remember a hash computed elsewhere (e.g. of an output we just wrote). */
  record(path: string, stat: Stats, hash: ContentHash, hashedAt = Date.now()): void {
    this.#entries.set(path, { ...identity(stat, hashedAt), hash });
    this.#dirty = true;
  }

  forget(path: string): void {
    if (this.#entries.delete(path)) this.#dirty = true;
    if (this.#parsed.delete(path)) this.#dirty = true;
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * Load a persisted cache; a missing or corrupt file just means an empty cache. The file groups
   * entries by directory so a run of thousands of events stays a few MB.
   */
  static load(file: string): HashCache {
    const cache = new HashCache();
    let data: IndexFile;
    try {
      data = JSON.parse(readFileSync(file, 'utf8')) as IndexFile;
    } catch {
      return cache; // start empty: the cache only saves work, it never decides correctness on its own
    }
    if (data.v !== 4 || typeof data.h !== 'object' || typeof data.p !== 'object') return cache;
    for (const [dir, files] of Object.entries(data.h)) {
      for (const [name, r] of Object.entries(files)) {
        cache.#entries.set(`${dir}/${name}`, { ino: r[0], size: r[1], mtimeMs: r[2], ctimeMs: r[3], at: r[4], hash: r[5] as ContentHash });
      }
    }
    for (const [dir, files] of Object.entries(data.p)) {
      for (const [name, r] of Object.entries(files)) {
        cache.#parsed.set(`${dir}/${name}`, { ino: r[0], size: r[1], mtimeMs: r[2], ctimeMs: r[3], at: r[4], value: r[5] });
      }
    }
    return cache;
  }

  save(file: string): void {
    if (!this.#dirty) return;
    const h: IndexTable = {};
    const p: IndexTable = {};
    const put = (table: IndexTable, path: string, row: IndexRow): void => {
      const cut = path.lastIndexOf('/');
      (table[path.slice(0, cut)] ??= {})[path.slice(cut + 1)] = row;
    };
    for (const [path, e] of this.#entries) put(h, path, [e.ino, e.size, e.mtimeMs, e.ctimeMs, e.at, e.hash]);
    for (const [path, e] of this.#parsed) put(p, path, [e.ino, e.size, e.mtimeMs, e.ctimeMs, e.at, e.value]);
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ v: 4, h, p } satisfies IndexFile));
    renameSync(tmp, file);
    this.#dirty = false;
  }
}
