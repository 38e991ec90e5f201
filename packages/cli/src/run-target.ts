import { existsSync, realpathSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

export interface RunTarget {
  /** Absolute (real) path of the run directory. */
  readonly runDir: string;
  /** Event-id glob (3.5.1 eventid_filter). */
  readonly glob: string;
}

function real(path: string): string {
  const absolute = resolve(path);
  return existsSync(absolute) ? realpathSync(absolute) : absolute;
}

/**
 * The 3.5.1 `run` argument: `/run/dir/event*glob`. The last component is the glob;
 * `/glob` keeps the default run directory (`//glob` means the root directory);
 * `dir/` means every event of `dir`; a bare name with no `/` (including `.`) is expanded to
 * the event directory it names; `./.` is run directory `.` with the literal eventid `.`.
 */
export function parseRunTarget(arg: string | undefined, defaultRunDir: string, cwd = process.cwd()): RunTarget {
  if (arg === undefined || arg === '') return { runDir: real(defaultRunDir), glob: '*' };
  if (!arg.includes('/')) {
    const eventDir = real(resolve(cwd, arg));
    return { runDir: dirname(eventDir), glob: basename(eventDir) };
  }
  if (arg.startsWith('//') && !arg.slice(2).includes('/')) return { runDir: '/', glob: arg.slice(2) || '*' };
  if (arg.startsWith('/') && !arg.slice(1).includes('/')) return { runDir: real(defaultRunDir), glob: arg.slice(1) || '*' };
  const cut = arg.lastIndexOf('/');
  const dir = arg.slice(0, cut) === '' ? '/' : arg.slice(0, cut);
  return { runDir: real(resolve(cwd, dir)), glob: arg.slice(cut + 1) || '*' };
}
