import { execFile } from 'node:child_process';

/** Why a Slurm command could not do what was asked; `kind` says whose problem it is. */
export class SlurmError extends Error {
  override readonly name = 'SlurmError';
  constructor(
    message: string,
    /** missing: the command is not installed; refused: Slurm said no (bad option, partition, limits); failed: anything else. */
    readonly kind: 'missing' | 'refused' | 'failed',
  ) {
    super(message);
  }
}

/** One line of `squeue -r`: an array element (or a range of pending ones) and its state. */
export interface QueueEntry {
  /** The array job's id (the id sbatch printed). */
  readonly jobId: string;
  /** Array task indices of this line (pending ranges are expanded). */
  readonly tasks: readonly number[];
  readonly state: string;
  readonly name: string;
  readonly comment: string;
  /** Why a job is pending or ended (squeue %r), when Slurm says. */
  readonly reason: string;
}

/** States in which a job still holds or will take a slot. */
export const ACTIVE_STATES = new Set(['PENDING', 'RUNNING', 'CONFIGURING', 'COMPLETING', 'SUSPENDED', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'RESIZING', 'SIGNALING', 'STAGE_OUT', 'STOPPED', 'RESV_DEL_HOLD']);

/**
 * The Slurm client commands, run as child processes (sbatch, squeue, scancel): what every Slurm
 * installation has, with no library or REST daemon to configure. SLURM_CONF and the rest come
 * from `env`.
 */
export class SlurmClient {
  readonly #env: NodeJS.ProcessEnv;
  constructor(env: NodeJS.ProcessEnv = process.env) {
    this.#env = env;
  }

  #run(command: string, args: readonly string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(command, args, { env: this.#env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 120_000 }, (error, stdout, stderr) => {
        if (error === null) return resolve(stdout);
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return reject(new SlurmError(`${command} not found on PATH: is Slurm installed here (Debian: slurm-client)?`, 'missing'));
        const said = firstLine(stderr) ?? error.message;
        reject(new SlurmError(`${command} ${typeof code === 'number' ? `exited with ${code}` : 'failed'}: ${said}`, typeof code === 'number' ? 'refused' : 'failed'));
      });
    });
  }

  /** Submit a batch script; returns the job id. */
  async sbatch(script: string, args: readonly string[] = []): Promise<string> {
    const out = await this.#run('sbatch', ['--parsable', ...args, script]);
    // --parsable prints "jobid" or "jobid;cluster".
    const id = out.trim().split(';')[0] ?? '';
    if (!/^\d+$/.test(id)) throw new SlurmError(`sbatch printed no job id: ${JSON.stringify(out.trim())}`, 'failed');
    return id;
  }

  /** Every array element of the jobs named `name`, whatever their state (finished ones only while Slurm remembers them). */
  async squeue(name: string): Promise<QueueEntry[]> {
    const out = await this.#run('squeue', ['-h', '-r', '-t', 'all', `--name=${name}`, '-o', '%i\t%T\t%j\t%r\t%k']);
    return parseQueue(out);
  }

  async scancel(args: readonly string[]): Promise<void> {
    if (args.length === 0) return;
    await this.#run('scancel', [...args]);
  }
}

function firstLine(text: string): string | undefined {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  // sbatch says "sbatch: error: Batch job submission failed: …" (sometimes after a warning line).
  return lines.find((l) => /error/i.test(l)) ?? lines[0];
}

/** Parse `squeue -h -r -o '%i\t%T\t%j\t%r\t%k'`. Pending elements may still print as `123_[0-4,7]`. */
export function parseQueue(out: string): QueueEntry[] {
  const entries: QueueEntry[] = [];
  for (const line of out.split('\n')) {
    if (line.trim() === '') continue;
    const [id = '', state = '', name = '', reason = '', comment = ''] = line.trim().split('\t');
    const m = /^(\d+)(?:_(\d+|\[[^\]]*\]))?$/.exec(id);
    if (m === null) continue;
    const jobId = m[1] as string;
    const part = m[2];
    let tasks: number[] = [];
    if (part === undefined) tasks = [0];
    else if (part.startsWith('[')) tasks = expandRanges(part.slice(1, -1).replace(/%\d+$/, ''));
    else tasks = [Number(part)];
    entries.push({ jobId, tasks, state: state.replace(/\+$/, ''), name, reason: reason === '(null)' || reason === 'None' ? '' : reason, comment: comment === '(null)' ? '' : comment });
  }
  return entries;
}

/** "0-4,7,9-10" → [0,1,2,3,4,7,9,10]. */
export function expandRanges(text: string): number[] {
  const out: number[] = [];
  for (const part of text.split(',')) {
    const [a, b] = part.split('-');
    const from = Number(a);
    const to = b === undefined ? from : Number(b.split(':')[0]);
    if (!Number.isInteger(from) || !Number.isInteger(to)) continue;
    for (let i = from; i <= to; i++) out.push(i);
  }
  return out;
}

/** [0,1,2,3,4,7,9,10] → "0-4,7,9-10" (an --array argument). */
export function compressRanges(indices: readonly number[]): string {
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && (sorted[j + 1] as number) === (sorted[j] as number) + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}
