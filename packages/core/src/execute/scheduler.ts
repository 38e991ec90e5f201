import pLimit, { type LimitFunction } from 'p-limit';
import type { Rule } from '../rule/types.js';
import { CommandRunner } from './command-runner.js';

/** 3.5.1 ran 4 generation workers ($LLAMA_IO_DEFAULT_GEN_MAX_WORKERS). */
export const DEFAULT_CONCURRENCY = 4;

/**
 * A counting semaphore whose waiters are served first come, first served. A slot taken with
 * `take` or `tryTake` is given back with `give`, once.
 */
export class Slots {
  #free: number;
  readonly #waiters: (() => void)[] = [];
  readonly #onFree = new Set<() => void>();

  constructor(count: number) {
    this.#free = count;
  }

  /** A slot now, if one is free and nobody waits for one. */
  tryTake(): boolean {
    if (this.#free === 0 || this.#waiters.length > 0) return false;
    this.#free--;
    return true;
  }

  /** Resolves when a slot is taken (at once when one is free and nobody waits). */
  take(): Promise<void> {
    if (this.tryTake()) return Promise.resolve();
    return new Promise<void>((resolvePromise) => {
      this.#waiters.push(resolvePromise);
    });
  }

  give(): void {
    const next = this.#waiters.shift();
    if (next !== undefined) {
      next();
      return;
    }
    this.#free++;
    for (const listener of this.#onFree) listener();
  }

  /** Someone is waiting for a slot (then no slot may be kept past its job by handing it on). */
  get contended(): boolean {
    return this.#waiters.length > 0;
  }

  /** Call `listener` whenever a slot becomes free with nobody waiting for it. */
  onFree(listener: () => void): () => void {
    this.#onFree.add(listener);
    return () => this.#onFree.delete(listener);
  }
}

/**
 * Bounded concurrency shared by every event of every pass: one global limit plus named pools
 * (a rule's pool is taken first, so waiting for a pool never holds a global slot).
 *
 * Command rules may also be prepared ahead (`prepare`: claimed, inputs snapshotted, handed to a
 * helper shell to start as soon as the command before it ends, see `CommandRunner`), at most
 * `concurrency` of them at once; a command holds a global slot only while it runs, and the slot
 * of one that ends passes straight to the command waiting behind it, unless another job waits
 * for a slot.
 */
export class Scheduler {
  readonly slots: Slots;
  readonly #ahead: LimitFunction;
  readonly #pools = new Map<string, LimitFunction>();
  /** Per environment object: a helper shell runs every command with the environment it started with. */
  readonly #runners = new WeakMap<object, CommandRunner>();
  readonly concurrency: number;
  constructor(concurrency = DEFAULT_CONCURRENCY) {
    this.concurrency = Math.max(1, concurrency);
    this.slots = new Slots(this.concurrency);
    this.#ahead = pLimit(this.concurrency);
  }

  run<T>(rule: Rule, task: () => Promise<T>): Promise<T> {
    if (rule.pool === undefined) return this.#withSlot(task);
    let pool = this.#pools.get(rule.pool.name);
    if (pool === undefined) {
      pool = pLimit(Math.max(1, rule.pool.concurrency));
      this.#pools.set(rule.pool.name, pool);
    }
    return pool(() => this.#withSlot(task));
  }

  /** Run `task` (the preparation of a command, until it starts) among at most `concurrency` others. */
  prepare<T>(task: () => Promise<T>): Promise<T> {
    return this.#ahead(task);
  }

  /** The runner of command rules' commands for this environment (one for the scheduler's life). */
  commands(env: Readonly<Record<string, string | undefined>>): CommandRunner {
    let runner = this.#runners.get(env);
    if (runner === undefined) {
      runner = new CommandRunner(this.slots, env);
      this.#runners.set(env, runner);
    }
    return runner;
  }

  async #withSlot<T>(task: () => Promise<T>): Promise<T> {
    await this.slots.take();
    try {
      return await task();
    } finally {
      this.slots.give();
    }
  }
}
