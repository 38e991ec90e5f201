import { HelperPool, Tail, type HelperJob, type ShellHelper } from '../util/shell-helper.js';
import type { Slots } from './scheduler.js';

/** A command handed to the runner. */
export interface CommandRun {
  /** Resolves when the command starts; rejects if it is withdrawn first (`abort`). */
  readonly started: Promise<void>;
  /** The exit code; rejects when its helper shell died under it. */
  readonly done: Promise<number>;
  /** The end of its stderr, for error messages. */
  readonly stderr: Tail;
  /** Stop it: withdrawn if not sent yet; otherwise its helper's process group is killed. */
  abort(reason: unknown): void;
}

/**
 * Runs the commands of command rules in reused helper shells (`ShellHelper`), each under one of
 * the scheduler's global slots. A command prepared while every slot is busy is sent to a helper
 * whose command is running, to start the moment that one ends: its slot passes on without a
 * round trip through this process (on the project's 2-core VM, the time between one command
 * of a slot and the next was ~0.3 ms of a ~3.6 ms job, and the cores sat idle for much of it).
 * Nothing is sent ahead while another job (of a rule that is not a command) waits for a slot;
 * such jobs also go first when a slot frees, so in a pipeline that mixes both kinds, commands
 * wait while the others queue (the CLI's `--rules` pipelines are commands only).
 */
export class CommandRunner {
  readonly #slots: Slots;
  readonly #pool: HelperPool;
  /** Prepared commands not sent yet: no slot free and no helper with room. */
  readonly #waiting: Pending[] = [];
  readonly #stopListening: () => void;

  constructor(slots: Slots, env: Readonly<Record<string, string | undefined>>) {
    this.#slots = slots;
    this.#pool = new HelperPool(env);
    this.#stopListening = slots.onFree(() => this.#sendWaiting());
  }

  submit(workDir: string, vars: Readonly<Record<string, string>>, command: string): CommandRun {
    const stderr = new Tail();
    let resolveStarted!: () => void;
    let rejectStarted!: (reason: unknown) => void;
    let resolveDone!: (code: number) => void;
    let rejectDone!: (error: unknown) => void;
    const started = new Promise<void>((resolvePromise, reject) => {
      resolveStarted = resolvePromise;
      rejectStarted = reject;
    });
    const done = new Promise<number>((resolvePromise, reject) => {
      resolveDone = resolvePromise;
      rejectDone = reject;
    });
    // A withdrawn command's promises may never be awaited.
    started.catch(() => undefined);
    done.catch(() => undefined);
    const pending: Pending = { helper: undefined, state: 'waiting', withdrawn: undefined, job: undefined as unknown as HelperJob };
    const job: HelperJob = {
      workDir,
      vars,
      command,
      stderr,
      started: () => {
        pending.state = 'running';
        resolveStarted();
        // The helper has room again for one to wait behind this one.
        if (this.#waiting.length > 0) queueMicrotask(() => this.#sendWaiting());
      },
      ended: (code) => {
        pending.state = 'ended';
        // The slot passes to the command that waited behind this one, if any.
        if (pending.helper?.idle === true) this.#slots.give();
        resolveDone(code);
      },
      failed: (error) => {
        pending.state = 'ended';
        if (pending.helper !== undefined) this.#pool.drop(pending.helper);
        this.#slots.give();
        rejectDone(error);
      },
      orphaned: () => {
        pending.helper = undefined;
        if (pending.withdrawn !== undefined) {
          pending.state = 'ended';
          rejectDone(pending.withdrawn.reason);
          return;
        }
        // Its helper died before it started (the command before it was killed): send it again.
        pending.state = 'waiting';
        this.#waiting.unshift(pending);
        this.#sendWaiting();
      },
    };
    pending.job = job;
    const abort = (reason: unknown): void => {
      if (pending.state === 'waiting') {
        const at = this.#waiting.indexOf(pending);
        if (at >= 0) this.#waiting.splice(at, 1);
        pending.state = 'ended';
        rejectStarted(reason);
        rejectDone(reason);
        return;
      }
      if (pending.state === 'ended' || pending.helper === undefined) return;
      // Sent: a command cannot be taken back from the helper's input, so the helper goes, and
      // with it a command that waited behind this one (sent again elsewhere, see `orphaned`).
      const helper = pending.helper;
      if (pending.state === 'sent') {
        pending.withdrawn = { reason };
        rejectStarted(reason);
      }
      helper.terminate();
    };
    if (!this.#send(pending)) this.#waiting.push(pending);
    return { started, done, stderr, abort };
  }

  /**
   * Send a command now: to an idle helper when a slot is free, else behind a running command
   * (unless another job waits for a slot); false when it must wait.
   */
  #send(pending: Pending): boolean {
    let helper: ShellHelper | undefined;
    if (this.#slots.tryTake()) helper = this.#pool.idle();
    else if (!this.#slots.contended) helper = this.#pool.withRoom();
    if (helper === undefined) return false;
    pending.helper = helper;
    pending.state = 'sent';
    helper.send(pending.job);
    return true;
  }

  #sendWaiting(): void {
    while (this.#waiting.length > 0) {
      const next = this.#waiting[0] as Pending;
      if (!this.#send(next)) return;
      this.#waiting.shift();
    }
  }

  /** Stop listening for free slots (the helpers stay until the process has nothing else to do). */
  close(): void {
    this.#stopListening();
  }
}

interface Pending {
  helper: ShellHelper | undefined;
  /** waiting: not sent; sent: in a helper's input, behind a running command; running; ended. */
  state: 'waiting' | 'sent' | 'running' | 'ended';
  /** Aborted while sent: it must not be sent again when its helper dies. */
  withdrawn: { reason: unknown } | undefined;
  job: HelperJob;
}
