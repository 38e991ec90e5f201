import { accessSync, closeSync, constants, fstatSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { TMP_DIRNAME } from '../event/paths.js';

/**
 * A name for a temp file of this process in `.tmp.d/`: `<base>.<pid>.<8 hex>.tmp` (the form
 * `sweepTmpDir` recognises). The hex part is a per-process random start plus a counter: unique
 * within the process without asking the kernel for randomness on every write, and unlikely to
 * meet another host's process of the same pid on a shared file system.
 */
let tmpCounter = randomBytes(4).readUInt32BE(0);
export function tmpName(base: string): string {
  tmpCounter = (tmpCounter + 1) >>> 0;
  return `${base}.${process.pid}.${tmpCounter.toString(16).padStart(8, '0')}.tmp`;
}

/** Open a new file in a `.tmp.d/` that usually exists already (one mkdir only when it does not). */
export function openInTmpDir(tmpDir: string, name: string, flags: string | number = 'w'): { path: string; fd: number } {
  const path = join(tmpDir, name);
  try {
    return { path, fd: openSync(path, flags, 0o644) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return { path, fd: retryOnMissingDir(tmpDir, () => openSync(path, flags, 0o644)) };
}

/**
 * Make `dir` and run `create` in it; again if `dir` vanished in between: a pass removes an event's
 * `.tmp.d/` when it finds it empty (`sweepScratch`), which may happen between the two.
 */
export function retryOnMissingDir<T>(dir: string, create: () => T): T {
  for (let attempt = 0; ; attempt++) {
    mkdirSync(dir, { recursive: true });
    try {
      return create();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 4) throw error;
    }
  }
}

/** Write all of `bytes` at the file's current position. */
export function writeAllSync(fd: number, content: string | Uint8Array): void {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
}

/**
 * Write a file so that readers see either the old or the new content, never a torn one: write a
 * temp file in the event's `.tmp.d/`, fsync it, rename it into place.
 */
/** Enough of a stat to tell a file from one that replaced it, or from its own rewrite. */
export interface FileKey {
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
}

export function fileKey(stat: FileKey): FileKey {
  return { ino: stat.ino, size: stat.size, mtimeMs: stat.mtimeMs };
}

export function sameFile(a: FileKey, b: FileKey): boolean {
  return a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

export function writeFileAtomicSync(path: string, content: string | Uint8Array, options: { durable?: boolean } = {}): FileKey {
  const { path: tmp, fd } = openInTmpDir(join(dirname(path), TMP_DIRNAME), tmpName(basename(path)));
  try {
    let written: FileKey;
    try {
      writeAllSync(fd, content);
      if (options.durable !== false) fsyncSync(fd);
      written = fileKey(fstatSync(fd));
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    return written;
  } catch (error) {
    // e.g. ENOSPC: leave nothing half-written behind.
    rmSync(tmp, { force: true });
    throw error;
  }
}

/** Is a process with this pid alive (on this host)? */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

let host: string | undefined;
/** This machine's name, asked once: lock and intent files record it on every generation. */
export function hostName(): string {
  host ??= hostname();
  return host;
}

/** An errno as an operator reads it. */
export function describeFsCause(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOTDIR':
      return 'a component of the path is a file, not a directory';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOENT':
      return 'no such file or directory, and it cannot be created there';
    case 'EEXIST':
      return 'it exists and is not a directory';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EISDIR':
      return 'it is a directory';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

/**
 * Make sure a directory exists and this process can create files in it; a ConfigError (exit 2)
 * naming `what`, the path and the cause otherwise. An unusable environment is a configuration
 * error, never an internal one.
 */
export function ensureUsableDir(path: string, what: string): void {
  try {
    mkdirpSync(path);
    accessSync(path, constants.W_OK | constants.X_OK);
    if (!statSync(path).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'EEXIST' });
  } catch (error) {
    throw new ConfigError(`${what} ${path} is not usable: ${describeFsCause(error)}`, { code: 'environment', cause: error });
  }
}

/**
 * `mkdir -p` one component at a time. Node's recursive mkdirSync never returns on a path under
 * /proc (mkdir answers ENOENT there, and it retries the parent forever): this one fails.
 */
export function mkdirpSync(path: string): void {
  const missing: string[] = [];
  let dir = resolve(path);
  while (statSync(dir, { throwIfNoEntry: false }) === undefined) {
    missing.push(dir);
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}
