import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { validateEventId, writeFileAtomicSync } from '@llama/core';
import type { ingest as Ingest } from '@llama/pipelines';
import { archiveMessage, readHandled, recordHandled, type HandledRecord } from './archive.js';

type IngestModule = typeof Ingest;

/** What a topic carries, by its name (GCN's topic names are stable; igwn-alert's are <group>.<node>). */
export type TopicKind = 'heartbeat' | 'icecube-lvk' | 'alert';

export function topicKind(topic: string): TopicKind {
  const t = topic.toLowerCase();
  if (t.endsWith('heartbeat')) return 'heartbeat';
  if (t.includes('icecube') && t.includes('lvk')) return 'icecube-lvk';
  return 'alert';
}

/** IceCube's search of an LVK alert (GCN schema lvk_nu_track_search) is kept under this name in the event. */
export const ICECUBE_LVK_FILENAME = 'gcn_icecube_lvk_nu_track_search.json';

export interface Message {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly value: Uint8Array;
  readonly timestamp?: string;
}

export interface HandleContext {
  readonly ingest: IngestModule;
  readonly options: Ingest.IngestOptions;
  readonly archiveDir: string;
}

export interface Handled {
  readonly status: 'ingested' | 'skipped' | 'failed' | 'duplicate' | 'heartbeat';
  /** One line per thing done; a failure is one line naming the message, the event and the cause. */
  readonly lines: readonly string[];
  readonly archived?: string;
  readonly events?: readonly string[];
}

/**
 * One message from the broker: archive it (durably), then ingest it, then record that it was
 * handled. Only after this resolves may its offset be committed. A message archived and
 * recorded before (re-delivered after a crash between handling and commit) changes nothing.
 */
export async function handleMessage(message: Message, ctx: HandleContext): Promise<Handled> {
  const receivedAt = new Date().toISOString();
  const kind = topicKind(message.topic);
  // ~1 per second on gcn.heartbeat: liveness only, not worth a file each.
  if (kind === 'heartbeat') return { status: 'heartbeat', lines: [] };
  const label = `${message.topic}[${message.partition}]@${message.offset}`;
  const archived = await archiveMessage(ctx.archiveDir, message.topic, message.partition, message.offset, message.value);
  if (!archived.fresh) {
    const done = await readHandled(archived.path);
    if (done !== undefined) return { status: 'duplicate', lines: [`${label}: already handled (${done.status} at ${done.handledAt}); nothing to do`], archived: archived.path };
  }
  const outcome = await ingestBytes(kind, message.value, `${label} (${archived.path})`, ctx);
  const record: HandledRecord = {
    status: outcome.status === 'ingested' ? 'ingested' : outcome.status === 'skipped' ? 'skipped' : 'failed',
    lines: outcome.lines,
    receivedAt,
    handledAt: new Date().toISOString(),
    topic: message.topic,
    partition: message.partition,
    offset: message.offset,
    ...(message.timestamp === undefined ? {} : { timestamp: message.timestamp }),
  };
  await recordHandled(archived.path, record);
  return { ...outcome, archived: archived.path };
}

/**
 * Ingest one message's bytes through the existing ingest path (also `llama listen --replay`).
 * Expected failures (bad JSON, a hostile id, a skymap that is not FITS) come back as values.
 */
export async function ingestBytes(kind: Exclude<TopicKind, 'heartbeat'>, value: Uint8Array, source: string, ctx: Pick<HandleContext, 'ingest' | 'options'>): Promise<Handled> {
  try {
    if (kind === 'icecube-lvk') return await keepIceCubeNotice(value, source, ctx);
    const outcome = await ctx.ingest.ingestAlert(value, source, ctx.options);
    return { status: outcome.status, lines: outcome.messages.map((m) => naming(source, m)), events: outcome.events };
  } catch (error) {
    return { status: 'failed', lines: [naming(source, error instanceof Error ? error.message : String(error))] };
  }
}

/** A line that names the message once (ingest's own lines often name their source already). */
function naming(source: string, line: string): string {
  return line.includes(source) ? line : `${source}: ${line}`;
}

/**
 * IceCube's own search of an LVK alert carries its LLAMA p-value: keep it as a file in the event
 * of the superevent it answers (`ref_ID`). The event exists by then (IceCube answers the LVK
 * alert); if not, the notice stays in the archive and the line says so.
 */
async function keepIceCubeNotice(value: Uint8Array, source: string, ctx: Pick<HandleContext, 'options'>): Promise<Handled> {
  let notice: unknown;
  try {
    notice = JSON.parse(new TextDecoder().decode(value));
  } catch (error) {
    return { status: 'failed', lines: [`${source}: not valid JSON (${(error as Error).message})`] };
  }
  const ref = notice !== null && typeof notice === 'object' ? (notice as Record<string, unknown>)['ref_ID'] : undefined;
  if (typeof ref !== 'string') return { status: 'failed', lines: [`${source}: the IceCube LVK notice has no string "ref_ID"`] };
  // The same path-safety check event creation applies (validateEventId): never a path from a message.
  const problem = validateEventId(ref) ?? (/^[A-Za-z0-9_-]+$/.test(ref) ? undefined : `the ref_ID ${JSON.stringify(ref)} is not a superevent id`);
  if (problem !== undefined) return { status: 'failed', lines: [`${source}: ${problem}`] };
  const eventDir = join(ctx.options.runDir, ref);
  if (!existsSync(eventDir) || !statSync(eventDir).isDirectory()) {
    return { status: 'skipped', lines: [`${source}: IceCube LVK notice for ${ref}, which has no event in ${ctx.options.runDir}; kept in the archive only`] };
  }
  writeFileAtomicSync(join(eventDir, ICECUBE_LVK_FILENAME), value);
  return { status: 'ingested', lines: [`${source}: wrote ${ICECUBE_LVK_FILENAME} in ${ref}`], events: [ref] };
}
