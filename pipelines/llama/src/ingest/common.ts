import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  commitAll,
  discoverEvents,
  ensureUsableDir,
  FLAG_PRESETS,
  createEventAtomically,
  ensureGitRepo,
  readEventFlags,
  updateEventFlags,
  versioningEnabled,
  withEventLock,
  writeTriggeredFile,
  type EventRef,
  type Rule,
} from '@llama/core';
import { eventBelongsTo } from '../alerts/event-id.js';
import { canonicalJson } from '../gracedb/products.js';
import { LVAlertJSON, LvcRetractionXml, SkymapInfo } from '../rules/triggers.js';
import { skymapInfoProblems, type SkymapInfoData } from '../skymap-info.js';

/** What an ingest did with one input (a notice file, an alert file, a superevent id). */
export interface IngestOutcome {
  readonly source: string;
  readonly status: 'ingested' | 'skipped';
  /** Event ids written to. */
  readonly events: readonly string[];
  /** Human-readable lines describing what happened. */
  readonly messages: readonly string[];
}

/** An input that cannot be ingested; the message names the source and the cause. */
export class IngestError extends Error {
  override readonly name = 'IngestError';
}

export interface IngestOptions {
  readonly runDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Flags applied over the notice's role preset (`--flags`: a preset replaces it, K=V edits it). */
  readonly flags?: Readonly<Record<string, string>>;
  readonly now?: () => Date;
  /** Recorded in metadata riders. */
  readonly engineVersion?: string;
}

/** Create the run directory if needed; an unusable one is a configuration error (exit 2) naming path and cause. */
export async function ensureRunDir(runDir: string): Promise<void> {
  ensureUsableDir(runDir, 'the run directory');
}

/** Every event of the run that belongs to a GraceID (`S…` itself and `S…-<serial>-<Type>`). */
export function eventsOfGraceId(runDir: string, graceId: string): EventRef[] {
  return discoverEvents(runDir).filter((e) => eventBelongsTo(e.eventId, graceId));
}

/** Has any event of this GraceID in the run received a retraction? */
export async function isRetracted(runDir: string, graceId: string): Promise<boolean> {
  for (const event of eventsOfGraceId(runDir, graceId)) {
    if (existsSync(join(event.eventDir, LvcRetractionXml.filename))) return true;
    try {
      const alert = JSON.parse(await readFile(join(event.eventDir, LVAlertJSON.filename), 'utf8')) as { alert_type?: unknown };
      if (typeof alert.alert_type === 'string' && alert.alert_type.toUpperCase() === 'RETRACTION') return true;
    } catch {
      // no alert, or not JSON: not a retraction
    }
  }
  return false;
}

/**
 * One commit per ingest. While an ingest writes into an event (openEvent's `fill`, a
 * retraction's writes), the commit messages of its writes are collected here, by event
 * directory, and the files are committed together afterwards: one `git add` and one `git commit`
 * for a notice instead of three git processes per file (a dozen per alert, seconds of an alert's
 * latency on a loaded machine).
 */
const batches = new Map<string, string[]>();

/**
 * The message of several writes, in 3.5.1's form (what was done, then the files): each write's
 * message is `What was done.\n\nfile\n`. The first write's line is the subject, so a notice that
 * brings one file keeps its one-write message.
 */
export function batchMessage(steps: readonly string[]): string {
  const { lines, files } = parseSteps(steps);
  const [subject = '', ...more] = lines;
  return [subject, ...(more.length > 0 ? [more.join('\n')] : []), ...(files.length > 0 ? [files.join('\n')] : [])].join('\n\n') + '\n';
}

/** The same without a subject: the body of a new event's "Initialized event ID" commit. */
function batchBody(steps: readonly string[]): string {
  const { lines, files } = parseSteps(steps);
  return [...(lines.length > 0 ? [lines.join('\n')] : []), ...(files.length > 0 ? [files.join('\n')] : [])].join('\n\n') + '\n';
}

function parseSteps(steps: readonly string[]): { lines: string[]; files: string[] } {
  const lines: string[] = [];
  const files: string[] = [];
  for (const step of steps) {
    const [head = '', ...rest] = step.split('\n\n');
    for (const line of head.split('\n')) if (line.trim() !== '' && !lines.includes(line.trim())) lines.push(line.trim());
    for (const line of rest.join('\n').split('\n')) if (line.trim() !== '' && !files.includes(line.trim())) files.push(line.trim());
  }
  return { lines, files };
}

/**
 * Run `work` with the writes into each of `eventDirs` collected (writeTrigger, noteWrite) into
 * `into` (one list per directory; filled even when `work` throws, so what was written can still
 * be committed). A directory already collected by an enclosing call stays with that one.
 */
async function collectWrites(eventDirs: readonly string[], into: Map<string, string[]>, work: () => Promise<void>): Promise<void> {
  const mine: string[] = [];
  for (const dir of eventDirs) {
    if (batches.has(dir)) continue;
    const steps: string[] = [];
    into.set(dir, steps);
    batches.set(dir, steps);
    mine.push(dir);
  }
  try {
    await work();
  } finally {
    for (const dir of mine) batches.delete(dir);
  }
}

/** Record a change made to an event outside writeTrigger (a flag edit) in the running batch, if any. */
function noteWrite(eventDir: string, message: string): boolean {
  const steps = batches.get(eventDir);
  if (steps === undefined) return false;
  steps.push(message);
  return true;
}

/**
 * Write into existing events with `work`, then commit what it wrote into each in one commit per
 * event (under the event lock, as every commit into a live event is made). What was written
 * before `work` failed is committed too, as the per-file commits did.
 */
export async function inOneCommit(events: readonly EventRef[], work: () => Promise<void>): Promise<void> {
  const collected = new Map<string, string[]>();
  try {
    await collectWrites(events.map((e) => e.eventDir), collected, work);
  } finally {
    if (versioningEnabled()) {
      for (const [dir, steps] of collected) {
        if (steps.length === 0) continue;
        await withEventLock(dir, async () => {
          // An event made without versioning, or by 3.5.1, gets its repository now, as one write did.
          await ensureGitRepo(dir);
          await commitAll(dir, batchMessage(steps));
        });
      }
    }
  }
}

/**
 * Create the event complete, or update the existing one, and write what the input brings.
 * A new event gets the preset with `--flags` over it, built aside with `fill` and renamed into
 * place (createEventAtomically), so a daemon watching the run never sees it half-made; its first
 * commit holds all of it. An existing event keeps its operator's flags (3.5.1 re-applied the
 * preset on every notice, undoing `llama flags … UPLOAD=false`): only `--flags` given to this
 * ingest and the flags a notice decides (VETOED, for a retracted GraceID) change; an event
 * already vetoed stays vetoed (3.5.1 flag_preset_freeze_veto). `fill` then writes into the
 * existing event, and the flag change and the writes are one commit. When another process
 * creates the same event at the same moment, its copy wins and ours is applied as an update.
 */
export async function openEvent(
  options: IngestOptions,
  eventId: string,
  graceId: string,
  preset: Readonly<Record<string, string>> | undefined,
  fill?: (event: EventRef) => Promise<void>,
): Promise<{ event: EventRef; created: boolean; flags: Record<string, string> | undefined }> {
  await ensureRunDir(options.runDir);
  const retracted = await isRetracted(options.runDir, graceId);
  const forNew: Record<string, string> = { ...preset, ...options.flags, ...(retracted ? { VETOED: 'true' } : {}) };
  const fillNew =
    fill === undefined
      ? undefined
      : async (staged: EventRef): Promise<string | undefined> => {
          const collected = new Map<string, string[]>();
          await collectWrites([staged.eventDir], collected, () => fill(staged));
          const steps = collected.get(staged.eventDir) ?? [];
          return steps.length === 0 ? undefined : batchBody(steps);
        };
  const { event, created } = await createEventAtomically(options.runDir, eventId, { flags: forNew, ...(fillNew === undefined ? {} : { fill: fillNew }) });
  if (created) return { event, created, flags: forNew };
  // Only what this ingest was told (--flags) or what the notice decides; never the preset.
  const update: Record<string, string> = { ...options.flags, ...(retracted ? { VETOED: 'true' } : {}) };
  let flags: Record<string, string> | undefined;
  await inOneCommit([event], async () => {
    let flagsChanged = false;
    if (Object.keys(update).length > 0) {
      const before = await readEventFlags(event.eventDir);
      flags = { ...(await updateEventFlags(event.eventDir, update)) };
      flagsChanged = !before.ok || Object.entries(update).some(([key, value]) => before.value[key] !== value);
    } else {
      const current = await readEventFlags(event.eventDir);
      flags = current.ok ? { ...current.value } : undefined;
    }
    await fill?.(event);
    // Noted last, so the commit's subject is what the notice brought.
    if (flagsChanged) noteWrite(event.eventDir, `Updated flags of ${eventId}.\n\nFLAGS.json\n`);
  });
  return { event, created, flags };
}

/**
 * Write a triggered file; inside openEvent's `fill` (or inOneCommit) it joins that one commit,
 * elsewhere it is committed by itself.
 */
export async function writeTrigger(options: IngestOptions, event: EventRef, rule: Rule, content: string | Uint8Array, message: string): Promise<void> {
  const batched = noteWrite(event.eventDir, message);
  await writeTriggeredFile(event, rule, content, {
    message,
    ...(batched ? { commit: false } : {}),
    ...(options.engineVersion === undefined ? {} : { engineVersion: options.engineVersion }),
  });
}

/** Validate and write skymap_info.json. */
export async function writeSkymapInfo(options: IngestOptions, event: EventRef, info: SkymapInfoData, message: string): Promise<void> {
  const problems = skymapInfoProblems(info);
  if (problems.length > 0) throw new IngestError(`the skymap_info.json built for ${event.eventId} is invalid: ${problems.join('; ')}`);
  await writeTrigger(options, event, SkymapInfo, canonicalJson(info), message);
}

/** VETOED=true on every event of the GraceID (3.5.1 meant to do this; its check never fired). */
export async function vetoGraceId(runDir: string, graceId: string, reason: string): Promise<string[]> {
  const vetoed: string[] = [];
  for (const event of eventsOfGraceId(runDir, graceId)) {
    const message = `Vetoed ${event.eventId}: ${reason}`;
    vetoed.push(event.eventId);
    // Vetoed already (created for this retraction): nothing to write or commit.
    const current = await readEventFlags(event.eventDir);
    if (current.ok && current.value['VETOED'] === 'true' && existsSync(join(event.eventDir, 'FLAGS.json'))) continue;
    // Inside a batch (a retraction written into this event) the veto joins its one commit.
    if (batches.has(event.eventDir)) {
      await updateEventFlags(event.eventDir, { VETOED: 'true' });
      noteWrite(event.eventDir, `${message}\n\nFLAGS.json\n`);
    } else {
      await updateEventFlags(event.eventDir, { VETOED: 'true' }, { message });
    }
  }
  return vetoed;
}

export function presetFor(test: boolean): Readonly<Record<string, string>> {
  return test ? FLAG_PRESETS.TRIGGERED_TEST : FLAG_PRESETS.TRIGGERED_PUBLIC;
}

export function nowIso(options: IngestOptions): string {
  return (options.now?.() ?? new Date()).toISOString();
}
