import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError, describeError, processAlive } from '@llama/core';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { claimLockDir, cleanDeadDaemons, listDaemons, lockDirName, releaseLockDir, writeDaemonInfo, type DaemonEntry } from '../daemon-locks.js';
import { createMaintainerAlerter, type MaintainerAlerter } from '../err-alert.js';
import { CliLog, VERBOSITIES, type Verbosity } from '../logging.js';
import { cacheDir, defaultRunDir, logsDir, outputDir } from '../paths.js';
import { llamaVersion } from '../version.js';
import { FLAGS_OPTION, flagUpdateFromWords, RUN_OPTION } from './flag-options.js';

type Profile = 'gcn' | 'igwn-alert';

interface ListenArgs {
  run?: string;
  profile: Profile;
  topics?: string[];
  broker?: string;
  tls?: boolean;
  tokenUrl?: string;
  credentials?: string;
  groupId?: string;
  archive?: string;
  heartbeatTimeout: number;
  replay?: string[];
  flags?: string[];
  errAlert: boolean;
  logfile?: string;
  verbosity: Verbosity;
  foreground: boolean;
  runningDaemons: boolean;
  kill: boolean;
  killfirst: boolean;
}

/**
 * The two profiles of the one consumer: GCN's public Kafka (OIDC client credentials) and the
 * LVK-internal igwn-alert (SCRAM user name and password on SCiMMA's broker). They differ only
 * in defaults and authentication; every message goes through the same archive → ingest → commit.
 */
const PROFILES: Record<Profile, { broker: string; topics: readonly string[]; credentialEnv: readonly [string, string]; groupId: string }> = {
  gcn: {
    broker: 'kafka.gcn.nasa.gov:9092',
    // One LVK stream only (the JSON one), so that no superevent is analysed twice.
    topics: ['igwn.gwalert', 'gcn.notices.icecube.lvk_nu_track_search', 'gcn.heartbeat'],
    credentialEnv: ['GCN_CLIENT_ID', 'GCN_CLIENT_SECRET'],
    groupId: 'llama-listen',
  },
  'igwn-alert': {
    broker: 'kafka.scimma.org:9092',
    topics: ['gracedb.superevent'],
    credentialEnv: ['IGWN_ALERT_USERNAME', 'IGWN_ALERT_PASSWORD'],
    groupId: 'llama-listen',
  },
};
const GCN_TOKEN_URL = 'https://auth.gcn.nasa.gov/oauth2/token';
/** Set in a daemon child: the parent already holds this lock directory for it. */
const LOCKDIR_ENV = 'LLAMA_LISTEN_LOCKDIR';
const KILL_GRACE_MS = 15_000;

/** Listener lock directories: apart from `llama run`'s, which a listener on the same run must not compete with. */
const listenLockRoot = (env = process.env): string => join(cacheDir(env), 'llama-listen.d');
const lockDirFor = (runDir: string): string => join(listenLockRoot(), lockDirName([runDir], '*'));

function builder(yargs: Argv): Argv<ListenArgs> {
  const env = process.env;
  return yargs
    .usage(
      'llama listen [options]\n\n' +
        'Receive alerts from GCN Kafka (igwn.gwalert, IceCube LVK searches, gcn.heartbeat) and turn each into an event ' +
        'directory: every message is archived, then ingested, and only then committed, so that a crash loses nothing and ' +
        'handles nothing twice. Runs in the foreground (-F) or as a daemon; `llama run` (another daemon) analyses the events.',
    )
    .option('run', { ...RUN_OPTION })
    .option('profile', { type: 'string', choices: ['gcn', 'igwn-alert'] as const, default: 'gcn' as Profile, describe: 'gcn: GCN Kafka with OIDC client credentials; igwn-alert: LVK-internal GraceDB messages with SCRAM credentials' })
    .option('topics', { type: 'string', array: true, describe: `Topics to consume (default for gcn: ${PROFILES.gcn.topics.join(' ')})` })
    .option('broker', { type: 'string', describe: `host:port of the bootstrap broker (default $LLAMA_LISTEN_BROKER, else ${PROFILES.gcn.broker} / ${PROFILES['igwn-alert'].broker})` })
    .option('tls', { type: 'boolean', describe: 'Use TLS to the broker (default: on; --no-tls for a local or test broker)' })
    .option('token-url', { type: 'string', describe: `OIDC token endpoint (default $LLAMA_GCN_TOKEN_URL, else ${GCN_TOKEN_URL})` })
    .option('credentials', { type: 'string', describe: 'File (mode 0600) with client_id and client_secret (gcn) or username and password (igwn-alert); default $LLAMA_LISTEN_CREDENTIALS, else $GCN_CLIENT_ID/$GCN_CLIENT_SECRET or $IGWN_ALERT_USERNAME/$IGWN_ALERT_PASSWORD' })
    .option('group-id', { type: 'string', describe: 'Kafka consumer group: fixed, so a restart resumes where the last run committed (default $LLAMA_LISTEN_GROUP_ID, else llama-listen)' })
    .option('archive', { type: 'string', describe: `Message archive (default ${join(outputDir(env), 'gcn', 'archive')})` })
    .option('heartbeat-timeout', { type: 'number', default: 60, describe: 'Seconds without gcn.heartbeat, or without an answer from the broker, before it is an error (logged; Slack with --err-alert); 0: off' })
    .option('replay', { type: 'string', array: true, describe: 'Ingest archived or recorded messages (files or archive directories) through the same path, then exit' })
    .option('flags', { ...FLAGS_OPTION, describe: `Flags over each alert's preset (TRIGGERED_PUBLIC for S… superevents, else TRIGGERED_TEST). ${FLAGS_OPTION.describe}` })
    .option('err-alert', { type: 'boolean', default: false, describe: 'Post liveness errors (silent heartbeat, unreachable broker), unarchivable messages and a consumer that gives up to Slack (SLACK_API_TOKEN_LLAMA).' })
    .option('logfile', { alias: 'l', type: 'string', describe: `Archival logfile, always at DEBUG (default ${join(logsDir(env), 'llama-listen.log')}); /dev/null disables it.` })
    .option('verbosity', { alias: 'v', type: 'string', choices: [...VERBOSITIES], default: 'info' as Verbosity, describe: 'Level logged to STDERR; none silences it.' })
    .option('foreground', { alias: 'F', type: 'boolean', default: false, describe: `Stay in the foreground instead of starting a daemon (whose log goes to ${logsDir(env)}/listen-<lockdir name>.log).` })
    .option('running-daemons', { alias: 'R', type: 'boolean', default: false, describe: `List the running listeners recorded in ${listenLockRoot(env)} and clean up entries whose process is gone.` })
    .option('kill', { alias: 'k', type: 'boolean', default: false, describe: 'Stop the listener of this run directory (SIGTERM: it commits what it finished), then exit.' })
    .option('killfirst', { alias: 'K', type: 'boolean', default: false, describe: 'Like --kill, but continue and start afterwards.' })
    .example('$0 listen', 'start the GCN listener daemon for the default run directory (credentials from $GCN_CLIENT_ID/$GCN_CLIENT_SECRET)')
    .example('$0 listen -F --credentials ~/.config/llama/gcn.json', 'the same, in the foreground')
    .example('$0 listen --replay ~/.local/share/llama/gcn/archive/igwn.gwalert', 'ingest the archived alerts again (e.g. after a missed night)')
    .check((argv) => {
      const t = argv['heartbeat-timeout'];
      if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) return '--heartbeat-timeout must be a number of seconds >= 0';
      return true;
    }) as unknown as Argv<ListenArgs>;
}

function printDaemons(entries: readonly DaemonEntry[], removed: readonly DaemonEntry[]): void {
  for (const e of removed) process.stdout.write(`removed stale entry ${e.name} (pid ${e.pid ?? '?'} is gone)\n`);
  if (entries.length === 0) {
    process.stdout.write(`no llama listeners are running (lock directory ${listenLockRoot()})\n`);
    return;
  }
  for (const e of entries) {
    process.stdout.write(`pid ${e.pid ?? '?'}\n  run:     ${e.runDirs?.join(', ') ?? '(long path, hashed)'}\n  started: ${e.startedAt ?? '?'}\n  command: ${e.commandLine ?? '?'}\n  lockdir: ${e.lockDir}\n`);
  }
}

async function stopListener(entry: DaemonEntry): Promise<void> {
  if (entry.pid === undefined) return;
  process.stdout.write(`stopping listener pid ${entry.pid} (${entry.commandLine ?? entry.name})\n`);
  try {
    process.kill(entry.pid, 'SIGTERM');
  } catch {
    // already gone
  }
  const deadline = Date.now() + KILL_GRACE_MS;
  while (Date.now() < deadline && processAlive(entry.pid)) await sleep(50);
  if (processAlive(entry.pid)) {
    process.stdout.write(`pid ${entry.pid} ignored SIGTERM; sending SIGKILL\n`);
    try {
      process.kill(entry.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  releaseLockDir(entry.lockDir);
}

/** A detached copy of this command in the foreground; the parent holds its lock directory for it. */
function launchDaemon(argv: readonly string[], lockDir: string, logFile: string): number {
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [process.argv[1] as string, 'listen', ...argv, '-F'], {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: { ...process.env, [LOCKDIR_ENV]: lockDir },
    cwd: process.cwd(),
  });
  closeSync(fd);
  child.unref();
  const pid = child.pid as number;
  writeDaemonInfo(lockDir, pid, ['llama', 'listen', ...argv].join(' '));
  return pid;
}

async function handler(args: ArgumentsCamelCase<ListenArgs>): Promise<void> {
  const env = process.env;
  const rawArgv = process.argv.slice(2);
  const listenArgv = rawArgv.slice(rawArgv.indexOf('listen') + 1);
  const pipelines = await import('@llama/pipelines');
  const runDir = args.run !== undefined && args.run !== '' ? resolve(args.run) : pipelines.ingest.resolveRunDir(undefined, env);
  const flags = flagUpdateFromWords(args.flags);
  const ingestOptions = { runDir, env, engineVersion: llamaVersion(), ...(flags === undefined ? {} : { flags }) };

  if (args.replay !== undefined) {
    const listen = await import('@llama/listen');
    let files: string[];
    try {
      files = listen.replayFiles(args.replay);
    } catch (error) {
      throw new ConfigError(`--replay: ${describeError(error)}`, { code: 'replay' });
    }
    const failed = await listen.replay(files, { ingest: pipelines.ingest, options: ingestOptions }, (h) => {
      for (const line of h.lines) (h.status === 'failed' ? process.stderr : process.stdout).write(`${h.status === 'failed' ? 'llama listen: ' : ''}${line}\n`);
    });
    process.exitCode = failed > 0 ? 1 : 0;
    return;
  }

  if (args.runningDaemons) {
    const removed = cleanDeadDaemons(listenLockRoot());
    printDaemons(listDaemons(listenLockRoot()), removed);
    return;
  }
  const lockDir = lockDirFor(runDir);
  const inheritedLockDir = env[LOCKDIR_ENV];
  if (args.kill || args.killfirst) {
    cleanDeadDaemons(listenLockRoot());
    const victims = listDaemons(listenLockRoot()).filter((e) => e.lockDir === lockDir && e.alive && e.lockDir !== inheritedLockDir);
    for (const v of victims) await stopListener(v);
    if (victims.length === 0) process.stdout.write(`no llama listener is running for ${runDir}\n`);
    if (args.kill) return;
  }

  const profile = PROFILES[args.profile];
  const brokers = (args.broker ?? env['LLAMA_LISTEN_BROKER'] ?? profile.broker).split(',').map((b) => b.trim()).filter((b) => b !== '');
  for (const b of brokers) if (!/^[A-Za-z0-9.-]+:\d{1,5}$/.test(b)) throw new ConfigError(`--broker ${JSON.stringify(b)} is not host:port`, { code: 'broker' });
  const topics = args.topics ?? [...profile.topics];
  const { loadCredentials, OidcTokenProvider, validTopic } = await import('@llama/listen');
  for (const t of topics) if (!validTopic(t)) throw new ConfigError(`--topics: ${JSON.stringify(t)} is not a Kafka topic name`, { code: 'topics' });
  const credentials = loadCredentials(args.credentials ?? env['LLAMA_LISTEN_CREDENTIALS'], env, profile.credentialEnv);
  const onGcn = brokers.some((b) => b.endsWith('.gcn.nasa.gov:9092') || b.startsWith('kafka.gcn.nasa.gov'));
  if (credentials === undefined && onGcn) {
    throw new ConfigError(`GCN Kafka needs client credentials: set ${profile.credentialEnv.join(' and ')}, or --credentials FILE (mode 0600); see https://gcn.nasa.gov/quickstart`, { code: 'credentials' });
  }
  const tokenUrl = args.tokenUrl ?? env['LLAMA_GCN_TOKEN_URL'] ?? GCN_TOKEN_URL;
  const auth =
    credentials === undefined
      ? undefined
      : args.profile === 'gcn'
        ? { mechanism: 'oauthbearer' as const, provider: new OidcTokenProvider({ tokenUrl, clientId: credentials.id, clientSecret: credentials.secret }) }
        : { mechanism: 'scram-sha-512' as const, username: credentials.id, password: credentials.secret };
  const groupId = args.groupId ?? env['LLAMA_LISTEN_GROUP_ID'] ?? profile.groupId;
  if (groupId.trim() === '') throw new ConfigError('--group-id must not be empty (a fixed group is what lets a restart resume)', { code: 'group-id' });
  const archiveDir = resolve(args.archive ?? join(outputDir(env), 'gcn', 'archive'));

  // Only one listener per run directory: two would split the partitions between them.
  let ownLockDir = inheritedLockDir;
  if (ownLockDir === undefined) {
    cleanDeadDaemons(listenLockRoot());
    mkdirSync(listenLockRoot(), { recursive: true });
    if (!claimLockDir(lockDir, process.pid, ['llama', 'listen', ...listenArgv].join(' '))) {
      const holder = listDaemons(listenLockRoot()).find((e) => e.lockDir === lockDir);
      throw new ConfigError(`a llama listener is already running for ${runDir} (pid ${holder?.pid ?? '?'}); stop it with llama listen -k, or start with -K`, { code: 'competitor' });
    }
    ownLockDir = lockDir;
    if (!args.foreground) {
      mkdirSync(logsDir(), { recursive: true });
      const daemonLog = join(logsDir(), `listen-${lockDirName([runDir], '*')}.log`);
      const pid = launchDaemon(listenArgv, lockDir, daemonLog);
      process.stdout.write(`llama listen: started daemon pid ${pid} for ${runDir}\n  log: ${daemonLog}\n  stop it with: llama listen${args.run === undefined ? '' : ` --run ${args.run}`} -k\n`);
      return;
    }
  }
  const daemonLog = inheritedLockDir === undefined ? [] : [join(logsDir(), `listen-${lockDirName([runDir], '*')}.log`)];
  const log = new CliLog({ verbosity: inheritedLockDir !== undefined ? 'none' : args.verbosity, files: [args.logfile ?? join(logsDir(env), 'llama-listen.log'), ...daemonLog] });
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    log.info(`${signal}: stopping after the message in hand`);
    stop.abort();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    let alerter: MaintainerAlerter | undefined;
    if (args.errAlert) alerter = await createMaintainerAlerter(env, (m) => log.error(m), 'llama listen');
    const { listen } = await import('@llama/listen');
    process.exitCode = await listen(
      { brokers, tls: args.tls ?? true, auth, topics, groupId, archiveDir, ingestOptions, livenessTimeoutMs: args.heartbeatTimeout * 1000 },
      {
        log: { debug: (m) => log.debug(m), info: (m) => log.info(m), warning: (m) => log.warning(m), error: (m) => log.error(m) },
        alert: async (summary) => alerter?.alert(summary, summary),
        stop: stop.signal,
        env,
      },
    );
  } catch (error) {
    log.error(`llama listen stopped on an unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : describeError(error)}`);
    process.exitCode = 1;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await log.flush();
    releaseLockDir(ownLockDir);
    // kafkajs can keep retry timers alive after a stop with the broker gone; they must not keep
    // a stopped listener's process alive (this timer itself does not).
    setTimeout(() => process.exit(), 2000).unref();
  }
}

export const listenCommand: CommandModule<object, ListenArgs> = {
  command: 'listen',
  describe: 'Receive alerts from GCN Kafka into event directories: archive, ingest, commit (foreground -F or daemon)',
  builder,
  handler,
};
