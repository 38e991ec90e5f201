import type { Argv, CommandModule } from 'yargs';
import { hideOptionsUnlessHelp } from '../help.js';

/**
 * Every `llama` subcommand, one module per file. A command's handler sets `process.exitCode`
 * (0 done, 1 some work failed, 2 usage or configuration error) and never calls process.exit.
 *
 * Only the command being run is imported: the others (and what they import) cost start-up time
 * that `llama run` pays on every invocation. So each entry repeats its module's `command` and
 * `describe` (for `llama --help`; index.test.ts checks they match) and names how to load it.
 * To add a command, add one `lazyCommand(...)` entry.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyCommand = CommandModule<any, any>;

/** A command whose module is imported only when yargs runs its builder (the command was named). */
export function lazyCommand(command: string, describe: string, load: () => Promise<AnyCommand>): AnyCommand & { load: () => Promise<AnyCommand> } {
  return {
    command,
    describe,
    load,
    builder: async (yargs: Argv) => {
      const module = await load();
      const { builder } = module;
      let built: Argv = yargs;
      if (typeof builder === 'function') built = (await builder(yargs)) as Argv;
      else if (builder !== undefined) built = yargs.options(builder);
      return hideOptionsUnlessHelp(built);
    },
    handler: async (args) => {
      await (await load()).handler(args);
    },
  };
}

export const commands = [
  lazyCommand('run [run]', 'Keep event directories up to date: once (-o), in the foreground (-F) or as a daemon', async () => (await import('./run.js')).runCommand),
  lazyCommand('listen', 'Receive alerts from GCN Kafka into event directories: archive, ingest, commit (foreground -F or daemon)', async () => (await import('./listen.js')).listenCommand),
  lazyCommand('event', 'Manage event directories: init, and an operator\'s actions (veto, unveto, lock, unlock, clear-cooldown, clear-intent, clear-lock, replace)', async () => (await import('./event.js')).eventCommand),
  lazyCommand('status [run]', 'Show every event at a glance (one line each, newest first), or every rule of one event with its state and reason', async () => (await import('./status.js')).statusCommand),
  lazyCommand('serve [runs..]', 'Serve live web pages of runs, events and files (with actions) on 127.0.0.1', async () => (await import('./serve.js')).serveCommand),
  lazyCommand('flags [eventdirs..]', 'Show or set event flags (FLAGS.json): a table before and after the change', async () => (await import('./flags.js')).flagsCommand),
  lazyCommand('ingest', 'Create events from GCN notices, LVK alerts or GraceDB', async () => (await import('./ingest.js')).ingestCommand),
  lazyCommand('skymap <file>', 'Summarise a GW skymap (FITS, gzipped or not; flat or multi-order): areas, peak, distance, densities at directions', async () => (await import('./skymap.js')).skymapCommand),
  lazyCommand('background', 'Compute the background odds table used for significance p-values (3.5.1 method)', async () => (await import('./background.js')).backgroundCommand),
];
