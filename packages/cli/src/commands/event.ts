import { initEvent, serializeFlags, readEventFlags } from '@llama/core';
import type { Argv, CommandModule } from 'yargs';
import { FLAGS_OPTION, flagUpdateFromWords, reportError, RUN_OPTION } from './flag-options.js';

interface InitArgs {
  eventid: string;
  run?: string;
  flags?: string[];
}

const initCommand: CommandModule<object, InitArgs> = {
  command: 'init <eventid>',
  describe: 'Create an event directory with its git repository and FLAGS.json (an existing event is kept; --flags updates it)',
  builder: (y) =>
    y
      .positional('eventid', { type: 'string', demandOption: true, describe: 'Event id, e.g. S250924di or S250924di-2-Preliminary' })
      .option('run', RUN_OPTION)
      .option('flags', FLAGS_OPTION)
      .example('$0 event init S250924di --flags RERUN', 'create S250924di in the default run with the RERUN preset') as Argv<InitArgs>,
  handler: async (argv) => {
    try {
      const flags = flagUpdateFromWords(argv.flags);
      // The pipelines package is heavy (skymaps, plots): load it only when the command runs.
      const { ingest } = await import('@llama/pipelines');
      const runDir = ingest.resolveRunDir(argv.run, process.env);
      await ingest.ensureRunDir(runDir);
      const event = await initEvent(runDir, argv.eventid, flags === undefined ? {} : { flags });
      const current = await readEventFlags(event.eventDir);
      process.stdout.write(`${event.eventDir}\n`);
      if (current.ok) process.stdout.write(serializeFlags(current.value));
      process.exitCode = 0;
    } catch (error) {
      reportError('llama event init', error);
    }
  },
};

export const eventCommand: CommandModule = {
  command: 'event',
  describe: 'Manage event directories (event init)',
  builder: (y) => y.command(initCommand).demandCommand(1, 'Name an event subcommand, e.g. `llama event init S250924di`.'),
  handler: () => {},
};
