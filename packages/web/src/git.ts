import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const IDENTITY = ['-c', 'user.name=llama', '-c', 'user.email=llama@localhost', '-c', 'commit.gpgsign=false'];
const ENV = { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };

export interface Commit {
  readonly hash: string;
  /** Unix ms. */
  readonly time: number;
  readonly subject: string;
}

async function git(eventDir: string, args: string[], encoding: 'utf8' | 'buffer' = 'utf8'): Promise<string | Buffer> {
  const { stdout } = await run('git', [...IDENTITY, ...args], { cwd: eventDir, maxBuffer: 512 * 1024 * 1024, env: ENV, encoding });
  return stdout;
}

export function versioned(eventDir: string): boolean {
  return existsSync(join(eventDir, '.git'));
}

/** Newest first; `file` limits it to the commits touching that file. Empty when not versioned. */
export async function history(eventDir: string, file?: string, limit = 200): Promise<Commit[]> {
  if (!versioned(eventDir)) return [];
  let out: string;
  try {
    out = (await git(eventDir, ['log', `-n${limit}`, '--format=%H%x09%at%x09%s', ...(file === undefined ? [] : ['--', file])])) as string;
  } catch {
    return []; // no commit yet
  }
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((line) => {
      const [hash = '', at = '0', ...subject] = line.split('\t');
      return { hash, time: Number(at) * 1000, subject: subject.join('\t') };
    });
}

/** The bytes of `file` as of `commit` (both already checked by the caller). */
export async function showVersion(eventDir: string, commit: string, file: string): Promise<Buffer | undefined> {
  try {
    return (await git(eventDir, ['show', `${commit}:./${file}`], 'buffer')) as Buffer;
  } catch {
    return undefined;
  }
}
