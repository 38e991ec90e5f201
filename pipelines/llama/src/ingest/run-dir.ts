import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The run directory ingest commands write to: `--run DIR`, else `$LLAMA_OUTPUT_DIR/current_run`,
 * else `$XDG_DATA_HOME/llama/current_run`, else `~/.local/share/llama/current_run` (3.5.1).
 */
export function resolveRunDir(option: string | undefined, env: Env): string {
  if (option !== undefined && option !== '') return resolve(option);
  const output = env['LLAMA_OUTPUT_DIR'];
  if (output !== undefined && output !== '') return resolve(output, 'current_run');
  const xdg = env['XDG_DATA_HOME'];
  if (xdg !== undefined && xdg !== '') return resolve(xdg, 'llama', 'current_run');
  return join(env['HOME'] ?? homedir(), '.local', 'share', 'llama', 'current_run');
}
