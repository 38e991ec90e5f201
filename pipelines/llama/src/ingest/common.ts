import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  discoverEvents,
  ensureUsableDir,
  FLAG_PRESETS,
  createEventAtomically,
  readEventFlags,
  updateEventFlags,
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
 * Create the event complete, or update the existing one, and write what the input brings.
 * A new event gets the preset with `--flags` over it, built aside with `fill` and renamed into
 * place (createEventAtomically), so a daemon watching the run never sees it half-made. An existing
 * event keeps its operator's flags (3.5.1 re-applied the preset on every notice, undoing
 * `llama flags … UPLOAD=false`): only `--flags` given to this ingest and the flags a notice
 * decides (VETOED, for a retracted GraceID) change; an event already vetoed stays vetoed (3.5.1
 * flag_preset_freeze_veto). `fill` then writes into the existing event. When another process
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
  const { event, created } = await createEventAtomically(options.runDir, eventId, { flags: forNew, ...(fill === undefined ? {} : { fill }) });
  if (created) return { event, created, flags: forNew };
  // Only what this ingest was told (--flags) or what the notice decides; never the preset.
  const update: Record<string, string> = { ...options.flags, ...(retracted ? { VETOED: 'true' } : {}) };
  let flags: Record<string, string> | undefined;
  if (Object.keys(update).length > 0) {
    flags = { ...(await updateEventFlags(event.eventDir, update, { message: `Updated flags of ${eventId}` })) };
  } else {
    const current = await readEventFlags(event.eventDir);
    flags = current.ok ? { ...current.value } : undefined;
  }
  await fill?.(event);
  return { event, created, flags };
}

export async function writeTrigger(options: IngestOptions, event: EventRef, rule: Rule, content: string | Uint8Array, message: string): Promise<void> {
  await writeTriggeredFile(event, rule, content, {
    message,
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
    await updateEventFlags(event.eventDir, { VETOED: 'true' }, { message: `Vetoed ${event.eventId}: ${reason}` });
    vetoed.push(event.eventId);
  }
  return vetoed;
}

export function presetFor(test: boolean): Readonly<Record<string, string>> {
  return test ? FLAG_PRESETS.TRIGGERED_TEST : FLAG_PRESETS.TRIGGERED_PUBLIC;
}

export function nowIso(options: IngestOptions): string {
  return (options.now?.() ?? new Date()).toISOString();
}
