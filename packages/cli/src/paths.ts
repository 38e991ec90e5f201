import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

type Env = Readonly<Record<string, string | undefined>>;

/** 3.5.1: $LLAMA_OUTPUT_DIR, else $XDG_DATA_HOME/llama, else ~/.local/share/llama. */
export function outputDir(env: Env = process.env): string {
  if (env['LLAMA_OUTPUT_DIR']) return env['LLAMA_OUTPUT_DIR'];
  if (env['XDG_DATA_HOME']) return join(env['XDG_DATA_HOME'], 'llama');
  return join(env['HOME'] ?? homedir(), '.local', 'share', 'llama');
}

/** 3.5.1: $LLAMA_CACHEDIR, else $XDG_CACHE_HOME/llama, else ~/.cache/llama. */
export function cacheDir(env: Env = process.env): string {
  if (env['LLAMA_CACHEDIR']) return env['LLAMA_CACHEDIR'];
  if (env['XDG_CACHE_HOME']) return join(env['XDG_CACHE_HOME'], 'llama');
  return join(env['HOME'] ?? homedir(), '.cache', 'llama');
}

export const defaultRunDir = (env: Env = process.env): string => join(outputDir(env), 'current_run');
export const logsDir = (env: Env = process.env): string => join(outputDir(env), 'logs');
export const archivalLogfile = (env: Env = process.env): string => join(logsDir(env), 'llamad.log');
/** Daemon lock directories (3.5.1 LLAMAD_RUNDIR). */
export const daemonLockRoot = (env: Env = process.env): string => join(cacheDir(env), 'llamad.run.d');

/**
 * Where a run's hash index and clean-event records live (outside the run: they are a cache).
 * `llama run`, `llama status` and `llama serve` share it.
 */
export function stateDir(runDirs: readonly string[]): string {
  const key = createHash('sha1').update([...runDirs].sort().join('\0')).digest('hex').slice(0, 16);
  // Before 0.2 the index was one file, `${key}.json`; it is superseded by the sharded one.
  rmSync(join(cacheDir(), 'index', `${key}.json`), { force: true });
  return join(cacheDir(), 'index', key);
}
