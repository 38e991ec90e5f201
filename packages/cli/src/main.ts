import { ConfigError, describeError } from '@llama/core';
import { rewritePlusOptions } from './commands/run.js';
import { createParser } from './parser.js';

/** Run the CLI; returns the exit code (0 done, 1 some work failed, 2 usage/configuration error). */
export async function main(argv: readonly string[]): Promise<number> {
  process.exitCode = undefined;
  let usageError: string | undefined;
  try {
    await createParser(rewritePlusOptions(argv))
      .fail((message, error) => {
        usageError = message ?? (error === undefined ? 'invalid usage' : describeError(error));
      })
      .parseAsync();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`llama: ${error.message}\n`);
      for (const d of error.diagnostics) process.stderr.write(`  - ${d.message}\n`);
      return 2;
    }
    if (usageError === undefined) {
      process.stderr.write(`llama: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\nPlease report this.\n`);
      return 1;
    }
  }
  if (usageError !== undefined) {
    process.stderr.write(`llama: ${usageError}\nRun with --help for usage.\n`);
    return 2;
  }
  const code = process.exitCode;
  return typeof code === 'number' ? code : 0;
}
