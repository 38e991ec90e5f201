import { createHash } from 'node:crypto';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import {
  ConfigError,
  describeError,
  discoverEvents,
  dispatch,
  downselectEvents,
  HashCache,
  hasWork,
  runPass,
  Scheduler,
  versioningEnabled,
  type DownselectLayer,
  type EventPlan,
  type EventRef,
  type Pipeline,
} from '@llama/core';
import type { Progress, SlurmError as SlurmErrorType, TaskState } from '@llama/slurm';
import { onlyListedEvents } from './events-from.js';
import { CliLog } from './logging.js';
import { cacheDir } from './paths.js';
import type { RunArgs } from './commands/run.js';
import type { RunTarget } from './run-target.js';
import { llamaVersion } from './version.js';

/** Times the events of a lost job are submitted again. */
const DEFAULT_RETRIES = 2;

export interface SlurmRunContext {
  readonly args: RunArgs;
  readonly pipeline: Pipeline;
  readonly target: RunTarget;
  readonly layers: readonly DownselectLayer[];
  readonly updateLayer: DownselectLayer;
}

/** The options of this `llama run` that the jobs' own `llama run` needs to plan the same way. */
function forwardedOptions(args: RunArgs, logFile: string): string[] {
  const out: string[] = [];
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(p));
  if (args.rules !== undefined) out.push('--rules', abs(args.rules));
  if (args.pipeline !== undefined) out.push('--pipeline', args.pipeline);
  for (const f of args.filehandlers ?? []) out.push('--filehandlers', f);
  for (const f of args.plusFilehandlers ?? []) out.push('--plus-filehandlers', f);
  out.push(`--downselect=${args.downselect}`);
  if (args.force !== undefined) out.push('--force', ...args.force);
  if (args.devMode) out.push('--dev-mode');
  if (args.errAlert) out.push('--err-alert');
  // A log of its own per job: appends from many nodes to one file are not atomic on NFS.
  out.push('--logfile', logFile, '--verbosity', args.verbosity === 'none' ? 'info' : args.verbosity);
  return out;
}

function slurmError(error: unknown): error is SlurmErrorType {
  return error instanceof Error && error.name === 'SlurmError';
}

/**
 * `llama run RUN/ --executor slurm`: plan here, submit the events with work as Slurm job arrays
 * (K events per element), follow them to their end, plan lost events again and resubmit those
 * that still have work. Returns the exit code: 0 when every job ended cleanly, 1 otherwise.
 */
export async function runOnSlurm(ctx: SlurmRunContext): Promise<number> {
  const { args, target } = ctx;
  // Loaded here: only --executor slurm needs it.
  const slurm = await import('@llama/slurm');
  const env = process.env;
  const client = new slurm.SlurmClient(env);
  const log = new CliLog({ verbosity: args.json ? 'none' : args.verbosity, files: [args.logfile] });
  try {
    if (args.kill || args.killfirst) {
      const jobs = await slurm.cancelRunJobs(client, target.runDir);
      process.stdout.write(jobs.length === 0 ? `no Slurm jobs of ${target.runDir} are queued or running\n` : `cancelled Slurm jobs ${jobs.join(', ')} of ${target.runDir}\n`);
      if (args.kill) return 0;
    }
    const batch = args.batch;
    const retries = retriesFrom(env['LLAMA_SLURM_RETRIES']);
    const pollMs = Number(env['LLAMA_SLURM_POLL_MS'] ?? '') || 1000;
    const llamaBin = resolve(process.argv[1] as string);
    const events: readonly EventRef[] = await downselectEvents(onlyListedEvents(discoverEvents(target.runDir), args.eventsFrom), [...ctx.layers, ctx.updateLayer], { now: Date.now(), pipeline: ctx.pipeline });
    // The run's hash index (as a local run keeps it, see run.ts): planning thousands of events
    // then hashes only files that changed. Read here, written only by the jobs' own passes.
    const key = createHash('sha1').update(target.runDir).digest('hex').slice(0, 16);
    const cache = HashCache.load(join(cacheDir(), 'index', key));
    const force = args.force === undefined ? undefined : args.force.length === 0 ? true : new Set(args.force);
    const plan = async (list: readonly EventRef[]): Promise<readonly EventPlan[]> =>
      (
        await runPass({
          pipeline: ctx.pipeline,
          events: list,
          cache,
          scheduler: new Scheduler(1),
          emit: () => undefined,
          dryRun: true,
          ...(force === undefined ? {} : { force }),
          allowManual: !ctx.layers.some((l) => l['manual'] === false),
          versioning: versioningEnabled(),
          engineVersion: llamaVersion(),
        })
      ).plans;

    const controller = new AbortController();
    const onSignal = (signal: NodeJS.Signals): void => {
      log.info(`${signal}: cancelling this run's Slurm jobs (scancel)`);
      controller.abort();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    let shown = '';
    const showProgress = (p: Progress): void => {
      const line = `slurm: ${p.queued} queued, ${p.running} running, ${p.done} done, ${p.failed} failed (jobs of up to ${batch} events)`;
      if (line === shown) return;
      shown = line;
      log.info(line);
    };
    const backend = new slurm.SlurmBackend({
      client,
      runDir: target.runDir,
      batch,
      sbatchArgs: args.slurmOpt ?? [],
      pollMs,
      command: (file, count) => [
        process.execPath, llamaBin, 'run', `${target.runDir}/`, '--events-from', file, '-o', '-F', '-j', slurm.CPUS_TOKEN, '-n', String(count),
        ...forwardedOptions(args, join(dirname(dirname(file)), 'logs', `llama-${basename(file)}.log`)),
      ],
      onSubmitted: (array, n) =>
        log.info(`submitted ${array.jobs.map((j) => `job array ${j.jobId} (${j.tasks.length} job${j.tasks.length === 1 ? '' : 's'})`).join(', ')} for ${n} event${n === 1 ? '' : 's'}, up to ${batch} per job; scripts, status files and logs in ${array.dir}`),
      onElsewhere: (ids, jobs) => log.info(`${ids.length} event${ids.length === 1 ? ' is' : 's are'} already queued or running in Slurm job${jobs.length === 1 ? '' : 's'} ${jobs.join(', ')} (another submitter): not submitted again`),
      onProgress: showProgress,
      onTaskEnded: (s: TaskState, ids) => {
        if (s.phase === 'failed') log.error(`Slurm job ${s.slurmId} (events ${ids.join(', ')}) ended with ${s.message ?? 'an error'}; log ${s.log}`);
        else if (s.phase === 'lost') log.error(`Slurm job ${s.slurmId} (events ${ids.join(', ')}) died: ${s.message ?? 'lost'}; log ${s.log}`);
        else if (s.phase === 'cancelled') log.warning(`Slurm job ${s.slurmId} (events ${ids.join(', ')}) cancelled`);
      },
    });
    let result: Awaited<ReturnType<typeof dispatch>>;
    let rounds = 0;
    try {
      result = await dispatch({
        events,
        plan,
        backend,
        retries,
        signal: controller.signal,
        onRound: (round, work) => {
          rounds++;
          if (round === 0) log.info(`${work.length} of ${events.length} event${events.length === 1 ? '' : 's'} have work to do`);
          else log.warning(`resubmitting the ${work.length} event${work.length === 1 ? '' : 's'} of lost jobs that still have work (retry ${round} of ${retries})`);
        },
      });
    } finally {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    }
    if (rounds === 0) log.info(`0 of ${events.length} event${events.length === 1 ? '' : 's'} have work to do`);
    // What the jobs left is read back from the event directories: planned once more.
    const sent = events.filter((e) => result.outcomes.has(e.eventDir));
    const remaining = sent.length === 0 ? [] : (await plan(sent)).filter(hasWork).map((p) => p.event.eventId);
    const counts = { done: 0, failed: 0, lost: 0, elsewhere: 0, cancelled: 0 };
    for (const o of result.outcomes.values()) counts[o.kind]++;
    const jobs = backend.jobs();
    const progress = backend.progress();
    if (args.json) {
      const doc = {
        schema: 'llama.slurm-run/1',
        runDir: target.runDir,
        batch,
        events: { selected: events.length, withWork: result.plans.filter(hasWork).length, ...counts, remaining },
        jobs: { ...progress, list: jobs },
        outcomes: Object.fromEntries([...result.outcomes].map(([dir, o]) => [dir, o])),
      };
      process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    }
    if (remaining.length > 0) log.warning(`${remaining.length} event${remaining.length === 1 ? '' : 's'} still have work after the jobs ended: ${remaining.slice(0, 10).join(', ')}${remaining.length > 10 ? ', …' : ''}`);
    log.info(`slurm: ${jobs.length} job${jobs.length === 1 ? '' : 's'} (${progress.done} done, ${progress.failed} failed or lost); events: ${counts.done} done, ${counts.failed} failed, ${counts.lost} lost, ${counts.cancelled} cancelled, ${counts.elsewhere} left to other submitters`);
    return counts.failed + counts.lost + counts.cancelled > 0 ? 1 : 0;
  } catch (error) {
    // A missing sbatch, a submission Slurm refused, a controller that does not answer: one line, exit 2.
    if (slurmError(error)) throw new ConfigError(`--executor slurm: ${error.message}`, { code: `slurm-${error.kind}` });
    // The run directory must take the submission files (.llama-slurm/): read-only, full, …
    if (error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string' && (error as NodeJS.ErrnoException).syscall !== undefined) {
      throw new ConfigError(`--executor slurm: cannot write the submission files under ${target.runDir}/.llama-slurm: ${describeError(error)}`, { code: 'slurm-state' });
    }
    throw error;
  } finally {
    await log.flush();
  }
}

function retriesFrom(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_RETRIES;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`LLAMA_SLURM_RETRIES must be a whole number >= 0, not ${JSON.stringify(value)}`);
  return n;
}
