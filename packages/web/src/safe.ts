import { lstatSync, realpathSync, type Stats } from 'node:fs';
import { join, sep } from 'node:path';
import { eventRef, validateEventId, type EventRef } from '@llama/core';

/**
 * Everything a request names (a run, an event, a file, a commit) is checked here before any
 * file-system call: nothing a request carries may read or write outside the run directory.
 */

/** Thrown for a name a request may not use; the server answers 404 (or 400) with its message. */
export class Refused extends Error {
  override readonly name = 'Refused';
  constructor(
    message: string,
    readonly status: number = 404,
  ) {
    super(message);
  }
}

/**
 * The event-id check. It delegates to @llama/core's `validateEventId` (no separators, no "..",
 * no leading dot, no control characters, at most 200 characters); this one function is where
 * the web server's id check can be switched to another core check.
 */
export function checkEventId(id: string): void {
  const problem = validateEventId(id);
  if (problem !== undefined) throw new Refused(problem, 400);
}

/** A file name inside an event directory: one path component, not hidden, not `.git`. */
export function checkFileName(name: string): void {
  // eslint-disable-next-line no-control-regex
  if (name === '' || name.length > 255 || name.includes('/') || name.includes('\\') || name.startsWith('.') || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new Refused(`not a file name this server shows: ${JSON.stringify(name)}`, 400);
  }
}

/** A git commit named by a request: hex only (so it can never be an option or a path). */
export function checkCommit(commit: string): void {
  if (!/^[0-9a-f]{7,64}$/.test(commit)) throw new Refused(`not a commit: ${JSON.stringify(commit)}`, 400);
}

function inside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : `${root}${sep}`);
}

/** A served run: its URL name (the directory's basename) and real path. */
export interface ServedRun {
  readonly name: string;
  readonly dir: string;
  readonly glob: string;
}

/**
 * The event `id` of `run`, when it is a directory whose real path is inside the run's real path
 * (an event directory that is a link to elsewhere is refused).
 */
export function resolveEvent(run: ServedRun, id: string): EventRef {
  checkEventId(id);
  const dir = join(run.dir, id);
  let real: string;
  try {
    real = realpathSync(dir);
  } catch {
    throw new Refused(`no event ${id} in ${run.name}`);
  }
  if (!inside(realpathSync(run.dir), real) || real === realpathSync(run.dir)) throw new Refused(`event ${id} is outside the run directory`, 403);
  if (!lstatSync(real).isDirectory()) throw new Refused(`no event ${id} in ${run.name}`);
  return eventRef(run.dir, id);
}

/**
 * A regular file directly in the event directory (never a symbolic link, whatever it points
 * to); its lstat.
 */
export function resolveFile(event: EventRef, name: string): { path: string; stat: Stats } {
  checkFileName(name);
  const path = join(event.eventDir, name);
  const stat = lstatSync(path, { throwIfNoEntry: false });
  if (stat === undefined) throw new Refused(`no file ${name} in ${event.eventId}`);
  if (stat.isSymbolicLink()) throw new Refused(`${name} is a symbolic link; not served`, 403);
  if (!stat.isFile()) throw new Refused(`${name} is not a regular file`, 404);
  return { path, stat };
}
