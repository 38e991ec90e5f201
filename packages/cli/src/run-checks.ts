import { closeSync, existsSync, openSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError, describeFsCause, ensureUsableDir, FLAGS_FILENAME, mkdirpSync, validateEventId } from '@llama/core';
import { isDevNull } from './logging.js';
import type { RunTarget } from './run-target.js';

/**
 * Checks `llama run` makes before its first pass, so that a mistyped argument or an unusable
 * environment ends in one line and exit 2 (ConfigError), before anything is written.
 */

/** Does a glob select exactly one literal event id (no wildcard syntax)? */
export function isLiteralGlob(glob: string): boolean {
  return !/[*?[\]{}!]/.test(glob);
}

/** Event-directory markers: what `llama event init` and every ingest create. */
const EVENT_MARKERS = [FLAGS_FILENAME, '.git', 'skymap_info.json'];

function isEventDir(dir: string): boolean {
  return EVENT_MARKERS.some((m) => existsSync(join(dir, m)));
}

/**
 * A child of `dir` showing that `dir` is a run directory, if any: an event directory (the first in
 * name order), or, when `dir` holds directories and no files at all (events of a `--rules` run need
 * not have LLAMA's markers), its first directory.
 */
function someEventChild(dir: string): string | undefined {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true }).filter((e) => !e.name.startsWith('.')).sort((a, b) => a.name.localeCompare(b.name));
  } catch {
    return undefined;
  }
  const dirs = entries.filter((e) => statSync(join(dir, e.name), { throwIfNoEntry: false })?.isDirectory() === true).map((e) => e.name);
  const marked = dirs.find((n) => isEventDir(join(dir, n)));
  if (marked !== undefined) return marked;
  return dirs.length > 0 && dirs.length === entries.length ? dirs[0] : undefined;
}

/**
 * The `run` argument names one event (a literal id): the id must be valid; a directory holding
 * event directories is a run directory, refused (3.5.1 ran `git init` in it and committed its
 * events as gitlinks); a one-shot run of an event that does not exist is refused too (it used
 * to do nothing and exit 0).
 */
export function checkRunTarget(arg: string | undefined, target: RunTarget, oneShot: boolean): void {
  if (!isLiteralGlob(target.glob)) {
    if (oneShot && !existsSync(target.runDir)) throw new ConfigError(`the run directory ${target.runDir} does not exist`, { code: 'no-run-dir' });
    return;
  }
  const eventDir = join(target.runDir, target.glob);
  const shown = arg ?? eventDir;
  const stat = statSync(eventDir, { throwIfNoEntry: false });
  if (stat?.isDirectory() === true && !isEventDir(eventDir)) {
    const child = someEventChild(eventDir);
    if (child !== undefined) {
      const suggestion = shown.endsWith('/') ? shown : `${shown === '.' ? '.' : shown}/`;
      throw new ConfigError(
        `${eventDir} looks like a run directory (it holds event directories such as ${child}), not an event directory; to update its events run: llama run ${suggestion}`,
        { code: 'run-dir-as-event' },
      );
    }
  }
  const problem = validateEventId(target.glob);
  if (problem !== undefined) throw new ConfigError(`run argument ${JSON.stringify(shown)}: ${problem}`, { code: 'bad-event-id' });
  if (oneShot && stat === undefined) throw new ConfigError(`the event directory ${eventDir} does not exist`, { code: 'no-event-dir' });
  if (oneShot && !stat?.isDirectory()) throw new ConfigError(`${eventDir} is not a directory`, { code: 'no-event-dir' });
}

/**
 * The archival log must be writable before the pass starts: an unusable `-l` used to be dropped
 * silently (EACCES), end in an internal error (ENOTDIR) or spin forever (/proc). A path resolving
 * to /dev/null turns the log off and is not checked.
 */
export function checkLogFile(path: string): void {
  if (isDevNull(path)) return;
  const file = resolve(path);
  try {
    if (statSync(file, { throwIfNoEntry: false })?.isDirectory() === true) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    mkdirpSync(dirname(file));
    closeSync(openSync(file, 'a'));
    if (!statSync(file).isFile()) throw new Error('not a regular file');
  } catch (error) {
    throw new ConfigError(`cannot write the log file ${path} (-l): ${describeFsCause(error)}`, { code: 'environment', cause: error });
  }
}

/** The directories a run writes to outside its events: LLAMA_CACHEDIR always, LLAMA_OUTPUT_DIR's logs when used. */
export function checkEnvironment(dirs: { cacheDir: string; cacheVar: string; logsDir?: string; logsVar?: string }): void {
  ensureUsableDir(dirs.cacheDir, dirs.cacheVar);
  if (dirs.logsDir !== undefined) ensureUsableDir(dirs.logsDir, dirs.logsVar ?? 'the log directory');
}

/** Which variable a directory came from, for the message. */
export function envSource(env: Readonly<Record<string, string | undefined>>, name: 'LLAMA_CACHEDIR' | 'LLAMA_OUTPUT_DIR'): string {
  if (env[name]) return name;
  const xdg = name === 'LLAMA_CACHEDIR' ? 'XDG_CACHE_HOME' : 'XDG_DATA_HOME';
  return env[xdg] ? `${xdg}/llama (${name} unset)` : `the default ${name === 'LLAMA_CACHEDIR' ? 'cache' : 'output'} directory (${name} unset)`;
}
