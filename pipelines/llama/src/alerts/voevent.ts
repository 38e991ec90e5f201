import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { isoToUnix } from '../time/gps.js';
import { NOTICE_TYPES, parseNoticeEventId, type NoticeType } from './event-id.js';

/**
 * LVK GCN VOEvents (science.md §2c): Preliminary (150), Initial (151), Update (152),
 * EarlyWarning (163), Retraction (164); role observation or test.
 */

export const LVK_IVORN_PREFIX = 'ivo://gwnet/LVC#';
const PACKET_TYPES: Readonly<Record<number, NoticeType>> = { 150: 'Preliminary', 151: 'Initial', 152: 'Update', 163: 'EarlyWarning', 164: 'Retraction' };

export interface LvkNotice {
  readonly ivorn: string;
  readonly role: string;
  readonly eventId: string;
  readonly graceId: string;
  readonly serial: number;
  readonly noticeType: NoticeType;
  readonly packetType: number | undefined;
  /** WhereWhen ISOTime: the GW event time (absent in retractions). */
  readonly eventTimeIso: string | undefined;
  /** Who/Date: when the notice was issued. */
  readonly noticeTimeIso: string | undefined;
  readonly far: number | undefined;
  readonly pipeline: string | undefined;
  readonly group: string | undefined;
  readonly instruments: string | undefined;
  readonly significant: boolean | undefined;
  /** The skymap URL (GW_SKYMAP/skymap_fits or a 3.5.1-era Param). */
  readonly skymapUrl: string | undefined;
  /** Cited IVORNs (a retraction cites the retracted notices). */
  readonly citations: readonly string[];
}

export type NoticeParse =
  | { readonly kind: 'lvk'; readonly notice: LvkNotice }
  | { readonly kind: 'not-lvk'; readonly reason: string }
  | { readonly kind: 'invalid'; readonly problem: string };

interface XmlParam {
  '@_name'?: string;
  '@_value'?: string;
}
interface XmlGroup {
  '@_name'?: string;
  '@_type'?: string;
  Param?: XmlParam[];
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  isArray: (name) => ['Param', 'Group', 'EventIVORN'].includes(name),
});

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value.trim();
  if (typeof value === 'number') return String(value);
  if (value !== null && typeof value === 'object' && '#text' in value) return text((value as { '#text': unknown })['#text']);
  return undefined;
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** Parse a VOEvent; only LVK notices become `lvk`, other missions are `not-lvk`. */
export function parseVoEvent(xml: string): NoticeParse {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) return { kind: 'invalid', problem: `malformed XML (line ${valid.err.line}: ${valid.err.msg})` };
  let doc: Record<string, unknown>;
  try {
    doc = record(parser.parse(xml));
  } catch (error) {
    return { kind: 'invalid', problem: `malformed XML (${error instanceof Error ? error.message : String(error)})` };
  }
  const root = record(doc['VOEvent']);
  if (Object.keys(root).length === 0) return { kind: 'invalid', problem: 'not a VOEvent (no <VOEvent> root element)' };
  const ivorn = text(root['@_ivorn']) ?? '';
  const role = text(root['@_role']) ?? '';

  const what = record(root['What']);
  const params = new Map<string, string>();
  const groups = (what['Group'] as XmlGroup[] | undefined) ?? [];
  for (const param of [...((what['Param'] as XmlParam[] | undefined) ?? []), ...groups.flatMap((g) => g.Param ?? [])]) {
    const name = param['@_name'];
    if (name !== undefined && !params.has(name)) params.set(name, (param['@_value'] ?? '').trim());
  }
  const packetType = params.has('Packet_Type') ? Number(params.get('Packet_Type')) : undefined;

  if (!ivorn.startsWith(LVK_IVORN_PREFIX)) {
    const mission = /^ivo:\/\/([^#]+)/.exec(ivorn)?.[1] ?? 'unknown origin';
    return { kind: 'not-lvk', reason: `not an LVK gravitational-wave notice (IVORN ${JSON.stringify(ivorn)}, from ${mission}${packetType !== undefined ? `, Packet_Type ${packetType}` : ''})` };
  }
  if (!['observation', 'test', 'utility'].includes(role)) {
    return { kind: 'invalid', problem: `VOEvent role ${JSON.stringify(role)} is not observation, test or utility` };
  }
  const fragment = ivorn.slice(LVK_IVORN_PREFIX.length);
  const otherType = /^[A-Za-z0-9]+-\d+-([A-Za-z]+)$/.exec(fragment)?.[1];
  if (otherType !== undefined && !NOTICE_TYPES.some((t) => t.toLowerCase() === otherType.toLowerCase())) {
    return { kind: 'not-lvk', reason: `an LVK ${otherType} notice, not a GW alert (IVORN ${JSON.stringify(ivorn)})` };
  }
  const parsedId = parseNoticeEventId(fragment);
  if (typeof parsedId === 'string') return { kind: 'invalid', problem: `IVORN ${JSON.stringify(ivorn)}: ${parsedId}` };

  const graceParam = params.get('GraceID');
  if (graceParam !== undefined && graceParam !== parsedId.graceId) {
    return { kind: 'invalid', problem: `GraceID Param ${JSON.stringify(graceParam)} does not match the IVORN ${JSON.stringify(ivorn)}` };
  }
  const alertTypeParam = params.get('AlertType');
  const fromParam = NOTICE_TYPES.find((t) => t.toLowerCase() === alertTypeParam?.toLowerCase());
  const fromPacket = packetType === undefined ? undefined : PACKET_TYPES[packetType];
  const noticeType = fromParam ?? fromPacket ?? parsedId.noticeType;
  if (noticeType !== parsedId.noticeType) {
    return { kind: 'invalid', problem: `notice type ${noticeType} does not match the IVORN ${JSON.stringify(ivorn)}` };
  }

  const whereWhen = record(root['WhereWhen']);
  const instant = record(record(record(record(record(whereWhen['ObsDataLocation'])['ObservationLocation'])['AstroCoords'])['Time'])['TimeInstant']);
  const eventTimeIso = text(instant['ISOTime']);
  const noticeTimeIso = text(record(root['Who'])['Date']);
  for (const [label, value] of [['WhereWhen ISOTime', eventTimeIso], ['Who/Date', noticeTimeIso]] as const) {
    if (value === undefined) continue;
    try {
      isoToUnix(value);
    } catch {
      return { kind: 'invalid', problem: `${label} ${JSON.stringify(value)} is not an ISO-8601 time` };
    }
  }
  const farText = params.get('FAR');
  const far = farText === undefined || farText === '' ? undefined : Number(farText);
  if (far !== undefined && !(Number.isFinite(far) && far >= 0)) return { kind: 'invalid', problem: `FAR ${JSON.stringify(farText)} is not a non-negative number` };
  const significantText = params.get('Significant');
  const skymapUrl = ['skymap_fits', 'skymap_fits_basic', 'SKYMAP_FITS_BASIC', 'SKYMAP_URL_FITS_BASIC']
    .map((name) => params.get(name))
    .find((v) => v !== undefined && v !== '');
  const citations = ((record(root['Citations'])['EventIVORN'] as unknown[] | undefined) ?? []).map(text).filter((c): c is string => c !== undefined);

  return {
    kind: 'lvk',
    notice: {
      ivorn,
      role,
      ...parsedId,
      noticeType,
      packetType,
      eventTimeIso,
      noticeTimeIso,
      far,
      pipeline: params.get('Pipeline') || undefined,
      group: params.get('Group') || undefined,
      instruments: params.get('Instruments') || undefined,
      significant: significantText === undefined ? undefined : significantText === '1' || significantText.toLowerCase() === 'true',
      skymapUrl,
      citations,
    },
  };
}

/** `name,version` from a GraceDB skymap URL (`…/files/bayestar.multiorder.fits,1`). */
export function skymapFilenameFromUrl(url: string): { filename: string } | { problem: string } {
  let last: string;
  try {
    last = decodeURIComponent(new URL(url).pathname.split('/').filter(Boolean).at(-1) ?? '');
  } catch {
    return { problem: `skymap URL ${JSON.stringify(url)} is not a URL` };
  }
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.+-]*,\d+$/.test(last) || last.includes('..')) {
    return { problem: `skymap URL ${JSON.stringify(url)} does not end in <file name>,<version>` };
  }
  return { filename: last };
}
