import { execFileSync } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * 3.5.1 refuses to run unless the version is a plain X.Y.Z and the installed source has no
 * local changes (override: -D). Returns why it must refuse, or undefined.
 */
export function devModeProblem(version: string): string | undefined {
  if (!/^\d+\.\d+\.\d+$/.test(version)) {
    return `llama version ${version} is not a plain X.Y.Z release version; tag a release, or pass -D/--dev-mode to run anyway (not in production)`;
  }
  const here = dirname(fileURLToPath(import.meta.url));
  let top: string;
  try {
    top = execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd: here, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined; // not a git checkout (an installed package): nothing to compare against
  }
  let changed: string;
  try {
    changed = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', 'packages', 'pipelines'], { cwd: top, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trimEnd();
  } catch {
    return undefined;
  }
  if (changed === '') return undefined;
  const files = changed.split('\n').map((l) => l.slice(3)).slice(0, 5).join(', ');
  return `the llama source in ${top} has local changes (${files}${changed.split('\n').length > 5 ? ', …' : ''}); commit them, or pass -D/--dev-mode to run anyway (not in production)`;
}
