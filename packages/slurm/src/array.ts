import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ACTIVE_STATES, compressRanges, SlurmClient, type QueueEntry } from './client.js';

/** Slurm's default MaxArraySize: array indices run from 0 to 1000. */
export const DEFAULT_MAX_ARRAY_SIZE = 1001;
/** In a task's argv, replaced by the number of CPUs Slurm gave the job. */
export const CPUS_TOKEN = '@CPUS@';

export interface ArraySpec {
  /** Submission directory on the shared file system: the script, status files and logs go here. */
  readonly dir: string;
  /** Job name: what `squeue --name` and `scancel --name` match. */
  readonly name: string;
  /** Task index → the command it runs (argv; CPUS_TOKEN becomes the job's CPUs). */
  readonly tasks: ReadonlyMap<number, readonly string[]>;
  /** Extra sbatch options (`--slurm-opt`), e.g. --partition=short --time=1:00:00. */
  readonly sbatchArgs?: readonly string[];
  readonly maxArraySize?: number;
}

/** One sbatch submission: tasks offset+i for the array indices i it was given. */
export interface SubmittedJob {
  readonly jobId: string;
  readonly offset: number;
  readonly tasks: readonly number[];
}

export interface SubmittedArray {
  readonly dir: string;
  readonly name: string;
  readonly jobs: readonly SubmittedJob[];
}

const shellQuote = (s: string): string => (s === CPUS_TOKEN ? '"$cpus"' : `'${s.replaceAll("'", `'\\''`)}'`);

/**
 * The batch script of one submission. Each array element runs its task's command and then writes
 * the command's exit code to status/<task> (write, then rename: a reader sees all of it or
 * nothing). A job killed before that (scancel, node lost, out of memory) leaves no status file:
 * that is how a lost job is told from one that ended.
 */
function batchScript(dir: string, offset: number, tasks: ReadonlyMap<number, readonly string[]>, indices: readonly number[]): string {
  const cases = indices.map((i) => `  ${i - offset}) set -- ${(tasks.get(i) ?? []).map(shellQuote).join(' ')} ;;`);
  return [
    '#!/bin/bash',
    '# Written by llama (@llama/slurm): one array element per task.',
    'set -u',
    `dir=${shellQuote(dir)}`,
    `task=$(( ${offset} + \${SLURM_ARRAY_TASK_ID:-0} ))`,
    'cpus="${SLURM_CPUS_PER_TASK:-${SLURM_CPUS_ON_NODE:-1}}"',
    'case "${SLURM_ARRAY_TASK_ID:-0}" in',
    ...cases,
    '  *) echo "llama: no task for array index ${SLURM_ARRAY_TASK_ID:-}" >&2; exit 2 ;;',
    'esac',
    // scancel and a node's shutdown send SIGTERM: the command stops early, and its exit status
    // must not say it finished (143 = killed by SIGTERM, so the events are sent again).
    "signalled=''",
    "trap 'signalled=1' TERM INT",
    '"$@" &',
    'child=$!',
    'wait "$child"; code=$?',
    // A trapped signal ends `wait` early: wait again until the command has really ended.
    'while kill -0 "$child" 2>/dev/null; do wait "$child"; code=$?; done',
    '[ -n "$signalled" ] && code=143',
    'printf \'%s\\n\' "$code" > "$dir/status/.$task.$$" && mv -f "$dir/status/.$task.$$" "$dir/status/$task"',
    'exit "$code"',
    '',
  ].join('\n');
}

/**
 * Submit the tasks as job arrays: one sbatch per window of `maxArraySize` task indices (array
 * indices must stay below MaxArraySize), each array listing only the indices it runs.
 */
export async function submitArray(client: SlurmClient, spec: ArraySpec): Promise<SubmittedArray> {
  const max = spec.maxArraySize ?? DEFAULT_MAX_ARRAY_SIZE;
  for (const sub of ['status', 'logs']) mkdirSync(join(spec.dir, sub), { recursive: true });
  const windows = new Map<number, number[]>();
  for (const index of [...spec.tasks.keys()].sort((a, b) => a - b)) {
    const offset = Math.floor(index / max) * max;
    windows.set(offset, [...(windows.get(offset) ?? []), index]);
  }
  const jobs: SubmittedJob[] = [];
  for (const [offset, indices] of windows) {
    const script = join(spec.dir, `job-${offset}.sh`);
    writeFileSync(script, batchScript(spec.dir, offset, spec.tasks, indices), { mode: 0o755 });
    const jobId = await client.sbatch(script, [
      `--job-name=${spec.name}`,
      // The submission directory, so that another submitter can tell which tasks these are.
      `--comment=${spec.dir}`,
      `--array=${compressRanges(indices.map((i) => i - offset))}`,
      `--output=${join(spec.dir, 'logs', `slurm-%A_%a.out`)}`,
      '--kill-on-invalid-dep=yes',
      ...(spec.sbatchArgs ?? []),
    ]);
    jobs.push({ jobId, offset, tasks: indices });
  }
  const submitted: SubmittedArray = { dir: spec.dir, name: spec.name, jobs };
  writeFileSync(join(spec.dir, 'jobs.json'), `${JSON.stringify(jobs)}\n`);
  return submitted;
}

/** Consecutive squeue failures after which a watch gives up (its caller reports the error). */
const MAX_QUEUE_FAILURES = 10;

export type TaskPhase = 'queued' | 'running' | 'done' | 'failed' | 'lost' | 'cancelled';

export interface TaskState {
  readonly dir: string;
  readonly task: number;
  /** Slurm's name for it: jobid_arrayindex. */
  readonly slurmId: string;
  readonly phase: TaskPhase;
  readonly exitCode?: number;
  readonly message?: string;
  readonly log: string;
}

export interface Progress {
  readonly queued: number;
  readonly running: number;
  readonly done: number;
  readonly failed: number;
}

/** The exit status a task's job wrote, if it got that far. */
export function readStatus(dir: string, task: number): number | undefined {
  try {
    const text = readFileSync(join(dir, 'status', String(task)), 'utf8').trim();
    const code = Number(text);
    return text !== '' && Number.isInteger(code) ? code : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Follows submitted arrays to their end. Completion is read from the status files the jobs write
 * (and, for the caller, from the event directories), not from sacct (it needs an accounting
 * database) nor only from squeue (it forgets finished jobs after MinJobAge): squeue only says
 * whether a job is still queued or running, and why it ended when it still remembers.
 */
export class ArrayWatch {
  readonly #client: SlurmClient;
  readonly #arrays: SubmittedArray[] = [];
  readonly #states = new Map<string, TaskState>();
  /** Tasks seen neither in the queue nor with a status: lost once this happens twice in a row. */
  readonly #missing = new Set<string>();
  #cancelled = false;
  #queueFailures = 0;

  constructor(client: SlurmClient) {
    this.#client = client;
  }

  add(array: SubmittedArray): void {
    this.#arrays.push(array);
    for (const job of array.jobs) {
      for (const task of job.tasks) {
        this.#states.set(key(array.dir, task), { dir: array.dir, task, slurmId: `${job.jobId}_${task - job.offset}`, phase: 'queued', log: join(array.dir, 'logs', `slurm-${job.jobId}_${task - job.offset}.out`) });
      }
    }
  }

  get states(): readonly TaskState[] {
    return [...this.#states.values()];
  }

  state(dir: string, task: number): TaskState | undefined {
    return this.#states.get(key(dir, task));
  }

  progress(): Progress {
    const p = { queued: 0, running: 0, done: 0, failed: 0 };
    for (const s of this.#states.values()) {
      if (s.phase === 'queued') p.queued++;
      else if (s.phase === 'running') p.running++;
      else if (s.phase === 'done') p.done++;
      else p.failed++;
    }
    return p;
  }

  /** Look once: the queue, then the status files (a job that ends in between has written its status). */
  async poll(): Promise<void> {
    const names = new Set(this.#arrays.map((a) => a.name));
    const queue = new Map<string, QueueEntry>();
    try {
      for (const name of names) {
        for (const entry of await this.#client.squeue(name)) {
          for (const t of entry.tasks) queue.set(`${entry.jobId}_${t}`, entry);
        }
      }
      this.#queueFailures = 0;
    } catch (error) {
      // A busy controller times out now and then: look again at the next poll, and give up only
      // when it has not answered for a while.
      if (++this.#queueFailures >= MAX_QUEUE_FAILURES) throw error;
      return;
    }
    for (const [k, s] of this.#states) {
      if (isFinal(s.phase)) continue;
      const code = readStatus(s.dir, s.task);
      const entry = queue.get(s.slurmId);
      if (code !== undefined) {
        this.#missing.delete(k);
        // 128+n: the command was killed by signal n (the out-of-memory killer, a scancel that
        // reached only the command): its events are as after a kill -9.
        const phase: TaskPhase = code === 0 ? 'done' : code > 128 ? 'lost' : 'failed';
        this.#states.set(k, { ...s, phase, exitCode: code, ...(phase === 'done' ? {} : { message: code > 128 ? `killed by signal ${code - 128}` : `exit status ${code}` }) });
        continue;
      }
      if (entry !== undefined && ACTIVE_STATES.has(entry.state)) {
        this.#missing.delete(k);
        this.#states.set(k, { ...s, phase: entry.state === 'PENDING' || entry.state.startsWith('REQUEUE') ? 'queued' : 'running' });
        continue;
      }
      if (this.#cancelled) {
        this.#states.set(k, { ...s, phase: 'cancelled', message: 'cancelled' });
        continue;
      }
      if (!this.#missing.has(k)) {
        this.#missing.add(k);
        continue;
      }
      this.#missing.delete(k);
      const why = entry === undefined ? 'no longer in the queue' : `ended ${entry.state}${entry.reason === '' ? '' : ` (${entry.reason})`}`;
      this.#states.set(k, { ...s, phase: 'lost', message: `${why} without an exit status` });
    }
  }

  /** Poll until every task has ended; `onChange` sees the progress whenever it changes. */
  async wait(options: { pollMs: number; signal?: AbortSignal; onChange?: (p: Progress) => void }): Promise<void> {
    let last = '';
    for (;;) {
      await this.poll();
      const p = this.progress();
      const text = JSON.stringify(p);
      if (text !== last) options.onChange?.(p);
      last = text;
      if (this.states.every((s) => isFinal(s.phase))) return;
      if (options.signal?.aborted === true) return;
      await sleep(options.pollMs, undefined, options.signal === undefined ? {} : { signal: options.signal }).catch(() => undefined);
    }
  }

  /** scancel every job this watch follows; their unfinished tasks become `cancelled`. */
  async cancel(): Promise<string[]> {
    this.#cancelled = true;
    const ids = this.#arrays.flatMap((a) => a.jobs.map((j) => j.jobId));
    await this.#client.scancel(ids);
    return ids;
  }
}

const key = (dir: string, task: number): string => `${dir}#${task}`;
const isFinal = (phase: TaskPhase): boolean => phase !== 'queued' && phase !== 'running';
