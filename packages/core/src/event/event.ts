import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigError, err, type Diagnostic, type Result } from '../errors.js';
import { commitAll, ensureGitRepo } from '../execute/git.js';
import type { EventRef, Flags } from '../rule/types.js';
import { writeFileAtomicSync } from '../util/fs.js';
import { DEFAULT_FLAGS, FLAGS_FILENAME, serializeFlags, validateFlags } from './flags.js';

export function eventRef(runDir: string, eventId: string): EventRef {
  const run = resolve(runDir);
  return Object.freeze({ eventId, runDir: run, eventDir: join(run, eventId) });
}

/**
 * Event ids come from notices and alerts: refuse anything that could escape the run directory
 * or confuse a terminal. Returns the problem, or undefined for a good id.
 */
export function validateEventId(id: string): string | undefined {
  if (id === '') return 'the event id is empty';
  if (id.length > 200) return 'the event id is longer than 200 characters';
  if (id.includes('/') || id.includes('\\')) return `the event id ${JSON.stringify(id)} contains a path separator`;
  if (id === '.' || id === '..' || id.includes('..')) return `the event id ${JSON.stringify(id)} contains ".."`;
  if (id.startsWith('.')) return `the event id ${JSON.stringify(id)} starts with a dot`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(id)) return `the event id ${JSON.stringify(id)} contains control characters`;
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
  const base: Record<string, string> = current.ok ? { ...current.value } : { ...DEFAULT_FLAGS };
  const merged = validateFlags({ ...base, ...update });
  if (!merged.ok) {
    throw new ConfigError(`invalid flags for ${eventDir}`, { code: 'flags', diagnostics: merged.error });
  }
  writeFileAtomicSync(join(eventDir, FLAGS_FILENAME), serializeFlags(merged.value));
  if (options.message !== undefined && (options.versioning ?? versioningEnabled()) && existsSync(join(eventDir, '.git'))) {
    await commitAll(eventDir, options.message);
  }
  return merged.value;
}

/**
 * Create an event directory (3.5.1 `Event.init`): the directory, its git repository and
 * FLAGS.json. An existing event is kept: its flags change only when `flags` is given (3.5.1
 * reset them to DEFAULT, which un-vetoed retracted events).
 */
export async function initEvent(
  runDir: string,
  eventId: string,
  options: { flags?: Readonly<Record<string, string>>; versioning?: boolean } = {},
): Promise<EventRef> {
  const problem = validateEventId(eventId);
  if (problem !== undefined) throw new ConfigError(problem, { code: 'bad-event-id' });
  const event = eventRef(runDir, eventId);
  if (existsSync(event.eventDir) && !statSync(event.eventDir).isDirectory()) {
    throw new ConfigError(`${event.eventDir} exists and is not a directory`, { code: 'not-a-directory' });
  }
  const isNew = !existsSync(event.eventDir);
  mkdirSync(event.eventDir, { recursive: true });
  const versioning = options.versioning ?? versioningEnabled();
  if (versioning) await ensureGitRepo(event.eventDir);
  const flagsPath = join(event.eventDir, FLAGS_FILENAME);
  if (!existsSync(flagsPath) || options.flags !== undefined) {
    await updateEventFlags(event.eventDir, options.flags ?? {}, { versioning: false });
  }
  if (versioning) await commitAll(event.eventDir, isNew ? `Initialized event ${eventId}` : `Updated flags of ${eventId}`);
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
