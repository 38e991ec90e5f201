import type { ingest } from '@llama/pipelines';
import type { Argv, CommandModule } from 'yargs';
import { llamaVersion } from '../version.js';
import { FLAGS_OPTION, flagUpdateFromWords, reportError, RUN_OPTION } from './flag-options.js';

interface CommonArgs {
  run?: string;
  flags?: string[];
}
interface FilesArgs extends CommonArgs {
  files?: string[];
  stdin?: boolean;
}
interface GraceDbArgs extends CommonArgs {
  superevent: string;
  skymap?: string;
}

type Ingest = (source: string, options: ingest.IngestOptions) => Promise<ingest.IngestOutcome>;
type IngestModule = typeof ingest;

/** The pipelines package is heavy (skymaps, plots): load it only when a command runs. */
async function loadIngest(): Promise<IngestModule> {
  return (await import('@llama/pipelines')).ingest;
}

/** `--stdin` reads one notice or alert from standard input (e.g. piped from a GCN listener). */
async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

function fromFileOrStdin(
  fromFile: (path: string, options: ingest.IngestOptions) => Promise<ingest.IngestOutcome>,
  fromBytes: (bytes: Uint8Array, source: string, options: ingest.IngestOptions) => Promise<ingest.IngestOutcome>,
): Ingest {
  return async (source, options) => (source === STDIN ? fromBytes(await readStdin(), '<stdin>', options) : fromFile(source, options));
}

const STDIN = '\u0000stdin';

function sourcesOf(argv: FilesArgs): string[] {
  return [...(argv.stdin === true ? [STDIN] : []), ...(argv.files ?? [])];
}

const stdinOption = { type: 'boolean', default: false, describe: 'Also read one document from standard input' } as const;

function requireInput(argv: FilesArgs): true {
  if (sourcesOf(argv).length === 0) throw new Error('name at least one file, or pass --stdin');
  return true;
}

/** Ingest every source; one failure does not stop the others. Exit 1 if any failed. */
async function ingestAll(label: string, sources: readonly string[], args: CommonArgs, pick: (m: IngestModule) => Ingest): Promise<void> {
  let flags: Record<string, string> | undefined;
  try {
    flags = flagUpdateFromWords(args.flags);
  } catch (error) {
    reportError(label, error);
    return;
  }
  const module = await loadIngest();
  const run = pick(module);
  const options: ingest.IngestOptions = {
    runDir: module.resolveRunDir(args.run, process.env),
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
  command: 'gcn [files..]',
  describe: 'Ingest LVK GCN VOEvents (Preliminary, Initial, Update, EarlyWarning, Retraction); other missions are skipped',
  builder: (y) =>
    y
      .positional('files', { type: 'string', array: true, describe: 'VOEvent XML files' })
      .option('stdin', stdinOption)
      .check(requireInput)
      .option('run', run)
      .option('flags', { ...FLAGS_OPTION, describe: `Flags over the role preset (TRIGGERED_PUBLIC for role=observation, else TRIGGERED_TEST). ${FLAGS_OPTION.describe}` })
      .example('$0 ingest gcn S250924di-1-Preliminary.xml', 'create S250924di-1-Preliminary with lvc_gcn.xml and skymap_info.json')
      .example('$0 ingest gcn notice.xml --flags RERUN', 'the same, but never upload') as Argv<FilesArgs>,
  handler: (argv) => ingestAll('llama ingest gcn', sourcesOf(argv), argv, (m) => fromFileOrStdin(m.ingestGcnFile, m.ingestGcnNotice)),
};

const alertCommand: CommandModule<object, FilesArgs> = {
  command: 'alert [files..]',
  describe: 'Ingest O4 LVK alerts (igwn.gwalert JSON: lvalert.json, skymap_info.json, the embedded skymap) or igwn-alert GraceDB messages (ADVOK/ADVREQ superevents)',
  builder: (y) =>
    y
      .positional('files', { type: 'string', array: true, describe: 'Alert JSON files' })
      .option('stdin', stdinOption)
      .check(requireInput)
      .option('run', run)
      .option('flags', { ...FLAGS_OPTION, describe: `Flags over the preset (TRIGGERED_PUBLIC for S… superevents, else TRIGGERED_TEST). ${FLAGS_OPTION.describe}` })
      .example('$0 ingest alert S250924di-preliminary.json', 'create S250924di with lvalert.json, lvc_skymap.fits.gz and skymap_info.json') as Argv<FilesArgs>,
  handler: (argv) => ingestAll('llama ingest alert', sourcesOf(argv), argv, (m) => fromFileOrStdin(m.ingestAlertFile, m.ingestAlert)),
};

const gracedbCommand: CommandModule<object, GraceDbArgs> = {
  command: 'gracedb <superevent>',
  describe: 'Create or update an event from GraceDB: skymap_info.json from the preferred event and the newest standard skymap ($LLAMA_GRACEDB_URL)',
  builder: (y) =>
    y
      .positional('superevent', { type: 'string', demandOption: true, describe: 'Superevent id, e.g. S250924di' })
      .option('run', run)
      .option('skymap', { type: 'string', describe: 'Use this skymap (NAME or NAME,VERSION) instead of the newest standard one' })
      .option('flags', { ...FLAGS_OPTION, describe: `Flags for the event (a new event gets DEFAULT). ${FLAGS_OPTION.describe}` })
      .example('$0 ingest gracedb S250924di --flags RERUN', 'skymap_info.json from GraceDB, for a rerun that uploads nothing') as Argv<GraceDbArgs>,
  handler: (argv) =>
    ingestAll('llama ingest gracedb', [argv.superevent], argv, (m) => (id, o) =>
      m.ingestFromGraceDb(id, argv.skymap === undefined ? o : { ...o, skymap: argv.skymap }),
    ),
};

export const ingestCommand: CommandModule = {
  command: 'ingest',
  describe: 'Create events from GCN notices, LVK alerts or GraceDB',
  builder: (y) =>
    y.command(gcnCommand).command(alertCommand).command(gracedbCommand).demandCommand(1, 'Name what to ingest: gcn, alert or gracedb.'),
  handler: () => {},
};
