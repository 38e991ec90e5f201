import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigError, err, type Diagnostic, type Result } from '../errors.js';
import { commitAll, ensureGitRepo } from '../execute/git.js';
import type { EventRef, Flags } from '../rule/types.js';
import { processAlive, writeFileAtomicSync } from '../util/fs.js';
import { DEFAULT_FLAGS, FLAGS_FILENAME, serializeFlags, validateFlags } from './flags.js';
import { TMP_DIRNAME } from './paths.js';

export function eventRef(runDir: string, eventId: string): EventRef {
  const run = resolve(runDir);
  return Object.freeze({ eventId, runDir: run, eventDir: join(run, eventId) });
}

/** How an event id looks (also said in README.md, "Event ids"). */
export const EVENT_ID_GRAMMAR = "letters, digits, '_', '-' and '.', starting with a letter or digit, at most 128 characters";
const EVENT_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const EVENT_ID_MAX = 128;

/**
 * The one event-id grammar, checked wherever an id enters (ingest, `llama event init`,
 * `llama flags`, a literal `llama run` argument): letters, digits, `_`, `-` and `.`, starting
 * with a letter or digit, at most 128 characters, no `..`. Every id LLAMA meets fits it: GraceDB
 * superevents (S250924di, MS260101a, TS…, GW170817) and events (G330564, M…, T…), notice events
 * (S250924di-2-Preliminary), IceCube ids (IceCube-201115A, 136123_12345) and the example run's
 * ids; and no id that fits can escape the run directory, hide, read as an option, or carry shell
 * or terminal syntax into a command line or a log. Returns the reason an id is refused, or
 * undefined for a good one.
 */
export function validateEventId(id: string): string | undefined {
  const shown = JSON.stringify(id);
  if (id === '') return 'the event id is empty';
  if (id === '.' || id === '..') return `${shown} is a directory reference, not an event id (an event id is ${EVENT_ID_GRAMMAR}, e.g. S250924di)`;
  if (id.length > EVENT_ID_MAX) return `the event id ${JSON.stringify(id.slice(0, 40))}… is longer than ${EVENT_ID_MAX} characters`;
  if (id.includes('/') || id.includes('\\')) return `the event id ${shown} contains a path separator`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(id)) return `the event id ${shown} contains a control character (NUL, newline, …)`;
  if (id.startsWith('-')) return `the event id ${shown} starts with "-" (it would read as an option)`;
  if (id.startsWith('.')) return `the event id ${shown} starts with a dot (hidden directories are never events)`;
  if (id.includes('..')) return `the event id ${shown} contains ".."`;
  const bad = [...id].find((ch) => !/[A-Za-z0-9_.-]/.test(ch));
  if (bad !== undefined || !EVENT_ID.test(id)) return `the event id ${shown} contains ${JSON.stringify(bad ?? id[0])}: an event id is ${EVENT_ID_GRAMMAR}`;
  return undefined;
}

/** Versioning (one git repository per event) is on unless LLAMA_VERSIONING is off/false/0. */
export function versioningEnabled(env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  const value = env['LLAMA_VERSIONING']?.toLowerCase();
  return !(value === 'off' || value === 'false' || value === '0' || value === 'no');
}

/**
 * Durability (outputs flushed to disk before they are renamed into place, so that a power cut
 * cannot leave a truncated output that its rider vouches for) is on unless LLAMA_FSYNC is
 * off/false/0/no. Off is for scratch runs that would be redone after a crash anyway (CI fixture
 * rebuilds, benchmarks against tools that never flush); a process crash loses nothing either way.
 */
export function durabilityEnabled(env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  const value = env['LLAMA_FSYNC']?.toLowerCase();
  return !(value === 'off' || value === 'false' || value === '0' || value === 'no');
}

export async function readEventFlags(eventDir: string): Promise<Result<Flags, Diagnostic[]>> {
  let text: string;
  try {
    text = await readFile(join(eventDir, FLAGS_FILENAME), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return validateFlags({});
    return err([{ code: 'flags-unreadable', message: `${join(eventDir, FLAGS_FILENAME)} cannot be read: ${(error as Error).message}` }]);
  }
  try {
    return validateFlags(JSON.parse(text));
  } catch (error) {
    return err([{ code: 'flags-invalid-json', message: `${join(eventDir, FLAGS_FILENAME)} is not valid JSON: ${(error as Error).message}` }]);
  }
}

/** FLAGS.json as a JSON object, whatever its values; undefined when absent or not an object. */
function readRawFlags(eventDir: string): Record<string, unknown> | undefined {
  try {
    const raw: unknown = JSON.parse(readFileSync(join(eventDir, FLAGS_FILENAME), 'utf8'));
    return raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Merge `update` into the event's flags and write FLAGS.json atomically. Flag edits are not
 * committed by themselves unless a message is given (3.5.1 sweeps them into the next commit).
 */
export async function updateEventFlags(
  eventDir: string,
  update: Readonly<Record<string, string>>,
  options: { message?: string; versioning?: boolean } = {},
): Promise<Flags> {
  const current = await readEventFlags(eventDir);
  let base: Record<string, string> = current.ok ? { ...current.value } : { ...DEFAULT_FLAGS };
  if (!current.ok) {
    // A FLAGS.json holding bad values can be repaired by setting them: keep its good values,
    // and refuse only when a bad one is left unset (silently defaulting it could start uploads).
    const raw = readRawFlags(eventDir);
    if (raw !== undefined) {
      const unfixed = current.error.filter((d) => d.subject !== undefined && !Object.hasOwn(update, d.subject));
      if (unfixed.length > 0) {
        throw new ConfigError(`${join(eventDir, FLAGS_FILENAME)} holds invalid flags; set ${unfixed.map((d) => d.subject).join(', ')} too to repair it`, { code: 'flags', diagnostics: unfixed });
      }
      base = { ...DEFAULT_FLAGS };
      for (const [key, value] of Object.entries(raw)) if (typeof value === 'string' && !current.error.some((d) => d.subject === key)) base[key] = value;
    }
  }
  const merged = validateFlags({ ...base, ...update });
  if (!merged.ok) {
    throw new ConfigError(`invalid flags for ${eventDir}`, { code: 'flags', diagnostics: merged.error });
  }
  // Flags already as asked (a repeated edit): FLAGS.json is left as it is, so watchers see no change.
  const unchanged = current.ok && existsSync(join(eventDir, FLAGS_FILENAME)) && serializeFlags(current.value) === serializeFlags(merged.value);
  if (!unchanged) writeFileAtomicSync(join(eventDir, FLAGS_FILENAME), serializeFlags(merged.value));
  if (options.message !== undefined && (options.versioning ?? versioningEnabled()) && existsSync(join(eventDir, '.git'))) {
    await commitAll(eventDir, options.message);
  }
  return merged.value;
}

/** Staging directories of event creation: `.<eventid>.creating-<pid>-<hex>` (hidden: never an event). */
const STAGING = /^\.(.+)\.creating-(\d+)-[0-9a-f]+$/;

/**
 * Remove the staging directories of creators that died (kill -9 mid-ingest); one readdir of the
 * run directory, done only when an event is created.
 */
function sweepDeadStaging(runDir: string): void {
  let names: string[];
  try {
    names = readdirSync(runDir);
  } catch {
    return;
  }
  for (const name of names) {
    const match = STAGING.exec(name);
    if (match !== null && !processAlive(Number(match[2]))) rmSync(join(runDir, name), { recursive: true, force: true });
  }
}

export interface EventCreation {
  readonly event: EventRef;
  /** False when the event existed already (or another process created it first): nothing was written. */
  readonly created: boolean;
}

/**
 * THE way an event directory comes into being (every creator uses it: `llama event init`, every
 * ingest). A new event is built complete under a hidden temporary name in the run directory
 * (`.<id>.creating-<pid>-<hex>`, which event discovery ignores): FLAGS.json (`flags` over DEFAULT),
 * its git repository, whatever `fill` writes (trigger files), and one first commit of all of it
 * ("Initialized event ID", with the text `fill` returns as the message's body), and only then
 * renamed into place: one `git add` and one `git commit` however many files an ingest brings. A daemon therefore never sees a half-made event. When the event exists
 * already, nothing is written and `created` is false; when another process renames its own copy
 * into place first, ours is discarded and `created` is false too: the caller then updates the
 * existing event as it would any existing one, so two concurrent creators lose nothing.
 * `fill` gets a reference whose eventDir is the staging directory; it writes files and leaves
 * committing to the creation (writeTriggeredFile with `commit: false`).
 */
export async function createEventAtomically(
  runDir: string,
  eventId: string,
  options: { flags?: Readonly<Record<string, string>>; versioning?: boolean; fill?: (staged: EventRef) => Promise<string | void> } = {},
): Promise<EventCreation> {
  const problem = validateEventId(eventId);
  if (problem !== undefined) throw new ConfigError(problem, { code: 'bad-event-id' });
  const event = eventRef(runDir, eventId);
  const existing = statSync(event.eventDir, { throwIfNoEntry: false });
  if (existing !== undefined) {
    if (!existing.isDirectory()) throw new ConfigError(`${event.eventDir} exists and is not a directory`, { code: 'not-a-directory' });
    return { event, created: false };
  }
  mkdirSync(event.runDir, { recursive: true });
  sweepDeadStaging(event.runDir);
  const stagingDir = join(event.runDir, `.${eventId}.creating-${process.pid}-${randomBytes(4).toString('hex')}`);
  mkdirSync(stagingDir);
  let repo: Promise<void> | undefined;
  try {
    const staged: EventRef = Object.freeze({ ...event, eventDir: stagingDir });
    const versioning = options.versioning ?? versioningEnabled();
    // `git init` runs while the flags and fill are written (it only creates .git/): one git
    // process less on the event's critical path.
    repo = versioning ? ensureGitRepo(stagingDir) : undefined;
    await updateEventFlags(stagingDir, options.flags ?? {}, { versioning: false });
    const body = await options.fill?.(staged);
    if (repo !== undefined) {
      await repo;
      await commitAll(stagingDir, typeof body === 'string' && body.trim() !== '' ? `Initialized event ${eventId}\n\n${body}` : `Initialized event ${eventId}`);
    }
    // Scratch of the writes above; the event starts without it.
    rmSync(join(stagingDir, TMP_DIRNAME), { recursive: true, force: true });
    try {
      renameSync(stagingDir, event.eventDir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Another creator won (a non-empty directory is there now): it is an existing event.
      if (code === 'ENOTEMPTY' || code === 'EEXIST') return { event, created: false };
      if (code === 'ENOTDIR') throw new ConfigError(`${event.eventDir} exists and is not a directory`, { code: 'not-a-directory' });
      throw error;
    }
    return { event, created: true };
  } finally {
    // A failed fill: let git init finish before its directory is removed.
    await repo?.catch(() => undefined);
    rmSync(stagingDir, { recursive: true, force: true });
  }
}

/**
 * Create an event directory (3.5.1 `Event.init`): the directory, its git repository and
 * FLAGS.json, built aside and renamed into place (createEventAtomically). An existing event is
 * kept: its flags change only when `flags` is given (3.5.1 reset them to DEFAULT, which
 * un-vetoed retracted events).
 */
export async function initEvent(
  runDir: string,
  eventId: string,
  options: { flags?: Readonly<Record<string, string>>; versioning?: boolean } = {},
): Promise<EventRef> {
  const { event, created } = await createEventAtomically(runDir, eventId, options);
  if (created) return event;
  // An existing directory (perhaps made by hand, or by 3.5.1) gets what an event needs.
  const versioning = options.versioning ?? versioningEnabled();
  const hadRepo = existsSync(join(event.eventDir, '.git'));
  if (versioning) await ensureGitRepo(event.eventDir);
  if (!existsSync(join(event.eventDir, FLAGS_FILENAME)) || options.flags !== undefined) {
    await updateEventFlags(event.eventDir, options.flags ?? {}, { versioning: false });
  }
  if (versioning) await commitAll(event.eventDir, hadRepo ? `Updated flags of ${eventId}` : `Initialized event ${eventId}`);
  return event;
}

/** Read FLAGS.json synchronously (for downselection). */
export function readEventFlagsSync(eventDir: string): Result<Flags, Diagnostic[]> {
  const path = join(eventDir, FLAGS_FILENAME);
  // Checked first: most events of a large run may have no FLAGS.json, and a thrown ENOENT per
  // event per pass is measurably slower than a stat.
  if (!existsSync(path)) return validateFlags({});
  try {
    return validateFlags(JSON.parse(readFileSync(path, 'utf8')));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return validateFlags({});
    return err([{ code: 'flags-invalid', message: `FLAGS.json: ${(error as Error).message}` }]);
  }
}
