import { ConfigError, parseFlagAssignments } from '@llama/core';

/** `--flags PRESET|K=V…` words → a validated flag update (ConfigError, exit 2, when bad). */
export function flagUpdateFromWords(words: readonly string[] | undefined): Record<string, string> | undefined {
  if (words === undefined || words.length === 0) return undefined;
  const parsed = parseFlagAssignments(words);
  if (!parsed.ok) throw new ConfigError('invalid --flags', { code: 'flags', diagnostics: parsed.error });
  return parsed.value;
}

export const FLAGS_OPTION = {
  type: 'string',
  array: true,
  describe: 'A preset (DEFAULT, TRIGGERED_INTERNAL, TRIGGERED_PUBLIC, TRIGGERED_TEST, RERUN, MANUAL) and/or KEY=VALUE assignments; later words win',
} as const;

export const RUN_OPTION = {
  type: 'string',
  describe: 'Run directory (default: $LLAMA_OUTPUT_DIR/current_run, else $XDG_DATA_HOME/llama/current_run, else ~/.local/share/llama/current_run)',
} as const;

/** Report an error the way every command does: ConfigError → exit 2, anything else → exit 1. */
export function reportError(prefix: string, error: unknown): void {
  if (error instanceof ConfigError) {
    process.stderr.write(`${prefix}: ${error.message}\n`);
    for (const d of error.diagnostics) process.stderr.write(`  - ${d.message}\n`);
    process.exitCode = 2;
    return;
  }
  process.stderr.write(`${prefix}: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = Math.max(typeof process.exitCode === 'number' ? process.exitCode : 0, 1);
}
