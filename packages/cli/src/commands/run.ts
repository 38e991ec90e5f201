import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import {
  ConfigError,
  DOWNSELECT_OPTIONS,
  CleanEvents,
  durabilityEnabled,
  HashCache,
  ParallelStat,
  Scheduler,
  describeError,
  discoverEvents,
  downselectEvents,
  parseDownselect,
  processAlive,
  runPass,
  versioningEnabled,
  type DownselectLayer,
  type EngineEvent,
  type EventPlan,
  type EventRef,
  type Pipeline,
} from '@llama/core';
import { DEFAULT_PIPELINE_NAMES, PIPELINE_NAMES } from '@llama/pipelines/names';
import {
  claimLockDir,
  cleanDeadDaemons,
  competes,
  listDaemons,
  lockDirName,
  releaseLockDir,
  writeDaemonInfo,
  type DaemonEntry,
} from '../daemon-locks.js';
import { devModeProblem } from '../dev-mode.js';
import { createMaintainerAlerter, type MaintainerAlerter } from '../err-alert.js';
import { CliLog, VERBOSITIES, type Verbosity } from '../logging.js';
import { archivalLogfile, cacheDir, daemonLockRoot, defaultRunDir, logsDir, stateDir } from '../paths.js';
import { JsonCollector } from '../reporters/json.js';
import { logEngineEvent, ProgressLine } from '../reporters/log.js';
import { formatPlanText } from '../reporters/plan-text.js';
import { checkEnvironment, checkLogFile, checkRunTarget, envSource } from '../run-checks.js';
import { parseRunTarget, type RunTarget } from '../run-target.js';
import { choosePipeline, formatPipeline } from '../select-pipeline.js';
import { helpRequested } from '../help.js';
import { llamaVersion } from '../version.js';
import { ChangeWatcher } from '../watch.js';
import { onlyListedEvents } from '../events-from.js';

export interface RunArgs {
  run?: string;
  version?: boolean;
  devMode: boolean;
  errAlert: boolean;
  filehandlers?: string[];
  plusFilehandlers?: string[];
  pipeline?: string;
  printDefaultPipeline: boolean;
  dryRunPipeline: boolean;
  dryRunDirs: boolean;
  downselect: string;
  printDownselections: boolean;
  logfile: string;
  verbosity: Verbosity;
  runonce: boolean;
  numUpdated: number;
  foreground: boolean;
  runningDaemons: boolean;
  kill: boolean;
  killfirst: boolean;
  relaunch: boolean;
  dryRun: boolean;
  json: boolean;
  rules?: string;
  jobs?: number;
  force?: string[];
  verbose: boolean;
  executor: 'local' | 'slurm';
  batch: number;
  slurmOpt?: string[];
  eventsFrom?: string;
}

/** 3.5.1 SLEEP_WAIT: seconds between passes when file-system notifications are unavailable. */
const POLL_SECONDS = 2;
/**
 * With notifications, landing files trigger a pass over just their events at once; a full pass
 * (new events, expired cooldowns, provisional outputs) still runs this often, and earlier when a
 * plan says a cooldown or an intent ends sooner.
 */
const FULL_PASS_SECONDS = 10;
/** Time running generations get to finish after SIGTERM/SIGINT before they are aborted. */
const GRACE_MS = 10_000;
const KILL_GRACE_MS = 5_000;
/** Set in a daemon child: the parent already holds this lock directory for it. */
const LOCKDIR_ENV = 'LLAMA_DAEMON_LOCKDIR';
/** Set in the children of a relauncher: the relauncher releases the lock directory, not them. */
const KEEP_LOCK_ENV = 'LLAMA_DAEMON_KEEP_LOCK';

/** `+f X` / `++filehandlers X` are 3.5.1 syntax yargs cannot express; main() rewrites them. */
export function rewritePlusOptions(argv: readonly string[]): string[] {
  return argv.map((a) => (a === '+f' || a === '++filehandlers' ? '--plus-filehandlers' : a));
}

function builder(yargs: Argv): Argv<RunArgs> {
  const env = process.env;
  const full = helpRequested();
  return yargs
    .version(false)
    .usage(
      'llama run [run] [options]\n\n' +
        'The main interface for running the LLAMA pipeline. Turns on the automated pipeline, either in the foreground ' +
        '(for immediate work) or in the background (launching a long-running daemon process). The pipeline checks for new ' +
        'LLAMA events and event data and (re)fetches/(re)generates data files for each event as new data becomes available.',
    )
    .positional('run', {
      type: 'string',
      describe: `A pattern /run/directory/event*glob selecting the event directories to update (see the end of this help). (default: ${join(defaultRunDir(env), '*')})`,
    })
    .option('version', { alias: 'V', type: 'boolean', describe: 'Print the version number and exit.' })
    .option('dev-mode', { alias: 'D', type: 'boolean', default: false, describe: 'Run even if the llama version is not a plain X.Y.Z or the installed source has local changes. Not for production except in an emergency.' })
    .option('err-alert', { type: 'boolean', default: false, describe: 'Alert maintainers on Slack (SLACK_API_TOKEN_LLAMA) about unhandled exceptions.' })
    .option('filehandlers', { alias: 'f', type: 'string', array: true, describe: `FileHandlers to include (exactly these; missing inputs are not generated).${full ? ` Choices: ${DEFAULT_PIPELINE_NAMES.join(', ')}` : ''}` })
    .option('plus-filehandlers', { type: 'string', array: true, describe: '+f / ++filehandlers: like -f, but all ancestors of the listed FileHandlers are included too.' })
    .option('pipeline', { alias: 'p', type: 'string', choices: [...PIPELINE_NAMES], describe: 'The pipeline to use; united with -f/+f when both are given.' })
    .option('print-default-pipeline', { type: 'boolean', default: false, describe: 'Print the contents of the default pipeline and quit.' })
    .option('dry-run-pipeline', { type: 'boolean', default: false, describe: 'Print the selected pipeline and quit.' })
    .option('dry-run-dirs', { type: 'boolean', default: false, describe: 'Print the runs and event directories that would be affected and quit.' })
    .option('downselect', { type: 'string', default: 'manual=False', describe: 'Further downselections, comma-separated k=v (True/False, ints, floats, else strings); an empty string means none.' })
    .option('print-downselections', { type: 'boolean', default: false, describe: 'Print the available downselections and quit.' })
    .option('logfile', { alias: 'l', type: 'string', default: archivalLogfile(env), describe: 'Archival logfile, always at DEBUG; /dev/null (or a path resolving to it) disables it.' })
    .option('verbosity', { alias: 'v', type: 'string', choices: [...VERBOSITIES], default: 'info', describe: 'Level logged to STDERR; none silences it.' })
    .option('runonce', { alias: 'o', type: 'boolean', default: false, describe: 'Update each event directory once, then exit.' })
    .option('num-updated', { alias: 'n', type: 'number', default: 40, describe: 'Number of most recently modified event directories to keep updated.' })
    .option('foreground', { alias: 'F', type: 'boolean', default: false, describe: `Stay in the foreground, logging to STDERR, instead of starting a daemon (whose log goes to ${logsDir(env)}/<lockdir name>.log).` })
    .option('running-daemons', { alias: 'R', type: 'boolean', default: false, describe: `List the running llama daemons recorded in ${daemonLockRoot(env)} and clean up entries whose process is gone.` })
    .option('kill', { alias: 'k', type: 'boolean', default: false, describe: 'Stop daemons that could select the same event directories (same run directory and intersecting globs; SIGTERM, then SIGKILL), then exit.' })
    .option('killfirst', { alias: 'K', type: 'boolean', default: false, describe: 'Like --kill, but continue and start afterwards.' })
    .option('relaunch', { alias: 'r', type: 'boolean', default: false, describe: 'Relaunch llama run (with backoff) whenever it fails; stop on a clean exit.' })
    .option('dry-run', { type: 'boolean', default: false, describe: 'Print the plan (every step with its reason, counted per rule) and exit without writing.' })
    .option('json', { type: 'boolean', default: false, describe: 'Print the plan (and, without --dry-run, the results) as JSON, schema llama.run/1.' })
    .option('rules', { type: 'string', describe: 'Use the command rules of a JSON rule description instead of the LLAMA pipelines.' })
    .option('jobs', { alias: 'j', type: 'number', describe: 'Generations at once, across all events (default $LLAMA_IO_DEFAULT_GEN_MAX_WORKERS or 4).' })
    .option('force', { type: 'string', array: true, describe: 'Regenerate these FileHandlers even when fresh (all selected ones when given without names).' })
    .option('verbose', { type: 'boolean', default: false, describe: 'With --dry-run, list every step, one line each (fresh ones too; repeated skips of an event are otherwise grouped).' })
    .option('executor', { type: 'string', choices: ['local', 'slurm'], default: 'local', describe: 'Where the work runs: here, or as Slurm jobs (plan here, submit the events with work, wait for them; see "Running on a cluster" in the README).' })
    .option('batch', { type: 'number', default: 20, describe: 'With --executor slurm: events per Slurm job.' })
    .option('slurm-opt', { type: 'string', array: true, describe: 'With --executor slurm: extra sbatch options, e.g. --slurm-opt=--partition=short --slurm-opt=--time=2:00:00' })
    .option('events-from', { type: 'string', describe: 'Only the events listed in this file (one event id a line; how a Slurm job gets its events).' })
    .epilogue(full ? EPILOGUE : '')
    .check((argv) => {
      if (argv['num-updated'] !== undefined && (!Number.isInteger(argv['num-updated']) || (argv['num-updated'] as number) < 1)) {
        return '--num-updated must be a positive integer, e.g. -n 40';
      }
      if (argv['jobs'] !== undefined && (!Number.isInteger(argv['jobs']) || (argv['jobs'] as number) < 1)) {
        return '--jobs must be a positive integer, e.g. -j 4';
      }
      if (argv['batch'] !== undefined && (!Number.isInteger(argv['batch']) || (argv['batch'] as number) < 1)) {
        return '--batch must be a positive integer, e.g. --batch 20';
      }
      return true;
    }) as unknown as Argv<RunArgs>;
}

const EPILOGUE = `Run and event glob: give the run directory followed by a slash and the event glob, with no slash at the end
(quote the * so the shell does not expand it):  '/run/directory/event*glob'
  '/event*glob'         the default run directory with this glob ('//glob' if your run directory is /)
  /run/directory/       every event of that run directory (same as /run/directory/'*')
  .  or  NAME           a bare name (no slash) is the event directory it names: '.' is the current directory
  ./  or  ./'*'         the current directory as the run directory, every event in it

A glob without wildcards names one event: it must be a valid event id (letters, digits, '_', '-', '.';
starting with a letter or digit). A directory that holds event directories is a run directory: give it
with a trailing slash. With -o, a named event directory that does not exist is an error (exit 2).

Daemons: a continuous run (without -o) holds a lock in $LLAMA_CACHEDIR/llamad.run.d; a second one that
could select the same event directories (same run directory AND intersecting globs; 3.5.1 refused when
either intersected) refuses to start. A one-shot run (-o, with or without -F) takes no lock and works
beside a daemon: per-event locks keep them from making the same file twice.

Examples:
  llama run                                  continually update the default run directory (a daemon)
  llama run /tmp/llamatest/                  continually update every event of the run directory /tmp/llamatest
  llama run .                                keep monitoring only the current event directory
  llama run . -o -f IceCubeNeutrinoList      one attempt at IceCubeNeutrinoList here (if its inputs exist), then quit
  llama run . -o +f IceCubeNeutrinoList      the same, generating missing inputs first
  llama run . -o +f IceCubeNeutrinoList -F   the same, in the foreground with all logging
  llama run examples/run/ -F -o --dry-run    show what would be done and why, write nothing`;

function lockDirFor(target: RunTarget): string {
  return join(daemonLockRoot(), lockDirName([target.runDir], target.glob));
}

function competitors(target: RunTarget, ownLockDir?: string): DaemonEntry[] {
  return listDaemons(daemonLockRoot()).filter((e) => e.lockDir !== ownLockDir && e.alive && competes(e, [target.runDir], target.glob));
}

async function killDaemons(entries: readonly DaemonEntry[], out: (line: string) => void): Promise<void> {
  for (const entry of entries) {
    if (entry.pid === undefined) continue;
    out(`stopping pid ${entry.pid} (${entry.commandLine ?? entry.name})`);
    try {
      process.kill(entry.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + KILL_GRACE_MS;
  for (const entry of entries) {
    if (entry.pid === undefined) continue;
    while (Date.now() < deadline && processAlive(entry.pid)) await sleep(50);
    if (processAlive(entry.pid)) {
      out(`pid ${entry.pid} ignored SIGTERM; sending SIGKILL`);
      try {
        process.kill(entry.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    releaseLockDir(entry.lockDir);
  }
}

function printDaemons(entries: readonly DaemonEntry[], removed: readonly DaemonEntry[]): void {
  for (const e of removed) process.stdout.write(`removed stale entry ${e.name} (pid ${e.pid ?? '?'} is gone)\n`);
  if (entries.length === 0) {
    process.stdout.write(`no llama daemons are running (lock directory ${daemonLockRoot()})\n`);
    return;
  }
  for (const e of entries) {
    process.stdout.write(
      `pid ${e.pid ?? '?'}\n  run:     ${e.runDirs?.join(', ') ?? '(long path, hashed)'}\n  glob:    ${e.glob}\n  started: ${e.startedAt ?? '?'}\n  command: ${e.commandLine ?? '?'}\n  lockdir: ${e.lockDir}\n`,
    );
  }
}

/** Relaunch `llama run` (without -r) until it exits cleanly, with exponential backoff. */
async function relaunchLoop(argv: readonly string[], log: CliLog, lockDir: string | undefined): Promise<number> {
  const args = argv.filter((a) => a !== '-r' && a !== '--relaunch');
  if (!args.includes('-F') && !args.includes('--foreground')) args.push('-F');
  let delay = 1000;
  let child: ReturnType<typeof spawn> | undefined;
  const forward = (signal: NodeJS.Signals): void => {
    child?.kill(signal);
  };
  process.on('SIGTERM', forward);
  process.on('SIGINT', forward);
  let stopping = false;
  process.once('SIGTERM', () => (stopping = true));
  process.once('SIGINT', () => (stopping = true));
  try {
    for (;;) {
      child = spawn(process.execPath, [process.argv[1] as string, 'run', ...args], {
        stdio: 'inherit',
        env: { ...process.env, ...(lockDir === undefined ? {} : { [LOCKDIR_ENV]: lockDir, [KEEP_LOCK_ENV]: '1' }) },
      });
      const code = await new Promise<number>((resolve) => child?.on('exit', (c, s) => resolve(c ?? (s === null ? 1 : 128))));
      if (code === 0 || stopping) return 0;
      log.warning(`llama run exited with code ${code}; relaunching in ${delay / 1000} s`);
      await sleep(delay);
      delay = Math.min(delay * 2, 60_000);
    }
  } finally {
    process.off('SIGTERM', forward);
    process.off('SIGINT', forward);
  }
}

/**
 * Start a detached copy of this command in the foreground mode: a daemon, whose lock directory
 * the parent holds for it, or a one-shot pass (no lock directory).
 */
function launchDaemon(argv: readonly string[], lockDir: string | undefined, logFile: string): number {
  const fd = openSync(logFile, 'a');
  const args = [...argv, '-F'];
  const child = spawn(process.execPath, [process.argv[1] as string, 'run', ...args], {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: { ...process.env, ...(lockDir === undefined ? {} : { [LOCKDIR_ENV]: lockDir }) },
    cwd: process.cwd(),
  });
  closeSync(fd);
  child.unref();
  const pid = child.pid as number;
  if (lockDir !== undefined) writeDaemonInfo(lockDir, pid, ['llama', 'run', ...argv].join(' '));
  return pid;
}

async function handler(args: ArgumentsCamelCase<RunArgs>): Promise<void> {
  const rawArgv = process.argv.slice(2);
  const runArgv = rawArgv.slice(rawArgv.indexOf('run') + 1);
  if (args.version === true) {
    process.stdout.write(`${llamaVersion()}\n`);
    return;
  }
  if (!args.devMode && process.env['LLAMA_DEV_MODE'] !== '1') {
    const problem = devModeProblem(llamaVersion());
    if (problem !== undefined) throw new ConfigError(problem, { code: 'dev-mode' });
  }
  if (args.printDownselections) {
    for (const o of DOWNSELECT_OPTIONS) process.stdout.write(`${o.name} (${o.type}): ${o.doc}\n`);
    return;
  }
  if (args.printDefaultPipeline) {
    const { base } = await choosePipeline({ rules: args.rules });
    process.stdout.write(formatPipeline(base));
    return;
  }
  const { pipeline } = await choosePipeline({ filehandlers: args.filehandlers, plusFilehandlers: args.plusFilehandlers, pipeline: args.pipeline, rules: args.rules });
  if (args.dryRunPipeline) {
    process.stdout.write(formatPipeline(pipeline));
    return;
  }
  const target = parseRunTarget(args.run, defaultRunDir());
  const downselect = parseDownselect(args.downselect);
  if (!downselect.ok) throw new ConfigError('invalid --downselect', { diagnostics: downselect.error });
  const layers: DownselectLayer[] = [{ eventid_filter: target.glob }];
  if (Object.keys(downselect.value).length > 0) layers.push(downselect.value);
  const updateLayer: DownselectLayer = { sortkey: 'mtime', reverse: true, limit: args.numUpdated };

  if (args.dryRunDirs) {
    process.stdout.write(`run directory: ${target.runDir}\n`);
    layers.forEach((layer, i) => process.stdout.write(`layer ${i}: ${Object.entries(layer).map(([k, v]) => `${k}=${String(v)}`).join(', ')}\n`));
    const events = await downselectEvents(discoverEvents(target.runDir), layers, { now: Date.now(), pipeline });
    for (const e of events) process.stdout.write(`${e.eventDir}\n`);
    process.stdout.write(`${events.length} event director${events.length === 1 ? 'y' : 'ies'}\n`);
    return;
  }
  if (args.runningDaemons) {
    const removed = cleanDeadDaemons(daemonLockRoot());
    printDaemons(listDaemons(daemonLockRoot()), removed);
    return;
  }
  if (args.executor === 'slurm' && !args.dryRun) {
    // Loaded only for this executor (its own package, @llama/slurm, loads lazily in turn).
    const { runOnSlurm } = await import('../slurm-run.js');
    process.exitCode = await runOnSlurm({ args, pipeline, target, layers, updateLayer });
    return;
  }
  const inheritedLockDir = process.env[LOCKDIR_ENV];
  if (args.kill || args.killfirst) {
    cleanDeadDaemons(daemonLockRoot());
    const victims = [...competitors(target, inheritedLockDir), ...listDaemons(daemonLockRoot()).filter((e) => e.lockDir === lockDirFor(target) && e.alive && e.lockDir !== inheritedLockDir)];
    const unique = [...new Map(victims.map((v) => [v.lockDir, v])).values()];
    await killDaemons(unique, (line) => process.stdout.write(`${line}\n`));
    if (unique.length === 0) process.stdout.write('no competing llama daemons found\n');
    if (args.kill) return;
  }
  const env = process.env;
  let alerter: MaintainerAlerter | undefined;
  const dryRun = args.dryRun;
  const continuous = !args.runonce && !dryRun;
  const foreground = args.foreground || dryRun || args.json || inheritedLockDir !== undefined;
  checkRunTarget(args.run, target, !continuous);
  checkEnvironment({
    cacheDir: cacheDir(),
    cacheVar: envSource(env, 'LLAMA_CACHEDIR'),
    ...(foreground && args.logfile !== archivalLogfile(env) ? {} : { logsDir: logsDir(), logsVar: `the log directory of ${envSource(env, 'LLAMA_OUTPUT_DIR')},` }),
  });
  checkLogFile(args.logfile);

  // Only daemons (continuous runs) own a lock directory. One-shot runs (-o, with or without -F)
  // take none: per-event locks and intents keep them from colliding with a daemon, so
  // `llama run . -o +f X` works inside a run a daemon watches.
  let ownLockDir = inheritedLockDir;
  if (!continuous && !foreground) {
    mkdirSync(logsDir(), { recursive: true });
    const oneShotLog = join(logsDir(), `${lockDirName([target.runDir], target.glob)}.log`);
    const pid = launchDaemon(runArgv, undefined, oneShotLog);
    process.stdout.write(`llama run: started pid ${pid} for one pass over ${target.runDir}/${target.glob}\n  log: ${oneShotLog}\n`);
    return;
  }
  if (continuous) {
    cleanDeadDaemons(daemonLockRoot());
    const rivals = competitors(target, inheritedLockDir);
    if (rivals.length > 0) {
      const r = rivals[0] as DaemonEntry;
      throw new ConfigError(
        `a competing llama daemon is running: pid ${r.pid ?? '?'} on ${r.runDirs?.join(', ') ?? r.name} with glob ${r.glob} (${r.commandLine ?? ''}); stop it with llama run ${args.run ?? ''} -k, or start with -K`,
        { code: 'competitor' },
      );
    }
    if (ownLockDir === undefined) {
      const lockDir = lockDirFor(target);
      mkdirSync(daemonLockRoot(), { recursive: true });
      if (!claimLockDir(lockDir, process.pid, ['llama', 'run', ...runArgv].join(' '))) throw new ConfigError(`could not acquire the daemon lock ${lockDir}; another llama run holds it (see llama run -R)`, { code: 'competitor' });
      ownLockDir = lockDir;
      if (!foreground) {
        mkdirSync(logsDir(), { recursive: true });
        const daemonLog = join(logsDir(), `${lockDirName([target.runDir], target.glob)}.log`);
        const pid = launchDaemon(runArgv, lockDir, daemonLog);
        process.stdout.write(`llama run: started daemon pid ${pid} for ${target.runDir}/${target.glob}\n  log: ${daemonLog}\n  stop it with: llama run ${args.run ?? ''} -k\n`);
        return;
      }
    }
  }
  const daemonLog = inheritedLockDir === undefined ? [] : [join(logsDir(), `${lockDirName([target.runDir], target.glob)}.log`)];
  // A daemon's stderr is its own logfile already; it logs there at DEBUG through winston instead.
  const log = new CliLog({ verbosity: args.json || inheritedLockDir !== undefined ? 'none' : args.verbosity, files: [args.logfile, ...daemonLog] });
  try {
    if (args.errAlert) alerter = await createMaintainerAlerter(env, (m) => log.error(m));
    if (args.relaunch) {
      ParallelStat.decline(); // the supervisor stats nothing; its child runs the passes
      process.exitCode = await relaunchLoop(runArgv, log, ownLockDir);
      return;
    }
    process.exitCode = await runLoop({ args, pipeline, target, layers, updateLayer, log, alerter, continuous, dryRun });
  } finally {
    await log.flush();
    if (ownLockDir !== undefined && process.env[KEEP_LOCK_ENV] !== '1') releaseLockDir(ownLockDir);
  }
}

interface LoopContext {
  readonly args: RunArgs;
  readonly pipeline: Pipeline;
  readonly target: RunTarget;
  readonly layers: readonly DownselectLayer[];
  readonly updateLayer: DownselectLayer;
  readonly log: CliLog;
  readonly alerter: MaintainerAlerter | undefined;
  readonly continuous: boolean;
  readonly dryRun: boolean;
}

async function selectEvents(ctx: LoopContext): Promise<EventRef[]> {
  return downselectEvents(onlyListedEvents(discoverEvents(ctx.target.runDir), ctx.args.eventsFrom), [...ctx.layers, ctx.updateLayer], { now: Date.now(), pipeline: ctx.pipeline });
}

async function runLoop(ctx: LoopContext): Promise<number> {
  const { args, pipeline, log } = ctx;
  const stopNew = new AbortController();
  const shutdown = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    log.info(`${signal}: finishing running generations (up to ${GRACE_MS / 1000} s), starting nothing new`);
    stopNew.abort();
    if (signals > 1) shutdown.abort(new Error(`aborted by ${signal}`));
    else setTimeout(() => shutdown.abort(new Error(`aborted: ${signal} grace period over`)), GRACE_MS).unref();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  const state = stateDir([ctx.target.runDir]);
  const cache = HashCache.load(join(state, 'hashes'));
  // --json reports every step of every event, so it plans them all.
  const clean = args.json ? undefined : CleanEvents.load(join(state, 'clean.json'));
  const recordTtlMs = cleanRecordTtl(process.env['LLAMA_CLEAN_RECORD_TTL']);
  // Clean records are checked with a stat per file, on two threads (see ParallelStat).
  const stats = clean?.hasRecords() === true && !ctx.dryRun ? ParallelStat.start() : (ParallelStat.decline(), undefined);
  const jobs = args.jobs ?? (Number.parseInt(process.env['LLAMA_IO_DEFAULT_GEN_MAX_WORKERS'] ?? '', 10) || undefined);
  const scheduler = new Scheduler(jobs);
  const json = args.json ? new JsonCollector() : undefined;
  const progress = args.json || args.verbosity === 'none' ? undefined : ProgressLine.forStderr();
  log.setOverlay(progress);
  const reportOptions = { pipeline, once: !ctx.continuous && !ctx.dryRun };
  let failures = 0;
  const emit = (e: EngineEvent): void => {
    if (e.type === 'step-failed' || e.type === 'event-error') failures++;
    logEngineEvent(log, e, reportOptions);
    progress?.onEvent(e);
    json?.onEvent(e);
  };
  const force = args.force === undefined ? undefined : args.force.length === 0 ? true : new Set(args.force);
  const watcher = ctx.continuous ? new ChangeWatcher() : undefined;
  const versioning = versioningEnabled();
  if (ctx.continuous) log.info(`llama run ${llamaVersion()} watching ${ctx.target.runDir}/${ctx.target.glob} (pid ${process.pid})`);
  let selected: EventRef[] = [];
  let only: Set<string> | undefined;
  let nextFullPass = 0;
  try {
    for (;;) {
      let plans: readonly EventPlan[] = [];
      try {
        if (only === undefined) selected = await selectEvents(ctx);
        // Fault injection for the --err-alert tests: an engine bug cannot be provoked from outside.
        if (process.env['LLAMA_FAULT_INJECT'] === 'pass') throw new Error('injected fault (LLAMA_FAULT_INJECT=pass)');
        const events = only === undefined ? selected : selected.filter((e) => only?.has(e.eventDir));
        const result = await runPass({
          pipeline,
          events,
          cache,
          scheduler,
          emit,
          stopNew: stopNew.signal,
          shutdown: shutdown.signal,
          ...(force === undefined ? {} : { force }),
          allowManual: !(ctx.layers.some((l) => l['manual'] === false)),
          versioning,
          durable: durabilityEnabled(),
          dryRun: ctx.dryRun,
          engineVersion: llamaVersion(),
          ...(clean === undefined ? {} : { clean }),
          ...(stats === undefined ? {} : { stats }),
          ...(recordTtlMs === undefined ? {} : { cleanRecordTtlMs: recordTtlMs }),
        });
        plans = result.plans;
      } catch (error) {
        failures++;
        log.error(`unhandled exception in a pass: ${error instanceof Error ? (error.stack ?? error.message) : describeError(error)}`);
        await ctx.alerter?.alert('unhandled exception in a pass', error);
        if (!ctx.continuous) return 1;
      }
      try {
        cache.save();
        clean?.save();
      } catch (error) {
        log.warning(`could not save the hash index under ${state}: ${describeError(error)}`);
      }
      if (!ctx.continuous) {
        progress?.finish();
        if (ctx.dryRun && !args.json) process.stdout.write(formatPlanText(plans, { verbose: args.verbose }));
        if (json !== undefined) process.stdout.write(`${JSON.stringify(json.document(plans, ctx.dryRun), null, 2)}\n`);
        return failures > 0 ? 1 : 0;
      }
      if (json !== undefined) process.stdout.write(`${JSON.stringify(json.document(plans, false))}\n`);
      if (stopNew.signal.aborted) return 0;
      const w = watcher as ChangeWatcher;
      w.update([ctx.target.runDir], selected.map((e) => e.eventDir));
      if (only === undefined) nextFullPass = Date.now() + (w.available ? FULL_PASS_SECONDS : POLL_SECONDS) * 1000;
      nextFullPass = Math.min(nextFullPass, earliestDue(plans) ?? Infinity);
      const woken = await w.wait(Math.max(0, nextFullPass - Date.now()), stopNew.signal);
      if (stopNew.signal.aborted) return 0;
      // A notification about known events re-plans just those events; a new event directory
      // or the due time re-selects everything.
      only = woken.runChanged || woken.events.length === 0 || Date.now() >= nextFullPass ? undefined : new Set(woken.events);
    }
  } finally {
    watcher?.close();
    stats?.close();
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}

/** LLAMA_CLEAN_RECORD_TTL: seconds a clean-event record is trusted (default 600; 0: never). */
function cleanRecordTtl(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0) throw new ConfigError(`LLAMA_CLEAN_RECORD_TTL must be a number of seconds >= 0, not ${JSON.stringify(value)}`);
  return seconds * 1000;
}

/** When the earliest cooldown or foreign intent of these plans ends (Unix ms), if any. */
function earliestDue(plans: readonly EventPlan[]): number | undefined {
  let due: number | undefined;
  for (const plan of plans) {
    if (plan.unchanged?.until !== undefined) due = Math.min(due ?? Infinity, plan.unchanged.until + 50);
    for (const step of plan.steps) {
      if (step.action === 'skip' && (step.reason.kind === 'cooling-down' || step.reason.kind === 'intent-held')) {
        due = Math.min(due ?? Infinity, step.reason.until + 50);
      }
    }
  }
  return due;
}

export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run [run]',
  describe: 'Keep event directories up to date: once (-o), in the foreground (-F) or as a daemon',
  builder,
  handler,
};
