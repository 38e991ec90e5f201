import { createParser } from './parser.js';

/** A command-line mistake found by yargs (unknown option, bad choice, missing argument). */
class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Run the CLI; returns the exit code (0 done, 1 some work failed, 2 usage/configuration error). */
export async function main(argv: readonly string[]): Promise<number> {
  process.exitCode = undefined;
  let usage: string | undefined;
  // `+f X` is `llama run` syntax; the run module (with what it imports) loads only when needed.
  const args = argv.includes('+f') || argv.includes('++filehandlers') ? (await import('./commands/run.js')).rewritePlusOptions(argv) : argv;
  try {
    await createParser(args)
      .fail((message, error) => {
        // yargs passes a message for command-line mistakes (validation, .check) and none for an
        // exception from a command's handler. Throwing stops it: a command whose arguments
        // failed validation must not run.
        if ((message === null || message === undefined) && error !== undefined && error !== null) throw error;
        usage ??= message ?? 'invalid usage';
        throw new UsageError(usage);
      })
      .parseAsync();
  } catch (error) {
    // Loaded here, not up front: `llama --help` and `llama run -V` do without @llama/core.
    const { ConfigError } = await import('@llama/core');
    if (usage !== undefined && !(error instanceof ConfigError)) {
      process.stderr.write(`llama: ${usage}\nRun with --help for usage.\n`);
      return 2;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`llama: ${error.message}\n`);
      for (const d of error.diagnostics) process.stderr.write(`  - ${d.message}\n`);
      return 2;
    }
    process.stderr.write(`llama: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\nPlease report this.\n`);
    return 1;
  }
  const code = process.exitCode;
  return typeof code === 'number' ? code : 0;
}
