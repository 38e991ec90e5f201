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

/**
 * The persisted index: per directory, per file name, one string
 * `ino,size,mtimeMs,ctimeMs,at,VALUE` (VALUE: the hash, or the parsed value as JSON). Strings keep
 * JSON.parse fast and let rows be decoded only when a pass asks for them.
 */
type IndexTable = Record<string, Record<string, string>>;
interface IndexFile {
  v: 5;
  /** Hashes. */
  h: IndexTable;
  /** Parsed small files (riders). */
  p: IndexTable;
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

/**
 * Content hashes keyed by path and validated by (inode, size, mtime, ctime): a pass over
 * unchanged files costs stat calls, not reads. Persisted as one file per run so that a fresh
 * process does not re-read thousands of files.
 */
export class HashCache {
  /** Rows read or written by this process; they override the loaded index. */
  readonly #entries = new Map<string, Entry | null>();
  /** Parsed small files (metadata riders), under the same stat-key rule as hashes. */
  readonly #parsed = new Map<string, ParsedEntry | null>();
  /** The index as loaded, decoded row by row on first use. */
  #base: IndexFile | undefined;
  #dirty = false;
  hits = 0;
  misses = 0;

  #entry(path: string): Entry | undefined {
    const own = this.#entries.get(path);
    if (own !== undefined) return own ?? undefined;
    const [dir, name] = splitPath(path);
    const row = this.#base?.h[dir]?.[name];
    if (row === undefined) return undefined;
    const decoded = decodeRow(row);
    if (decoded === undefined) return undefined;
    const entry = { ...decoded.identity, hash: decoded.rest as ContentHash };
    this.#entries.set(path, entry);
    return entry;
  }

  #parsedEntry(path: string): ParsedEntry | undefined {
    const own = this.#parsed.get(path);
    if (own !== undefined) return own ?? undefined;
    const [dir, name] = splitPath(path);
    const row = this.#base?.p[dir]?.[name];
    if (row === undefined) return undefined;
    const decoded = decodeRow(row);
    if (decoded === undefined) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(decoded.rest);
    } catch {
      return undefined;
    }
    const entry = { ...decoded.identity, value };
    this.#parsed.set(path, entry);
    return entry;
  }

  /** Hash of the file at `path` whose stat is `stat`; reads the file only when needed. */
  hash(path: string, stat: Stats): ContentHash {
    const entry = this.#entry(path);
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
    const entry = this.#parsedEntry(path);
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
    const previous = this.#entry(path);
    this.#entries.set(path, { ...identity(stat, hashedAt), hash });
    // A re-hash that found the same file and bytes (a racily clean file, e.g. one with an mtime
    // in the future) changes nothing worth rewriting the whole index for.
    const same =
      previous !== undefined &&
      previous.hash === hash &&
      previous.ino === stat.ino &&
      previous.size === stat.size &&
      previous.mtimeMs === stat.mtimeMs &&
      previous.ctimeMs === stat.ctimeMs;
    if (!same) this.#dirty = true;
  }

  forget(path: string): void {
    this.#entries.set(path, null);
    this.#parsed.set(path, null);
    this.#dirty = true;
  }

  /** Hash entries known (loaded or recorded). */
  get size(): number {
    let n = 0;
    for (const files of Object.values(this.#base?.h ?? {})) n += Object.keys(files).length;
    for (const [path, e] of this.#entries) {
      const [dir, name] = splitPath(path);
      const inBase = this.#base?.h[dir]?.[name] !== undefined;
      if (e === null && inBase) n--;
      if (e !== null && !inBase) n++;
    }
    return n;
  }

  /** Load a persisted cache; a missing or corrupt file just means an empty cache. */
  static load(file: string): HashCache {
    const cache = new HashCache();
    try {
      const data = JSON.parse(readFileSync(file, 'utf8')) as IndexFile;
      if (data.v === 5 && typeof data.h === 'object' && data.h !== null && typeof data.p === 'object' && data.p !== null) cache.#base = data;
    } catch {
      // start empty: the cache only saves work, it never decides correctness on its own
    }
    return cache;
  }

  save(file: string): void {
    if (!this.#dirty) return;
    const h: IndexTable = { ...this.#base?.h };
    const p: IndexTable = { ...this.#base?.p };
    // Copy a directory's rows once before changing them: the loaded index stays untouched.
    const copied = new Set<Record<string, string>>();
    const put = (table: IndexTable, path: string, row: string | null): void => {
      const [dir, name] = splitPath(path);
      let files = table[dir];
      if (files === undefined || !copied.has(files)) {
        files = { ...files };
        copied.add(files);
        table[dir] = files;
      }
      if (row === null) delete files[name];
      else files[name] = row;
    };
    for (const [path, e] of this.#entries) put(h, path, e === null ? null : `${encodeIdentity(e)}${e.hash}`);
    for (const [path, e] of this.#parsed) put(p, path, e === null ? null : `${encodeIdentity(e)}${JSON.stringify(e.value)}`);
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ v: 5, h, p } satisfies IndexFile));
    renameSync(tmp, file);
    this.#base = { v: 5, h, p };
    this.#entries.clear();
    this.#parsed.clear();
    this.#dirty = false;
  }
}
