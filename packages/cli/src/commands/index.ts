import type { CommandModule } from 'yargs';
import { runCommand } from './run.js';
import { eventCommand } from './event.js';
import { flagsCommand } from './flags.js';
import { ingestCommand } from './ingest.js';
import { skymapCommand } from './skymap.js';
import { backgroundCommand } from './background.js';

/**
 * Every `llama` subcommand, one module per file. A command's handler sets `process.exitCode`
 * (0 done, 1 some work failed, 2 usage or configuration error) and never calls process.exit.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [
  runCommand,
  eventCommand,
  flagsCommand,
  ingestCommand,
  skymapCommand,
  backgroundCommand,
];
