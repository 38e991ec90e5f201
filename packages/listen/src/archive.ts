import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * The message archive (3.5.1 kept gcn/archive/): one file per message, at
 * `<archive>/<topic>/<partition>/<offset>.json`, written and synced before the message is
 * handled, so a crash at any later point loses nothing. Beside it, `<offset>.json.done` records
 * that the message was handled (and how); a re-delivered message with both changes nothing.
 */

/** Kafka's legal topic characters; anything else never becomes a path. */
const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;

export function validTopic(topic: string): boolean {
  return TOPIC.test(topic) && topic !== '.' && topic !== '..';
}

export function archivePath(root: string, topic: string, partition: number, offset: string): string {
  if (!validTopic(topic)) throw new Error(`the topic name ${JSON.stringify(topic)} is not a Kafka topic name`);
  if (!Number.isInteger(partition) || partition < 0) throw new Error(`bad partition ${partition}`);
  if (!/^\d+$/.test(offset)) throw new Error(`bad offset ${JSON.stringify(offset)}`);
  // Zero-padded so that names sort in offset order.
  return join(root, topic, String(partition), `${offset.padStart(12, '0')}.json`);
}

/** Write a file so that it is either absent or complete, and on disk, once this returns. */
export async function writeDurably(path: string, content: Uint8Array | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.partial`;
  const handle = await open(temporary, 'w');
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  // The rename itself is durable only once the directory is synced.
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

async function readOptional(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export interface Archived {
  readonly path: string;
  /** False when the same bytes were already archived (a re-delivery). */
  readonly fresh: boolean;
}

/**
 * Archive one message. The same bytes at the same place are a re-delivery. Different bytes at
 * the same topic/partition/offset (a topic deleted and re-created on the broker) are kept
 * beside it under their hash, never overwriting what was archived.
 */
export async function archiveMessage(root: string, topic: string, partition: number, offset: string, value: Uint8Array): Promise<Archived> {
  const path = archivePath(root, topic, partition, offset);
  const existing = await readOptional(path);
  if (existing === undefined) {
    await writeDurably(path, value);
    return { path, fresh: true };
  }
  if (existing.equals(value)) return { path, fresh: false };
  const hash = createHash('sha256').update(value).digest('hex').slice(0, 12);
  const other = path.replace(/\.json$/, `.${hash}.json`);
  const previous = await readOptional(other);
  if (previous === undefined) await writeDurably(other, value);
  return { path: other, fresh: previous === undefined };
}

export interface HandledRecord {
  readonly status: 'ingested' | 'skipped' | 'failed';
  readonly lines: readonly string[];
  /** When the listener got the message, and when it had handled it (ISO, ms). */
  readonly receivedAt?: string;
  readonly handledAt: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** The producer's timestamp (Unix ms), when the broker gave one. */
  readonly timestamp?: string;
}

export const doneRecordPath = (archived: string): string => `${archived}.done`;

export async function readHandled(archived: string): Promise<HandledRecord | undefined> {
  const bytes = await readOptional(doneRecordPath(archived));
  if (bytes === undefined) return undefined;
  try {
    return JSON.parse(bytes.toString('utf8')) as HandledRecord;
  } catch {
    return undefined; // a torn record cannot exist (writeDurably), but never trust it blindly
  }
}

export async function recordHandled(archived: string, record: HandledRecord): Promise<void> {
  await writeDurably(doneRecordPath(archived), `${JSON.stringify(record, null, 2)}\n`);
}
