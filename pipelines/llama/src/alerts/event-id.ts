import { validateEventId } from '@llama/core';
import { isGraceId } from '../gracedb/ids.js';

/** Event ids taken from notices and alerts: the engine's path-safety rules plus the LLAMA shapes. */

export const NOTICE_TYPES = ['EarlyWarning', 'Preliminary', 'Initial', 'Update', 'Retraction'] as const;
export type NoticeType = (typeof NOTICE_TYPES)[number];

/** `<GraceID>-<serial>-<Type>`, e.g. `S250924di-2-Preliminary` (3.5.1 GCN listener). */
const NOTICE_EVENT_ID = /^([A-Za-z0-9]+)-(\d+)-([A-Za-z]+)$/;

export interface NoticeEventId {
  readonly eventId: string;
  readonly graceId: string;
  readonly serial: number;
  readonly noticeType: NoticeType;
}

/** Parse and check a notice event id; returns the problem as a string when it is not acceptable. */
export function parseNoticeEventId(id: string): NoticeEventId | string {
  const unsafe = validateEventId(id);
  if (unsafe !== undefined) return unsafe;
  const match = NOTICE_EVENT_ID.exec(id);
  if (match === null) return `the event id ${JSON.stringify(id)} is not <GraceID>-<serial>-<NoticeType>`;
  const [, graceId, serial, type] = match as unknown as [string, string, string, string];
  if (!isGraceId(graceId)) return `${JSON.stringify(graceId)} in ${JSON.stringify(id)} is not a GraceDB id`;
  const noticeType = NOTICE_TYPES.find((t) => t.toLowerCase() === type.toLowerCase());
  if (noticeType === undefined) return `${JSON.stringify(type)} in ${JSON.stringify(id)} is not one of ${NOTICE_TYPES.join(', ')}`;
  return { eventId: id, graceId, serial: Number(serial), noticeType };
}

/** A superevent id used as an event id (alerts, `llama ingest gracedb`). */
export function supereventIdProblem(id: string): string | undefined {
  const unsafe = validateEventId(id);
  if (unsafe !== undefined) return unsafe;
  return isGraceId(id) ? undefined : `${JSON.stringify(id)} is not a GraceDB superevent id`;
}

/** Does this event directory name belong to `graceId` (the id itself or `<graceId>-…`)? */
export function eventBelongsTo(eventId: string, graceId: string): boolean {
  return eventId === graceId || eventId.startsWith(`${graceId}-`);
}
