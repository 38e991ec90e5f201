import { isoToUnix } from '../time/gps.js';
import { supereventIdProblem } from './event-id.js';

/**
 * O4 LVK alerts in JSON (GCN Kafka topic igwn.gwalert; science.md §2b): `superevent_id`,
 * `alert_type`, `time_created`, `event` (null for a retraction) with `time`, `far`,
 * `significant`, `instruments`, `group`, `pipeline`, `search`, `classification`,
 * `properties` and the base64 multi-order `skymap`.
 */

export const ALERT_KINDS = ['EARLYWARNING', 'PRELIMINARY', 'INITIAL', 'UPDATE', 'RETRACTION'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export interface LvkAlertEvent {
  readonly time: string;
  readonly far: number;
  readonly significant: boolean | undefined;
  readonly instruments: readonly string[];
  readonly group: string | undefined;
  readonly pipeline: string;
  readonly search: string | undefined;
  /** The decoded skymap bytes, when the alert carries one. */
  readonly skymap: Uint8Array | undefined;
}

export interface LvkAlert {
  readonly supereventId: string;
  readonly alertType: AlertKind;
  readonly timeCreated: string | undefined;
  readonly event: LvkAlertEvent | undefined;
}

/**
 * An LVK-internal igwn-alert (LVAlert successor) message from GraceDB: `uid`, `alert_type`
 * (new, update, log, label_added, …), `data`, `object` (the superevent or event JSON).
 */
export interface GraceDbMessage {
  readonly uid: string;
  readonly alertType: string;
  /** Superevent messages carry `object.superevent_id`; event-node messages do not. */
  readonly isSuperevent: boolean;
  /** The object's labels, plus the one being added. */
  readonly labels: readonly string[];
  readonly labelAdded: string | undefined;
  /** `object.category`: Production, MDC or Test. */
  readonly category: string | undefined;
  /** When the label or object was created (GraceDB's "YYYY-MM-DD HH:MM:SS UTC"), if given. */
  readonly created: string | undefined;
}

export type AlertParse =
  | { readonly kind: 'lvk'; readonly alert: LvkAlert }
  | { readonly kind: 'gracedb-message'; readonly message: GraceDbMessage }
  | { readonly kind: 'not-lvk'; readonly reason: string }
  | { readonly kind: 'invalid'; readonly problem: string };

const BASE64 = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;

function isoProblem(label: string, value: unknown): string | undefined {
  if (typeof value !== 'string') return `${label} must be an ISO-8601 time string`;
  try {
    isoToUnix(value);
    return undefined;
  } catch {
    return `${label} ${JSON.stringify(value)} is not an ISO-8601 time`;
  }
}

export function parseLvkAlert(text: string): AlertParse {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { kind: 'invalid', problem: `not valid JSON (${error instanceof Error ? error.message : String(error)})` };
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { kind: 'invalid', problem: 'not a JSON object' };
  const o = raw as Record<string, unknown>;
  if (!('superevent_id' in o)) {
    if ('uid' in o && 'object' in o) return parseGraceDbMessage(o);
    const origin = [o['$schema'], o['mission'], o['instrument'], o['type']].find((v) => typeof v === 'string');
    if (origin !== undefined) return { kind: 'not-lvk', reason: `not an LVK gravitational-wave alert (${JSON.stringify(origin)})` };
    return { kind: 'invalid', problem: 'not an LVK alert: no "superevent_id"' };
  }
  const supereventId = o['superevent_id'];
  if (typeof supereventId !== 'string') return { kind: 'invalid', problem: '"superevent_id" must be a string' };
  const idProblem = supereventIdProblem(supereventId);
  if (idProblem !== undefined) return { kind: 'invalid', problem: `superevent_id: ${idProblem}` };
  const alertType = typeof o['alert_type'] === 'string' ? o['alert_type'].toUpperCase() : '';
  if (!(ALERT_KINDS as readonly string[]).includes(alertType)) {
    return { kind: 'invalid', problem: `"alert_type" ${JSON.stringify(o['alert_type'])} is not one of ${ALERT_KINDS.join(', ')}` };
  }
  const timeCreated = o['time_created'];
  if (timeCreated !== undefined && timeCreated !== null) {
    const problem = isoProblem('"time_created"', timeCreated);
    if (problem !== undefined) return { kind: 'invalid', problem };
  }
  const base = { supereventId, alertType: alertType as AlertKind, timeCreated: typeof timeCreated === 'string' ? timeCreated : undefined };
  const ev = o['event'];
  if (ev === null || ev === undefined) {
    if (alertType !== 'RETRACTION') return { kind: 'invalid', problem: `a ${alertType} alert must carry an "event"` };
    return { kind: 'lvk', alert: { ...base, event: undefined } };
  }
  if (typeof ev !== 'object' || Array.isArray(ev)) return { kind: 'invalid', problem: '"event" must be an object or null' };
  const e = ev as Record<string, unknown>;
  const problems: string[] = [];
  const timeProblem = isoProblem('"event.time"', e['time']);
  if (timeProblem !== undefined) problems.push(timeProblem);
  if (typeof e['far'] !== 'number' || !Number.isFinite(e['far']) || e['far'] < 0) problems.push('"event.far" must be a non-negative number (Hz)');
  if (typeof e['pipeline'] !== 'string' || e['pipeline'] === '') problems.push('"event.pipeline" must be a non-empty string');
  const instruments = e['instruments'];
  if (!Array.isArray(instruments) || !instruments.every((i) => typeof i === 'string')) problems.push('"event.instruments" must be a list of detector names');
  let skymap: Uint8Array | undefined;
  const encoded = e['skymap'];
  if (encoded !== undefined && encoded !== null) {
    if (typeof encoded !== 'string' || !BASE64.test(encoded)) problems.push('"event.skymap" must be base64 text');
    else skymap = new Uint8Array(Buffer.from(encoded, 'base64'));
  }
  if (problems.length > 0) return { kind: 'invalid', problem: problems.join('; ') };
  return {
    kind: 'lvk',
    alert: {
      ...base,
      event: {
        time: e['time'] as string,
        far: e['far'] as number,
        significant: typeof e['significant'] === 'boolean' ? e['significant'] : undefined,
        instruments: instruments as string[],
        group: typeof e['group'] === 'string' ? e['group'] : undefined,
        pipeline: e['pipeline'] as string,
        search: typeof e['search'] === 'string' ? e['search'] : undefined,
        skymap,
      },
    },
  };
}

function parseGraceDbMessage(o: Record<string, unknown>): AlertParse {
  const uid = o['uid'];
  if (typeof uid !== 'string') return { kind: 'invalid', problem: '"uid" must be a string' };
  const idProblem = supereventIdProblem(uid);
  if (idProblem !== undefined) return { kind: 'invalid', problem: `uid: ${idProblem}` };
  const object = o['object'];
  if (object === null || typeof object !== 'object' || Array.isArray(object)) return { kind: 'invalid', problem: '"object" must be a JSON object' };
  const obj = object as Record<string, unknown>;
  const data = o['data'] !== null && typeof o['data'] === 'object' && !Array.isArray(o['data']) ? (o['data'] as Record<string, unknown>) : {};
  const alertType = typeof o['alert_type'] === 'string' ? o['alert_type'] : '';
  const labelAdded = alertType === 'label_added' && typeof data['name'] === 'string' ? data['name'] : undefined;
  const labels = Array.isArray(obj['labels']) ? obj['labels'].filter((l): l is string => typeof l === 'string') : [];
  return {
    kind: 'gracedb-message',
    message: {
      uid,
      alertType,
      isSuperevent: typeof obj['superevent_id'] === 'string',
      labels: labelAdded !== undefined && !labels.includes(labelAdded) ? [...labels, labelAdded] : labels,
      labelAdded,
      category: typeof obj['category'] === 'string' ? obj['category'] : undefined,
      created: typeof data['created'] === 'string' ? data['created'] : typeof obj['created'] === 'string' ? obj['created'] : undefined,
    },
  };
}
