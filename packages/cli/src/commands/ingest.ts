import { ingest } from '@llama/pipelines';
import type { Argv, CommandModule } from 'yargs';
import { llamaVersion } from '../version.js';
import { FLAGS_OPTION, flagUpdateFromWords, reportError, RUN_OPTION } from './flag-options.js';

interface CommonArgs {
  run?: string;
  flags?: string[];
}
interface FilesArgs extends CommonArgs {
  files: string[];
}
interface GraceDbArgs extends CommonArgs {
  superevent: string;
  skymap?: string;
}

type Ingest = (source: string, options: ingest.IngestOptions) => Promise<ingest.IngestOutcome>;

/** Ingest every source; one failure does not stop the others. Exit 1 if any failed. */
async function ingestAll(label: string, sources: readonly string[], args: CommonArgs, run: Ingest): Promise<void> {
  let flags: Record<string, string> | undefined;
  try {
    flags = flagUpdateFromWords(args.flags);
  } catch (error) {
    reportError(label, error);
    return;
  }
  const options: ingest.IngestOptions = {
    runDir: ingest.resolveRunDir(args.run, process.env),
    env: process.env,
    engineVersion: llamaVersion(),
    ...(flags === undefined ? {} : { flags }),
  };
  process.exitCode = 0;
  for (const source of sources) {
    try {
      const outcome = await run(source, options);
      for (const line of outcome.messages) process.stdout.write(`${line}\n`);
    } catch (error) {
      reportError(label, error);
    }
  }
}

const run = { describe: RUN_OPTION.describe, type: 'string' } as const;

const gcnCommand: CommandModule<object, FilesArgs> = {
  command: 'gcn <files..>',
  describe: 'Ingest LVK GCN VOEvents (Preliminary, Initial, Update, EarlyWarning, Retraction); other missions are skipped',
  builder: (y) =>
    y
      .positional('files', { type: 'string', array: true, demandOption: true, describe: 'VOEvent XML files' })
      .option('run', run)
      .option('flags', { ...FLAGS_OPTION, describe: `Flags over the role preset (TRIGGERED_PUBLIC for role=observation, else TRIGGERED_TEST). ${FLAGS_OPTION.describe}` }) as Argv<FilesArgs>,
  handler: (argv) => ingestAll('llama ingest gcn', argv.files, argv, (f, o) => ingest.ingestGcnFile(f, o)),
};

const alertCommand: CommandModule<object, FilesArgs> = {
  command: 'alert <files..>',
  describe: 'Ingest O4 LVK alerts (igwn.gwalert JSON): lvalert.json, skymap_info.json and the embedded skymap',
  builder: (y) =>
    y
      .positional('files', { type: 'string', array: true, demandOption: true, describe: 'Alert JSON files' })
      .option('run', run)
      .option('flags', { ...FLAGS_OPTION, describe: `Flags over the preset (TRIGGERED_PUBLIC for S… superevents, else TRIGGERED_TEST). ${FLAGS_OPTION.describe}` }) as Argv<FilesArgs>,
  handler: (argv) => ingestAll('llama ingest alert', argv.files, argv, (f, o) => ingest.ingestAlertFile(f, o)),
};

const gracedbCommand: CommandModule<object, GraceDbArgs> = {
  command: 'gracedb <superevent>',
  describe: 'Create or update an event from GraceDB: skymap_info.json from the preferred event and the newest standard skymap ($LLAMA_GRACEDB_URL)',
  builder: (y) =>
    y
      .positional('superevent', { type: 'string', demandOption: true, describe: 'Superevent id, e.g. S250924di' })
      .option('run', run)
      .option('skymap', { type: 'string', describe: 'Use this skymap (NAME or NAME,VERSION) instead of the newest standard one' })
      .option('flags', { ...FLAGS_OPTION, describe: `Flags for the event (a new event gets DEFAULT). ${FLAGS_OPTION.describe}` }) as Argv<GraceDbArgs>,
  handler: (argv) =>
    ingestAll('llama ingest gracedb', [argv.superevent], argv, (id, o) =>
      ingest.ingestFromGraceDb(id, argv.skymap === undefined ? o : { ...o, skymap: argv.skymap }),
    ),
};

export const ingestCommand: CommandModule = {
  command: 'ingest',
  describe: 'Create events from GCN notices, LVK alerts or GraceDB',
  builder: (y) =>
    y.command(gcnCommand).command(alertCommand).command(gracedbCommand).demandCommand(1, 'Name what to ingest: gcn, alert or gracedb.'),
  handler: () => {},
};
