import { spawn, type ChildProcess } from 'node:child_process';

/**
 * A long-lived `sh` that runs shell commands one at a time, each in a subshell of its own, for
 * command rules. Node's spawn forks the whole engine process on its main thread (about 3 ms each
 * on the project machine); a small shell forks in a fraction of that, and off our thread. The
 * subshell evaluates the command itself, as `sh -c` would, instead of executing a new `sh`:
 * starting a shell costs ~0.8 ms of CPU here, the fork of the subshell ~0.13 ms. `exit` in a
 * command ends only its subshell. The helper has a process group of its own: aborting a job
 * kills the group (the helper too) and the helper is replaced.
 *
 * The end of a job reaches us as one line on the helper's stderr, after the job's own stderr,
 * written by the subshell's EXIT trap as soon as the command is done: we need not wait for the
 * subshell to exit and the helper to reap it (two more wake-ups of a process, each ~30 µs of an
 * idle core on the project's VM). The helper writes the same line after reaping, for commands
 * that leave no trap to run (`exec`, a trap of their own, a signal); the first line with the
 * job's number settles it, later ones are ignored.
 *
 * One more job may wait in the helper's input behind the running one (`send`): the helper starts
 * it the moment the running one ends, without waiting for us to notice and send it. A helper
 * outlives a killed engine (its process group is its own), but not by a job: writing the end
 * line of its running job into the closed pipe kills it (SIGPIPE) before it reads the next.
 */
export class ShellHelper {
  readonly #child: ChildProcess;
  #running: HelperJob | undefined;
  #queued: HelperJob | undefined;
  #jobs = 0;
  #stderrBuffer = '';
  /** The SIGKILL after `terminate`, until the running job ends or the helper dies. */
  #backstop: NodeJS.Timeout | undefined;
  dead = false;

  constructor(env: Record<string, string>) {
    this.#child = spawn('sh', ['-s'], { env, detached: true, stdio: ['pipe', 'ignore', 'pipe'] });
    this.#child.on('error', () => this.#die(new Error('cannot start the sh helper')));
    this.#child.on('exit', () => this.#die(new Error('the sh helper exited')));
    this.#child.stdin?.on('error', () => this.#die(new Error('the sh helper closed its input')));
    this.#child.stderr?.on('data', (chunk: Buffer) => this.#readStderr(chunk.toString('utf8')));
    this.#idle();
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** No job running. */
  get idle(): boolean {
    return this.#running === undefined && !this.dead;
  }

  /** A job running and none waiting behind it. */
  get hasRoom(): boolean {
    return this.#running !== undefined && this.#queued === undefined && !this.dead;
  }

  /**
   * Send a job: it starts at once when the helper is idle, else when the running job ends (at most
   * one waits). `job.started` is called when it starts; `job.ended` with its exit code, or
   * `job.failed` when the helper dies under it; a waiting job the helper dies under has not
   * started and goes to `job.orphaned`, to be sent elsewhere.
   */
  send(job: HelperJob): void {
    if (this.dead) throw new Error('the sh helper is gone');
    if (this.#running !== undefined && this.#queued !== undefined) throw new Error('the sh helper already has a job waiting');
    const id = ++this.#jobs;
    job.id = id;
    const exports = Object.entries(job.vars)
      .map(([k, v]) => `${k}=${sq(v)}`)
      .join(' ');
    const end = `printf '${END_MARK}${id} %d\\n' $? >&2`;
    const script = `( trap ${sq(end)} EXIT; cd -- ${sq(job.workDir)} || exit 127; export ${exports}; eval ${sq(job.command)} ) </dev/null >/dev/null & wait $!; ${end}\n`;
    if (this.#running === undefined) {
      this.#running = job;
      this.#active();
      this.#child.stdin?.write(script);
      job.started();
    } else {
      this.#queued = job;
      this.#child.stdin?.write(script);
    }
  }

  #readStderr(text: string): void {
    this.#stderrBuffer += text;
    for (let end = END_LINE.exec(this.#stderrBuffer); end !== null; end = END_LINE.exec(this.#stderrBuffer)) {
      const job = this.#running;
      if (end.index > 0) job?.stderr.push(this.#stderrBuffer.slice(0, end.index));
      this.#stderrBuffer = this.#stderrBuffer.slice(end.index + end[0].length);
      if (job !== undefined && Number(end[1]) === job.id) {
        clearTimeout(this.#backstop);
        // The helper goes on with the job waiting behind this one, if any, by itself.
        const next = this.#queued;
        this.#running = next;
        this.#queued = undefined;
        if (next === undefined) this.#idle();
        job.ended(Number(end[2]));
        next?.started();
      }
    }
    // Pass on what cannot be the start of a marker; keep a possible partial one.
    const mark = this.#stderrBuffer.lastIndexOf(END_MARK[0] as string);
    const keep = mark >= 0 && !this.#stderrBuffer.includes('\n', mark) ? mark : this.#stderrBuffer.length;
    if (keep > 0) {
      this.#running?.stderr.push(this.#stderrBuffer.slice(0, keep));
      this.#stderrBuffer = this.#stderrBuffer.slice(keep);
    }
  }

  /** Idle helpers must not keep the process alive. */
  #idle(): void {
    this.#child.unref();
    for (const s of [this.#child.stdin, this.#child.stderr]) (s as unknown as { unref?: () => void } | null)?.unref?.();
  }

  #active(): void {
    this.#child.ref();
    for (const s of [this.#child.stdin, this.#child.stderr]) (s as unknown as { ref?: () => void } | null)?.ref?.();
  }

  #die(error: Error): void {
    if (this.dead) return;
    this.dead = true;
    clearTimeout(this.#backstop);
    const running = this.#running;
    const queued = this.#queued;
    this.#running = undefined;
    this.#queued = undefined;
    running?.failed(error);
    queued?.orphaned();
  }

  /** Signal the helper's process group (the helper, its subshell and the command's processes). */
  kill(signal: NodeJS.Signals): void {
    if (this.#child.pid !== undefined) killGroup(this.#child.pid, signal);
  }

  /**
   * Abort the running job: SIGTERM to the group, which ends the helper at once (its death is then
   * reported, and `HelperPool.drop` kills what is left); SIGKILL after a grace as a backstop.
   */
  terminate(): void {
    if (this.#child.pid === undefined || this.dead) return;
    clearTimeout(this.#backstop);
    this.#backstop = terminateGroup(this.#child.pid);
  }

  /** Let the helper finish and be reaped (so its jobs' CPU time is accounted to us). */
  close(): void {
    if (this.dead) return;
    this.#child.ref();
    this.#child.stdin?.end();
  }
}

/** One command for a helper; the callbacks are the helper's reports. */
export interface HelperJob {
  readonly workDir: string;
  readonly vars: Readonly<Record<string, string>>;
  readonly command: string;
  readonly stderr: Tail;
  /** Set by the helper. */
  id?: number;
  started(): void;
  ended(code: number): void;
  failed(error: Error): void;
  orphaned(): void;
}

const sq = (text: string): string => `'${text.replaceAll("'", "'\\''")}'`;
/** Ends every job's stderr: `\x1eLLAMA-JOB-END <job> <exit code>`. */
const END_MARK = '\u001eLLAMA-JOB-END ';
const END_LINE = /\u001eLLAMA-JOB-END (\d+) (\d+)\n/;
/** How much of a failing command's stderr an error message quotes. */
const STDERR_TAIL_LINES = 5;
const STDERR_TAIL_BYTES = 4096;

/** Keep the last bytes of a stream, for quoting the end of stderr in an error. */
export class Tail {
  #text = '';
  push(chunk: Buffer | string): void {
    this.#text = (this.#text + (typeof chunk === 'string' ? chunk : chunk.toString('utf8'))).slice(-STDERR_TAIL_BYTES);
  }
  lines(): string {
    return this.#text.trimEnd().split('\n').slice(-STDERR_TAIL_LINES).join('\n');
  }
}

export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group has already exited
  }
}

/** After SIGTERM on abort, a process group gets this long before SIGKILL. */
export const KILL_GRACE_MS = 1000;

/** SIGTERM to a process group now, SIGKILL after `KILL_GRACE_MS`: clear the returned timer once the group is gone. */
export function terminateGroup(pid: number): NodeJS.Timeout {
  killGroup(pid, 'SIGTERM');
  const backstop = setTimeout(() => killGroup(pid, 'SIGKILL'), KILL_GRACE_MS);
  backstop.unref();
  return backstop;
}

/**
 * The helpers of one environment (a helper runs every job with the environment it started with),
 * kept for the life of the process. Idle ones are closed when Node has nothing else to do, so
 * `time llama run …` counts their work.
 */
export class HelperPool {
  readonly #env: Record<string, string>;
  readonly #helpers = new Set<ShellHelper>();

  constructor(env: Readonly<Record<string, string | undefined>>) {
    const clean: Record<string, string> = {};
    for (const [key, value] of Object.entries(env)) if (value !== undefined) clean[key] = value;
    this.#env = clean;
    installExitHook();
    livePools.add(this);
  }

  /** An idle helper, started when there is none. */
  idle(): ShellHelper {
    for (const helper of this.#helpers) {
      if (helper.dead) this.#helpers.delete(helper);
      else if (helper.idle) return helper;
    }
    const helper = new ShellHelper(this.#env);
    this.#helpers.add(helper);
    return helper;
  }

  /** A helper running a job with none waiting behind it, if there is one. */
  withRoom(): ShellHelper | undefined {
    for (const helper of this.#helpers) if (helper.hasRoom) return helper;
    return undefined;
  }

  /** Forget a helper that was killed (its replacement is started on demand). */
  drop(helper: ShellHelper): void {
    helper.kill('SIGKILL');
    this.#helpers.delete(helper);
  }

  close(): void {
    for (const helper of this.#helpers) helper.close();
    this.#helpers.clear();
  }
}

const livePools = new Set<HelperPool>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('beforeExit', () => {
    for (const pool of livePools) pool.close();
    livePools.clear();
  });
}

/** `<where>: command exited with code N` (or was killed), with the end of its stderr. */
export function commandFailure(where: string, code: number | null, signal: string | null, tail: string): string {
  const how = signal === null ? `exited with code ${code ?? '?'}` : `was killed by ${signal}`;
  return `${where}: command ${how}${tail === '' ? ' (no stderr)' : `; stderr ends with:\n${tail}`}`;
}
