import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** How a file stands in its event directory's git history (3.5.1 `filename_for_download`). */
export interface FileVersion {
  /** Number of commits touching the file; 0 when never committed. */
  readonly count: number;
  /** Abbreviated hash (7 hex digits) of the newest such commit, or `UNVERSIONED`. */
  readonly hash7: string;
}

export const UNVERSIONED: FileVersion = { count: 0, hash7: 'UNVERSIONED' };

/**
 * Count the commits touching `filename` in the git repository at `eventDir`. A directory that is
 * not (yet) a repository, or a file never committed, is `v0`/`UNVERSIONED`, as in 3.5.1.
 */
export async function fileVersion(eventDir: string, filename: string, signal?: AbortSignal): Promise<FileVersion> {
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync('git', ['log', '--format=%H', '--', filename], {
      cwd: eventDir,
      signal,
      maxBuffer: 16 * 1024 * 1024,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' },
    }));
  } catch (error) {
    // Not a repository, or a repository without any commit yet: nothing is versioned.
    if (signal?.aborted) throw error;
    return UNVERSIONED;
  }
  const hashes = stdout.split('\n').filter((line) => /^[0-9a-f]{40,64}$/.test(line));
  const newest = hashes[0];
  return newest === undefined ? UNVERSIONED : { count: hashes.length, hash7: newest.slice(0, 7) };
}

/** `<eventid>-v<N>-<hash7>-<FILENAME>`, e.g. `S1234a-v3-dedb33f-skymap_info.json`. */
export function filenameForDownload(eventId: string, filename: string, version: FileVersion): string {
  return `${eventId}-v${version.count}-${version.hash7}-${filename}`;
}

/** The git HEAD of the event directory (3.5.1 EVENT_SNAPSHOT), or undefined without commits. */
export async function eventSnapshot(eventDir: string, signal?: AbortSignal): Promise<string | undefined> {
  try {
    const { stdout } = await execFileAsync('git', ['rev-parse', '--verify', '-q', 'HEAD'], {
      cwd: eventDir,
      signal,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' },
    });
    const head = stdout.trim();
    return /^[0-9a-f]{40,64}$/.test(head) ? head : undefined;
  } catch (error) {
    if (signal?.aborted) throw error;
    return undefined;
  }
}
