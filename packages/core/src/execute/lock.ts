import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TMP_DIRNAME } from '../event/paths.js';
import { hostName, processAlive } from '../util/fs.js';

/** 3.5.1 EventLock: stale after 20 s; held only while intents and riders change, never while generating. */
export const EVENT_LOCK_STALE_MS = 20_000;
const POLL_MS = 5;

export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly time: number;
}

function lockPath(eventDir: string): string {
  return join(eventDir, TMP_DIRNAME, 'EVENTLOCK');
}

function readOwner(path: string): LockOwner | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
    return typeof parsed.pid === 'number' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** A lock is stale when its owner died (same host), or it is older than the stale limit. */
function isStale(path: string, now: number): boolean {
  let mtime: number;
  try {
    mtime = statSync(path).mtimeMs;
  } catch {
    return false; // gone already: the next attempt takes it
  }
  const owner = readOwner(path);
  if (owner === undefined) return now - mtime > 1000; // crashed between create and write
  if (owner.host === hostName() && owner.pid !== process.pid && !processAlive(owner.pid)) return true;
  return now - mtime > EVENT_LOCK_STALE_MS;
}

function tryCreate(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, JSON.stringify({ pid: process.pid, host: hostName(), time: Date.now() } satisfies LockOwner));
  } catch (error) {
    // e.g. ENOSPC: an ownerless lock would block everyone for a while; remove it.
    closeSync(fd);
    unlinkSync(path);
    throw error;
  }
  closeSync(fd);
  return true;
}

/**
 * Hold the event's lock while `body` runs. Waits for other holders; takes over stale locks
 * (dead owner, or older than 20 s). Throws if it cannot get the lock within `timeoutMs`.
 */
export async function withEventLock<T>(eventDir: string, body: () => Promise<T> | T, timeoutMs = 30_000): Promise<T> {
  const path = lockPath(eventDir);
  mkdirSync(join(eventDir, TMP_DIRNAME), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  while (!tryCreate(path)) {
    if (isStale(path, Date.now())) {
      try {
        unlinkSync(path);
      } catch {
        // another process took it over first
      }
      continue;
    }
    if (Date.now() > deadline) {
      const owner = readOwner(path);
      throw new Error(`event lock ${path} is held by pid ${owner?.pid ?? '?'} on ${owner?.host ?? '?'}`);
    }
    await sleep(POLL_MS);
  }
  try {
    return await body();
  } finally {
    try {
      unlinkSync(path);
    } catch {
      // removed by a process that judged it stale; nothing to release
    }
  }
}
