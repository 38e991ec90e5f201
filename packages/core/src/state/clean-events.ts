import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { StateFingerprint } from './snapshot.js';

/** What is kept of an event whose plan had nothing to do. */
export interface CleanRecord {
  readonly digest: string;
  readonly present: string;
  /** The plan may change at this time (Unix ms) even if no file does (a cooldown ends, …). */
  readonly until: number | undefined;
  /** When the record was made (Unix ms): records are trusted for a limited time (see run-pass). */
  readonly recorded: number;
}

/** Row format: `digest,until,recorded,present` (until empty when none). */
function encode(record: CleanRecord): string {
  return `${record.digest},${record.until ?? ''},${record.recorded},${record.present}`;
}

function decode(row: string): CleanRecord | undefined {
  const a = row.indexOf(',');
  const b = row.indexOf(',', a + 1);
  const c = row.indexOf(',', b + 1);
  if (a <= 0 || b < 0 || c < 0) return undefined;
  const until = row.slice(a + 1, b);
  const recorded = Number(row.slice(b + 1, c));
  if (!Number.isFinite(recorded)) return undefined;
  return { digest: row.slice(0, a), until: until === '' ? undefined : Number(until), recorded, present: row.slice(c + 1) };
}

interface CleanFile {
  v: 1;
  /** Per snapshot-layout key (rule set), per event directory, one row. */
  layouts: Record<string, Record<string, string>>;
}

/** How many rule sets (e.g. the whole pipeline and a few `-f` selections) keep their records. */
const MAX_LAYOUTS = 4;

/**
 * Events whose last plan found nothing to do, with the stat fingerprint of the state it was
 * made from. While the fingerprint holds (and its `until` has not come), planning the event
 * again would give the same answer, so a pass skips it after one stat per file: the no-op
 * pass then costs what make's or ninja's does. Persisted as one small file per run.
 */
export class CleanEvents {
  readonly #file: string | undefined;
  #layouts: Map<string, Map<string, string>>;
  #dirty = false;

  constructor(file?: string) {
    this.#file = file;
    this.#layouts = new Map();
  }

  /** Load the records of `file`; a missing or damaged file is an empty index (every event is planned). */
  static load(file: string): CleanEvents {
    const index = new CleanEvents(file);
    try {
      const data = JSON.parse(readFileSync(file, 'utf8')) as CleanFile;
      if (data.v === 1 && typeof data.layouts === 'object' && data.layouts !== null) {
        for (const [key, rows] of Object.entries(data.layouts)) {
          if (typeof rows === 'object' && rows !== null) index.#layouts.set(key, new Map(Object.entries(rows)));
        }
      }
    } catch {
      // start empty
    }
    return index;
  }

  get(layoutKey: string, eventDir: string): CleanRecord | undefined {
    const row = this.#layouts.get(layoutKey)?.get(eventDir);
    return row === undefined ? undefined : decode(row);
  }

  set(layoutKey: string, eventDir: string, fingerprint: StateFingerprint, recorded: number): void {
    let rows = this.#layouts.get(layoutKey);
    if (rows === undefined) {
      rows = new Map();
      this.#layouts.set(layoutKey, rows);
    } else if (this.#layouts.size > 1) {
      // Most recently used last, so that the oldest rule set is the one dropped.
      this.#layouts.delete(layoutKey);
      this.#layouts.set(layoutKey, rows);
    }
    const row = encode({ ...fingerprint, recorded });
    if (rows.get(eventDir) === row) return;
    rows.set(eventDir, row);
    this.#dirty = true;
    while (this.#layouts.size > MAX_LAYOUTS) this.#layouts.delete(this.#layouts.keys().next().value as string);
  }

  delete(layoutKey: string, eventDir: string): void {
    if (this.#layouts.get(layoutKey)?.delete(eventDir) === true) this.#dirty = true;
  }

  /** Whether any rule set has a record. */
  hasRecords(): boolean {
    for (const rows of this.#layouts.values()) if (rows.size > 0) return true;
    return false;
  }

  /** Records held for a rule set. */
  count(layoutKey: string): number {
    return this.#layouts.get(layoutKey)?.size ?? 0;
  }

  save(file = this.#file): void {
    if (file === undefined || (!this.#dirty && file === this.#file)) return;
    const layouts: CleanFile['layouts'] = {};
    for (const [key, rows] of this.#layouts) layouts[key] = Object.fromEntries(rows);
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ v: 1, layouts } satisfies CleanFile));
    renameSync(tmp, file);
    this.#dirty = false;
  }
}
