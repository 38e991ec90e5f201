import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GITIGNORE_LINES } from '../event/paths.js';

const run = promisify(execFile);

/** Identity used when the machine has none configured, so commits never fail for that reason. */
const IDENTITY = ['-c', 'user.name=llama', '-c', 'user.email=llama@localhost', '-c', 'commit.gpgsign=false'];

async function git(eventDir: string, args: string[]): Promise<string> {
  const { stdout } = await run('git', [...IDENTITY, ...args], { cwd: eventDir, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

/** `git init` plus the 3.5.1 `.gitignore` (and our transient riders); idempotent. */
export async function ensureGitRepo(eventDir: string): Promise<void> {
  if (!existsSync(join(eventDir, '.git'))) await git(eventDir, ['init', '-q']);
  const ignorePath = join(eventDir, '.gitignore');
  const current = existsSync(ignorePath) ? readFileSync(ignorePath, 'utf8') : '';
  const have = new Set(current.split('\n'));
  const missing = GITIGNORE_LINES.filter((line) => !have.has(line));
  if (missing.length > 0) {
    writeFileSync(ignorePath, `${current}${current === '' || current.endsWith('\n') ? '' : '\n'}${missing.join('\n')}\n`);
  }
}

/**
 * `git add -A .` then `git commit -m MESSAGE`, run by one `sh` so that Node forks once: a fork
 * from a large process (the listener holding 1 MB alerts, a daemon) cost 30-40 ms on a loaded
 * machine, and both git processes are on an alert's critical path. The message and the identity
 * are positional parameters, never shell text.
 */
const ADD_AND_COMMIT = 'git "$@" add -A . && exec git "$@" commit -q --no-verify -m "$0"';

/**
 * Stage everything and commit (3.5.1 `commit_changes`); a clean tree is not an error. One fork
 * when there is something to commit: `git status` is asked only after a failed commit, to tell
 * "nothing to commit" from a real failure.
 */
export async function commitAll(eventDir: string, message: string): Promise<boolean> {
  try {
    await run('sh', ['-c', ADD_AND_COMMIT, message, ...IDENTITY], { cwd: eventDir, maxBuffer: 16 * 1024 * 1024 });
    return true;
  } catch (error) {
    const status = await git(eventDir, ['status', '--porcelain']).catch(() => undefined);
    if (status !== undefined && status.trim() === '') return false;
    throw error;
  }
}

/** Unix time (s) of the first commit, or undefined when the directory is not versioned. */
export async function firstCommitTime(eventDir: string): Promise<number | undefined> {
  if (!existsSync(join(eventDir, '.git'))) return undefined;
  try {
    const out = await git(eventDir, ['log', '--reverse', '--format=%at', '--max-parents=0']);
    const first = out.split('\n')[0];
    return first === undefined || first === '' ? undefined : Number(first);
  } catch {
    return undefined;
  }
}

/**
 * Commit everything with `message`, even when nothing changed: an operator's action on an
 * ignored rider (a cooldown, an intent) is then still recorded in the history, as 3.5.1's GUI
 * recorded each of its actions.
 */
export async function commitAction(eventDir: string, message: string): Promise<void> {
  if (!existsSync(join(eventDir, '.git'))) return;
  await git(eventDir, ['add', '-A', '.']);
  await git(eventDir, ['commit', '-q', '--no-verify', '--allow-empty', '-m', message]);
}
