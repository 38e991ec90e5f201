import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { processAlive } from '@llama/core';

/**
 * Daemon lock directories in `<cache>/llamad.run.d`, named as 3.5.1 names them:
 * quote_plus(realpath(rundir)) (sorted, comma-joined; sha1 when longer than 120 characters),
 * then `+`, then quote_plus(simplify_glob(eventid glob)).
 */

/** Python's urllib.parse.quote_plus with the default safe set. */
export function quotePlus(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const ch = String.fromCharCode(byte);
    if (/[A-Za-z0-9_.\-~]/.test(ch)) out += ch;
    else if (ch === ' ') out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function unquotePlus(text: string): string {
  return decodeURIComponent(text.replace(/\+/g, ' '));
}

/** `?`, `[`, `]` become `*`; keep what is before the first `*` and after the last (`a*b*c` → `a*c`). */
export function simplifyGlob(glob: string): string {
  const starred = glob.replace(/[?[\]]/g, '*');
  const first = starred.indexOf('*');
  if (first === -1) return starred;
  return `${starred.slice(0, first)}*${starred.slice(starred.lastIndexOf('*') + 1)}`;
}

/** 3.5.1 globs_intersect: could some eventid match both (simplified) globs? */
export function globsIntersect(a: string, b: string): boolean {
  const sa = simplifyGlob(a);
  const sb = simplifyGlob(b);
  const wa = sa.includes('*');
  const wb = sb.includes('*');
  if (!wa && !wb) return sa === sb;
  const parts = (g: string): [string, string] => {
    const i = g.indexOf('*');
    return [g.slice(0, i), g.slice(i + 1)];
  };
  if (wa && wb) {
    const [pa, xa] = parts(sa);
    const [pb, xb] = parts(sb);
    const [shortP, longP] = pa.length <= pb.length ? [pa, pb] : [pb, pa];
    const [shortX, longX] = xa.length <= xb.length ? [xa, xb] : [xb, xa];
    return longP.startsWith(shortP) && longX.endsWith(shortX);
  }
  const [literal, pattern] = wa ? [sb, sa] : [sa, sb];
  const [prefix, suffix] = parts(pattern);
  return literal.length >= prefix.length + suffix.length && literal.startsWith(prefix) && literal.endsWith(suffix);
}

export function lockDirName(runDirs: readonly string[], glob: string): string {
  let runs = [...runDirs].sort().map(quotePlus).join(',');
  if (runs.length > 120) runs = createHash('sha1').update(runs).digest('hex');
  return `${runs}+${quotePlus(simplifyGlob(glob))}`;
}

export interface DaemonEntry {
  readonly lockDir: string;
  readonly name: string;
  /** Undefined when the run part is a sha1 of long paths. */
  readonly runDirs: readonly string[] | undefined;
  readonly glob: string;
  readonly pid: number | undefined;
  readonly commandLine: string | undefined;
  readonly startedAt: string | undefined;
  readonly alive: boolean;
}

function parseName(name: string): { runDirs: string[] | undefined; glob: string } {
  const plus = name.lastIndexOf('+');
  const runs = name.slice(0, plus);
  const glob = unquotePlus(name.slice(plus + 1));
  const runDirs = /^[0-9a-f]{40}$/.test(runs) ? undefined : runs.split(',').map(unquotePlus);
  return { runDirs, glob };
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

export function listDaemons(root: string): DaemonEntry[] {
  if (!existsSync(root)) return [];
  const entries: DaemonEntry[] = [];
  for (const name of readdirSync(root).sort()) {
    if (!name.includes('+') || name.startsWith('.')) continue;
    const lockDir = join(root, name);
    const pidText = readOptional(join(lockDir, 'pid'));
    const pid = pidText === undefined ? undefined : Number.parseInt(pidText, 10);
    const { runDirs, glob } = parseName(name);
    entries.push({
      lockDir,
      name,
      runDirs,
      glob,
      pid: pid !== undefined && Number.isInteger(pid) ? pid : undefined,
      commandLine: readOptional(join(lockDir, 'cmdline')),
      startedAt: readOptional(join(lockDir, 'started')),
      // A directory without a pid is only a leftover once it is a few seconds old.
      alive: pid !== undefined ? processAlive(pid) : Date.now() - (statSync(lockDir, { throwIfNoEntry: false })?.mtimeMs ?? 0) < 10_000,
    });
  }
  return entries;
}

/**
 * Two daemons compete when some event directory could be selected by both: their run
 * directories intersect AND their globs intersect. (3.5.1 used OR, so a daemon on /runs/a/
 * refused to start beside one on /runs/b/; a deliberate deviation, see README "Daemons".)
 * A run part hashed for length (over 120 characters) cannot be compared: it is assumed to
 * intersect.
 */
export function competes(entry: DaemonEntry, runDirs: readonly string[], glob: string): boolean {
  const sameRun = entry.runDirs === undefined ? true : entry.runDirs.some((r) => runDirs.includes(r));
  return sameRun && globsIntersect(entry.glob, glob);
}

/** Remove lock directories whose process is gone; returns what was removed. */
export function cleanDeadDaemons(root: string): DaemonEntry[] {
  const dead = listDaemons(root).filter((e) => !e.alive);
  for (const entry of dead) rmSync(entry.lockDir, { recursive: true, force: true });
  return dead;
}

/**
 * Atomically claim a lock directory that already holds its pid, command line and start time:
 * it is filled under a private name and renamed into place, so no other llama (a -R listing, a
 * competitor cleaning up dead entries) ever sees a claimed directory without its pid. False when
 * another process holds it.
 */
export function claimLockDir(lockDir: string, pid: number, commandLine: string): boolean {
  const staging = join(dirname(lockDir), '.claims', `${process.pid}-${randomBytes(4).toString('hex')}`);
  mkdirSync(staging, { recursive: true });
  writeDaemonInfo(staging, pid, commandLine);
  try {
    renameSync(staging, lockDir);
    return true;
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
    throw error;
  }
}

export function writeDaemonInfo(lockDir: string, pid: number, commandLine: string): void {
  writeFileSync(join(lockDir, 'pid'), `${pid}\n`);
  writeFileSync(join(lockDir, 'cmdline'), `${commandLine}\n`);
  writeFileSync(join(lockDir, 'started'), `${new Date().toISOString()}\n`);
}

export function releaseLockDir(lockDir: string): void {
  rmSync(lockDir, { recursive: true, force: true });
}
