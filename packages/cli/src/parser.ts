import yargs, { type Argv } from 'yargs';
import { commands } from './commands/index.js';
import { noteHelpRequest } from './help.js';
import { llamaVersion } from './version.js';

/** Build the `llama` parser; tests parse with it without spawning a process. */
export function createParser(argv: readonly string[]): Argv {
  noteHelpRequest(argv);
  let parser = yargs([...argv])
    .scriptName('llama')
    .usage('$0 <command> [options]\n\nKeeps LLAMA (GW + high-energy neutrino) event directories up to date.')
    .version(llamaVersion())
    .help('h')
    .alias('h', 'help')
    .strict()
    .demandCommand(1, 'Name a command, e.g. `llama run --help`.')
    .recommendCommands()
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .exitProcess(false);
  for (const command of commands) parser = parser.command(command);
  return parser;
}
