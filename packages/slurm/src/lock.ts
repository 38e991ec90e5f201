import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A lock held longer than this is taken over even when its owner cannot be checked (another host). */
const STALE_MS = 10 * 60 * 1000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A lock made with mkdir, which is atomic on every file system a cluster shares (NFS included,
 * unlike O_EXCL on old NFS clients or flock across hosts). The owner's host and pid are written
 * inside so that a lock left by a dead submitter on this host is taken over at once; one from
 * another host after STALE_MS.
 */
export async function withMkdirLock<T>(dir: string, task: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(dir);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (stale(dir)) {
        rmSync(dir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`the submission lock ${dir} is held by another llama (${owner(dir) ?? 'owner unknown'}); remove it if no llama run --executor slurm is running`);
      await sleep(100);
    }
  }
  try {
    writeFileSync(join(dir, 'owner'), `${hostname()} ${process.pid}\n`);
    return await task();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function owner(dir: string): string | undefined {
  try {
    return readFileSync(join(dir, 'owner'), 'utf8').trim();
  } catch {
    return undefined;
  }
}

function stale(dir: string): boolean {
  const who = owner(dir);
  let age = 0;
  try {
    age = Date.now() - statSync(dir).mtimeMs;
  } catch {
    return false; // gone: the next mkdir will tell
  }
  if (who === undefined) return age > 5000; // its owner died between mkdir and writing its name
  const [host, pid] = who.split(' ');
  if (host === hostname() && pid !== undefined && !alive(Number(pid))) return true;
  return age > STALE_MS;
}
