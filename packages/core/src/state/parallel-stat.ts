import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { xxh64 } from '../hash/hash.js';
import { PENDING, STATED, slotWidth, statEvent, workOn, type StatBatch } from './stat-batch.js';

/**
 * Where `bin/llama.js` leaves the worker it starts before the CLI loads (a `Worker` running
 * `stat-worker.js`, or undefined): `start` adopts it, `decline` stops it.
 */
export const EARLY_STAT_WORKER = Symbol.for('llama.early-stat-worker');

function takeEarlyWorker(): Worker | undefined {
  const holder = globalThis as { [EARLY_STAT_WORKER]?: Worker };
  const worker = holder[EARLY_STAT_WORKER];
  delete holder[EARLY_STAT_WORKER];
  return worker;
}

/** Below this many events a worker's share is not worth the message. */
const MIN_EVENTS = 64;
/** How long to wait for an event the worker claimed before stat'ing it here instead. */
const WORKER_PATIENCE_MS = 2000;

export interface EventFiles {
  readonly dir: string;
  /** One character per layout file: '1' present. */
  readonly present: string;
}

/**
 * Stat identities of many events at once on two threads: the no-op pass of a large run is ~44
 * stats per event and nothing else. A worker thread takes ~30 ms to start on the project machine,
 * as long as a whole no-op pass spends selecting events, so the CLI starts it before it loads
 * itself (see EARLY_STAT_WORKER); until it is ready, this thread does all of a batch, so it is
 * never waited for.
 */
export class ParallelStat {
  readonly #worker: Worker | undefined;
  #alive: boolean;
  /** How many events of the last batch the worker thread stat'ed (for tests and benchmarks). */
  workerShare = 0;

  private constructor(worker: Worker | undefined) {
    this.#worker = worker;
    this.#alive = worker !== undefined;
    worker?.on('error', () => {
      this.#alive = false;
    });
    worker?.on('exit', () => {
      this.#alive = false;
    });
    // An idle helper must not keep the process alive.
    worker?.unref();
  }

  /** A helper with a worker thread where there is a second CPU; otherwise one that works alone. */
  static start(): ParallelStat {
    const early = takeEarlyWorker();
    if (availableParallelism() < 2) {
      void early?.terminate();
      return new ParallelStat(undefined);
    }
    try {
      return new ParallelStat(early ?? new Worker(new URL('./stat-worker.js', import.meta.url)));
    } catch {
      return new ParallelStat(undefined);
    }
  }

  /** No helper wanted (nothing recorded clean, a dry run): stop the worker started early, if any. */
  static decline(): void {
    void takeEarlyWorker()?.terminate();
  }

  /**
   * The identity digest of each event (its directory, then each present file, as
   * `unchangedSince` computes it), or undefined when a file is gone or cannot be stat'ed.
   */
  digests(events: readonly EventFiles[], files: readonly string[]): (string | undefined)[] {
    const shared = this.#alive && events.length >= MIN_EVENTS;
    const buffer = (bytes: number): ArrayBufferLike => (shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
    const width = slotWidth(files);
    const batch: StatBatch = {
      dirs: events.map((e) => e.dir),
      present: events.map((e) => e.present),
      files,
      next: new Int32Array(buffer(4)),
      status: new Int32Array(buffer(4 * events.length)),
      values: new Float64Array(buffer(8 * width * events.length)),
    };
    if (shared) this.#worker?.postMessage(batch);
    this.workerShare = events.length - workOn(batch);
    const digests: (string | undefined)[] = [];
    for (let i = 0; i < events.length; i++) {
      let status = Atomics.load(batch.status, i);
      if (status === PENDING && shared) {
        Atomics.wait(batch.status, i, PENDING, WORKER_PATIENCE_MS);
        status = Atomics.load(batch.status, i);
      }
      // A worker that died or hangs mid-event: do that one here.
      if (status === PENDING) {
        status = statEvent(batch, i);
        this.workerShare--;
      }
      if (status !== STATED) {
        digests.push(undefined);
        continue;
      }
      let count = 1;
      const present = (events[i] as EventFiles).present;
      for (let f = 0; f < present.length; f++) if (present.charCodeAt(f) === 49) count++;
      digests.push(xxh64(new Uint8Array(batch.values.buffer, i * width * 8, count * 32)));
    }
    return digests;
  }

  close(): void {
    this.#alive = false;
    void this.#worker?.terminate();
  }
}
