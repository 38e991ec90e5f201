import { closeSync, existsSync, linkSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TMP_DIRNAME } from '../event/paths.js';
import { hostName, openInTmpDir, processAlive, tmpName, writeAllSync } from '../util/fs.js';

/**
 * 3.5.1 EventLock: stale after 20 s; held only while intents and riders change, never while generating.
 *
 * The lock is the file `.tmp.d/EVENTLOCK`. A process takes it by hard-linking a holder file of its
 * own (one per process and file system, naming the owner) to that name, and gives it back by
 * removing the name. Creating and deleting a file per acquisition, twice per generation, was the costliest
 * part of a cold build on ext4 without a journal, where every new inode is searched for past all
 * recently deleted ones; a link allocates no inode. Where links are impossible, the lock file is
 * created with O_EXCL as before.
 */
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

/**
 * A lock is stale when its owner died (same host), or it was taken more than the stale limit ago
 * (its mtime: a holder's is set when it is linked, or at most TOUCH_EVERY_MS before).
 */
function isStale(path: string, now: number): boolean {
  let takenAt: number;
  try {
    takenAt = statSync(path).mtimeMs;
  } catch {
    return false; // gone already: the next attempt takes it
  }
  const owner = readOwner(path);
  if (owner === undefined) return now - takenAt > 1000; // crashed between create and write
  if (owner.host === hostName() && owner.pid !== process.pid && !processAlive(owner.pid)) return true;
  return now - takenAt > EVENT_LOCK_STALE_MS;
}

function ownerRecord(): string {
  return JSON.stringify({ pid: process.pid, host: hostName(), time: Date.now() } satisfies LockOwner);
}

function tryCreate(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // .tmp.d removed (found empty by another pass's sweep) since it was made: try again later.
    if (code === 'ENOENT') return false;
    throw error;
  }
  fillOwner(fd, path);
  return true;
}

/**
 * Write the owner record into a new lock or holder file and close it; when that fails (a full
 * disk), remove the file: an ownerless lock would block everyone for a while.
 */
function fillOwner(fd: number, path: string): void {
  try {
    writeAllSync(fd, ownerRecord());
  } catch (error) {
    closeSync(fd);
    unlinkSync(path);
    throw error;
  }
  closeSync(fd);
}

interface Holder {
  readonly path: string;
  readonly ino: number;
  /** When its mtime was last set (ms). */
  touchedAt: number;
}

/**
 * A holder's mtime is set when a lock is taken, but at most this often: a lock then looks at
 * most this much older than it is, against the 20 s stale limit, for one system call less per
 * acquisition (two per generation).
 */
const TOUCH_EVERY_MS = 1000;

/**
 * The holder file this process links to every event's EVENTLOCK (one, made in the first event's
 * `.tmp.d/`), and per-event exceptions: a holder of its own for an event on another file system,
 * null where hard links are not possible. Taking a lock sets the holder's mtime, which all the
 * locks this process holds share: a lock of a process that goes on taking others never looks
 * older than 20 s (it is alive); one that stops does, and a dead owner is seen at once.
 */
let shared: Holder | undefined;
const own = new Map<string, Holder | null>();
/** Which holder took each lock this process holds (to give back only what is still ours). */
const taken = new Map<string, Holder | null>();
let exitHookInstalled = false;

function makeHolder(eventDir: string): Holder {
  const { path, fd } = openInTmpDir(join(eventDir, TMP_DIRNAME), tmpName('eventlock'), 'wx');
  fillOwner(fd, path);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', releaseLockHolders);
  }
  return { path, ino: statSync(path).ino, touchedAt: Date.now() };
}

const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK', 'ENOSYS']);

/** One attempt to take the lock: true when taken. */
function tryTake(eventDir: string, path: string): boolean {
  const exception = own.get(eventDir);
  if (exception === null) {
    mkdirSync(join(eventDir, TMP_DIRNAME), { recursive: true });
    if (!tryCreate(path)) return false;
    taken.set(path, null);
    return true;
  }
  const holder = exception ?? (shared ??= makeHolder(eventDir));
  try {
    const now = Date.now();
    if (now - holder.touchedAt >= TOUCH_EVERY_MS || now < holder.touchedAt) {
      const at = new Date(now);
      utimesSync(holder.path, at, at);
      holder.touchedAt = now;
    }
    linkSync(holder.path, path);
    taken.set(path, holder);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') return false;
    if (code === 'ENOENT') {
      if (existsSync(holder.path)) {
        // This event has no .tmp.d yet.
        mkdirSync(join(eventDir, TMP_DIRNAME), { recursive: true });
        return tryTake(eventDir, path);
      }
      // The holder is gone (its .tmp.d was cleared by hand, or a pass released it): a new one next time.
      if (holder === shared) shared = undefined;
      else own.delete(eventDir);
      return false;
    }
    if (code === 'EXDEV' && exception === undefined) {
      own.set(eventDir, makeHolder(eventDir));
      return tryTake(eventDir, path);
    }
    if (!NO_LINKS.has(code) && code !== 'EXDEV') throw error;
    own.set(eventDir, null);
    if (exception !== undefined) unlinkQuiet(holder.path);
    return tryTake(eventDir, path);
  }
}

/** Give the lock back, unless a process that judged it stale has taken it over meanwhile. */
function give(path: string): void {
  const holder = taken.get(path);
  taken.delete(path);
  try {
    if (holder !== null && holder !== undefined && statSync(path).ino !== holder.ino) return;
    unlinkSync(path);
  } catch {
    // removed by a process that judged it stale; nothing to release
  }
}

function unlinkQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/**
 * Remove the event's lock when its owner is a process of this host that is gone (killed while
 * holding it): what the next taker would do (`isStale`), done by a pass that has nothing to lock
 * there, so that a dead process leaves nothing behind. True when removed.
 */
export function removeDeadOwnersLock(eventDir: string): boolean {
  const path = lockPath(eventDir);
  const owner = readOwner(path);
  if (owner === undefined || owner.host !== hostName() || owner.pid === process.pid || processAlive(owner.pid)) return false;
  try {
    unlinkSync(path);
    return true;
  } catch {
    return false; // taken over or removed meanwhile
  }
}

/**
 * Remove this process's holder files (at the end of a pass, and at exit). Locks held meanwhile
 * stay valid (EVENTLOCK keeps the inode); the next acquisition makes a new holder. A holder of a
 * process that died is swept with its other temp files.
 */
export function releaseLockHolders(): void {
  if (shared !== undefined) unlinkQuiet(shared.path);
  shared = undefined;
  for (const holder of own.values()) if (holder !== null) unlinkQuiet(holder.path);
  own.clear();
}

/**
 * Hold the event's lock while `body` runs. Waits for other holders; takes over stale locks
 * (dead owner, or taken more than 20 s ago). Throws if it cannot get the lock within `timeoutMs`.
 */
export async function withEventLock<T>(eventDir: string, body: () => Promise<T> | T, timeoutMs = 30_000): Promise<T> {
  const path = lockPath(eventDir);
  const deadline = Date.now() + timeoutMs;
  while (!tryTake(eventDir, path)) {
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
    give(path);
  }
}
