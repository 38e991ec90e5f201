import { statIdentity } from '../util/stat-identity.js';

/**
 * The stat identities of many events' files, gathered by several threads at once into shared
 * memory: each thread claims the next event with an atomic counter, so a thread that starts late
 * (a worker still booting) simply takes fewer events.
 */
export interface StatBatch {
  /** Event directories. */
  readonly dirs: readonly string[];
  /** Per event, one character per file of `files`: '1' when the file is to be stat'ed. */
  readonly present: readonly string[];
  readonly files: readonly string[];
  /** [0]: the next event to claim. */
  readonly next: Int32Array;
  /** Per event: PENDING until a thread has stat'ed it. */
  readonly status: Int32Array;
  /** Per event, (files + 1) × 4 numbers: the directory's identity, then each present file's. */
  readonly values: Float64Array;
}

export const PENDING = 0;
export const STATED = 1;
/** A file (or the directory) is gone: the event changed. */
export const MISSING = 2;
/** A stat failed otherwise (ENOTDIR, EACCES, …): the event must be planned to say why. */
export const FAILED = 3;

export function slotWidth(files: readonly string[]): number {
  return (files.length + 1) * 4;
}

/** Stat event `i` into its slot. */
export function statEvent(batch: StatBatch, i: number): number {
  const { files, values } = batch;
  const dir = batch.dirs[i] as string;
  const present = batch.present[i] as string;
  let at = i * slotWidth(files);
  try {
    if (!statIdentity(dir, values, at)) return MISSING;
    at += 4;
    for (let f = 0; f < files.length; f++) {
      if (present.charCodeAt(f) !== 49 /* '1' */) continue;
      if (!statIdentity(`${dir}/${files[f] as string}`, values, at)) return MISSING;
      at += 4;
    }
    return STATED;
  } catch {
    return FAILED;
  }
}

/**
 * Claim and stat events until none is left; returns how many this thread did. Safe to run in
 * several threads on the same batch.
 */
export function workOn(batch: StatBatch): number {
  const total = batch.dirs.length;
  let done = 0;
  for (;;) {
    const i = Atomics.add(batch.next, 0, 1);
    if (i >= total) return done;
    Atomics.store(batch.status, i, statEvent(batch, i));
    Atomics.notify(batch.status, i);
    done++;
  }
}
