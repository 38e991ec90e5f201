import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventOutcome, EventPlan, ExecutionBackend } from '@llama/core';
import { ArrayWatch, submitArray, type Progress, type SubmittedArray, type TaskState } from './array.js';
import { ACTIVE_STATES, SlurmClient } from './client.js';
import { withMkdirLock } from './lock.js';

/** Submissions, status files and job logs of a run directory live here (on the shared file system). */
export const STATE_DIR_NAME = '.llama-slurm';

export function slurmStateDir(runDir: string): string {
  return join(runDir, STATE_DIR_NAME);
}

/** The job name of a run directory's jobs: how submitters and `-k` find them in the queue. */
export function runJobName(runDir: string): string {
  return `llama-run-${createHash('sha1').update(runDir).digest('hex').slice(0, 12)}`;
}

export interface SlurmBackendOptions {
  readonly client: SlurmClient;
  readonly runDir: string;
  /** Events per job (per array element). */
  readonly batch: number;
  /** The command one array element runs for the events listed (one id a line) in `eventsFile`. */
  readonly command: (eventsFile: string, count: number) => string[];
  readonly sbatchArgs?: readonly string[];
  readonly pollMs?: number;
  readonly maxArraySize?: number;
  readonly onSubmitted?: (array: SubmittedArray, events: number) => void;
  readonly onElsewhere?: (eventIds: readonly string[], jobs: readonly string[]) => void;
  readonly onProgress?: (progress: Progress) => void;
  readonly onTaskEnded?: (state: TaskState, eventIds: readonly string[]) => void;
}

/** One element of the report: a job of this submitter and what became of it. */
export interface JobReport {
  readonly id: string;
  readonly events: readonly string[];
  readonly state: TaskState['phase'];
  readonly exitCode?: number;
  readonly message?: string;
  readonly log: string;
  readonly round: number;
}

/**
 * Runs event passes as Slurm job arrays: K events per array element, each element running
 * `llama run RUN/ --events-from FILE -o -F -j <its CPUs>` on the shared file system. Before
 * submitting, under a mkdir lock in the run's state directory, the queue is read: events already
 * in another submitter's queued or running job are left to it.
 */
export class SlurmBackend implements ExecutionBackend {
  readonly name = 'slurm';
  readonly #o: SlurmBackendOptions;
  readonly #watch: ArrayWatch;
  readonly #started = Date.now();
  readonly #jobs: { array: SubmittedArray; events: Map<number, string[]>; round: number }[] = [];
  #round = 0;

  constructor(options: SlurmBackendOptions) {
    this.#o = options;
    this.#watch = new ArrayWatch(options.client);
  }

  get stateDir(): string {
    return slurmStateDir(this.#o.runDir);
  }

  /** Every job this backend submitted, with its events and how it ended. */
  jobs(): JobReport[] {
    return this.#jobs.flatMap(({ array, events, round }) =>
      [...events].map(([task, ids]) => {
        const s = this.#watch.state(array.dir, task);
        return {
          id: s?.slurmId ?? '?',
          events: ids,
          state: s?.phase ?? 'queued',
          ...(s?.exitCode === undefined ? {} : { exitCode: s.exitCode }),
          ...(s?.message === undefined ? {} : { message: s.message }),
          log: s?.log ?? '',
          round,
        };
      }),
    );
  }

  progress(): Progress {
    return this.#watch.progress();
  }

  async execute(plans: readonly EventPlan[], signal: AbortSignal): Promise<ReadonlyMap<string, EventOutcome>> {
    const round = this.#round++;
    const outcomes = new Map<string, EventOutcome>();
    const byId = new Map(plans.map((p) => [p.event.eventId, p]));
    mkdirSync(this.stateDir, { recursive: true });
    const submitted = await withMkdirLock(join(this.stateDir, 'submit.lock'), async () => {
      const elsewhere = await this.#queuedElsewhere();
      const taken: string[] = [];
      const jobs = new Set<string>();
      for (const [id, job] of elsewhere) {
        const plan = byId.get(id);
        if (plan === undefined) continue;
        outcomes.set(plan.event.eventDir, { kind: 'elsewhere', worker: job });
        byId.delete(id);
        taken.push(id);
        jobs.add(job);
      }
      if (taken.length > 0) this.#o.onElsewhere?.(taken, [...jobs]);
      const ids = [...byId.keys()];
      if (ids.length === 0 || signal.aborted) return undefined;
      const dir = join(this.stateDir, `${new Date().toISOString().replace(/[:.]/g, '')}-${process.pid}-${round}`);
      mkdirSync(join(dir, 'events'), { recursive: true });
      const events = new Map<number, string[]>();
      const tasks = new Map<number, string[]>();
      for (let i = 0; i * this.#o.batch < ids.length; i++) {
        const chunk = ids.slice(i * this.#o.batch, (i + 1) * this.#o.batch);
        const file = join(dir, 'events', String(i));
        writeFileSync(file, `${chunk.join('\n')}\n`);
        events.set(i, chunk);
        tasks.set(i, this.#o.command(file, chunk.length));
      }
      const array = await submitArray(this.#o.client, {
        dir,
        name: runJobName(this.#o.runDir),
        tasks,
        ...(this.#o.sbatchArgs === undefined ? {} : { sbatchArgs: this.#o.sbatchArgs }),
        ...(this.#o.maxArraySize === undefined ? {} : { maxArraySize: this.#o.maxArraySize }),
      });
      this.#jobs.push({ array, events, round });
      this.#watch.add(array);
      this.#o.onSubmitted?.(array, ids.length);
      return { array, events };
    });
    if (submitted === undefined) return outcomes;
    const ended = new Set<string>();
    const reportEnded = (): void => {
      for (const [task, ids] of submitted.events) {
        const s = this.#watch.state(submitted.array.dir, task);
        if (s === undefined || s.phase === 'queued' || s.phase === 'running' || ended.has(s.slurmId)) continue;
        ended.add(s.slurmId);
        this.#o.onTaskEnded?.(s, ids);
      }
    };
    const pollMs = this.#o.pollMs ?? 1000;
    await this.#watch.wait({ pollMs, signal, onChange: (p) => (reportEnded(), this.#o.onProgress?.(p)) });
    if (signal.aborted) {
      await this.#watch.cancel();
      // Until Slurm has ended them (a cancelled job may take KillWait seconds): the event
      // directories are then as after a kill -9, and the next pass repairs them.
      await this.#watch.wait({ pollMs, onChange: (p) => (reportEnded(), this.#o.onProgress?.(p)) });
    }
    reportEnded();
    const cancelledByKill = this.#cancelMarkerTime() >= this.#started;
    for (const [task, ids] of submitted.events) {
      const s = this.#watch.state(submitted.array.dir, task);
      for (const id of ids) {
        const plan = plans.find((p) => p.event.eventId === id) as EventPlan;
        const worker = s?.slurmId ?? '?';
        let outcome: EventOutcome;
        switch (s?.phase) {
          case 'done':
            outcome = { kind: 'done', worker };
            break;
          case 'failed':
            outcome = { kind: 'failed', worker, message: `${s.message ?? 'failed'} (log ${s.log})` };
            break;
          case 'lost':
            outcome = cancelledByKill ? { kind: 'cancelled', worker } : { kind: 'lost', worker, message: s.message ?? 'lost' };
            break;
          default:
            outcome = { kind: 'cancelled', worker };
        }
        outcomes.set(plan.event.eventDir, outcome);
      }
    }
    return outcomes;
  }

  /** Event ids in queued or running jobs of this run (any submitter's), with the job that has each. */
  async #queuedElsewhere(): Promise<Map<string, string>> {
    const taken = new Map<string, string>();
    for (const entry of await this.#o.client.squeue(runJobName(this.#o.runDir))) {
      if (!ACTIVE_STATES.has(entry.state) || entry.comment === '') continue;
      let jobs: { jobId: string; offset: number }[] = [];
      try {
        jobs = JSON.parse(readFileSync(join(entry.comment, 'jobs.json'), 'utf8')) as typeof jobs;
      } catch {
        // submitted a moment ago (jobs.json is written after sbatch returns) or removed: its
        // events files are still named by array index + offset 0 for the first window
      }
      const offset = jobs.find((j) => j.jobId === entry.jobId)?.offset ?? 0;
      for (const t of entry.tasks) {
        let ids: string[] = [];
        try {
          ids = readFileSync(join(entry.comment, 'events', String(offset + t)), 'utf8').split('\n').filter((l) => l !== '');
        } catch {
          continue;
        }
        for (const id of ids) taken.set(id, `${entry.jobId}_${t}`);
      }
    }
    return taken;
  }

  #cancelMarkerTime(): number {
    try {
      return statSync(join(this.stateDir, 'cancelled')).mtimeMs;
    } catch {
      return -Infinity;
    }
  }
}

/**
 * `llama run RUN/ --executor slurm -k`: cancel every job of this run directory (any submitter's)
 * and leave a marker so that their submitters report them cancelled instead of resubmitting.
 */
export async function cancelRunJobs(client: SlurmClient, runDir: string): Promise<string[]> {
  const name = runJobName(runDir);
  const jobs = [...new Set((await client.squeue(name)).filter((e) => ACTIVE_STATES.has(e.state)).map((e) => e.jobId))];
  mkdirSync(slurmStateDir(runDir), { recursive: true });
  writeFileSync(join(slurmStateDir(runDir), 'cancelled'), `${new Date().toISOString()}\n`);
  if (jobs.length > 0) await client.scancel(jobs);
  return jobs;
}
