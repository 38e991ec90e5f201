import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { TMP_DIRNAME } from '../event/paths.js';

/**
 * Write a file so that readers see either the old or the new content, never a torn one: write a
 * temp file in the event's `.tmp.d/`, fsync it, rename it into place.
 */
export function writeFileAtomicSync(path: string, content: string | Uint8Array, options: { durable?: boolean } = {}): void {
  const tmpDir = join(dirname(path), TMP_DIRNAME);
  mkdirSync(tmpDir, { recursive: true });
  const tmp = join(tmpDir, `${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'w', 0o644);
  try {
    try {
      const bytes = typeof content === 'string' ? Buffer.from(content) : content;
      let offset = 0;
      while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
      if (options.durable !== false) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (error) {
    // e.g. ENOSPC: leave nothing half-written behind.
    rmSync(tmp, { force: true });
    throw error;
  }
}

export function randomSuffix(): string {
  return randomBytes(4).toString('hex');
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
