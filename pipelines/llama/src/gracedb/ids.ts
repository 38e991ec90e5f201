/** GraceDB identifiers and file names, checked before they become URL or mirror path segments. */

/** Superevents: S190425z, MS181101ab (mock), TS…/GS… (test/playground). */
const SUPEREVENT_ID = /^[A-Z]{1,2}\d{6}[a-z]{1,3}$/;
/** Events: G330564, M…, T…, E…, H…, D… */
const EVENT_ID = /^[A-Z]\d+$/;
/** `bayestar.multiorder.fits` or `bayestar.multiorder.fits,1`. */
const FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.+-]*(?:,\d+)?$/;

export function isSupereventId(id: string): boolean {
  return SUPEREVENT_ID.test(id);
}

export function isEventId(id: string): boolean {
  return EVENT_ID.test(id);
}

/** Any id GraceDB could have assigned: a superevent or an event. */
export function isGraceId(id: string): boolean {
  return isSupereventId(id) || isEventId(id);
}

export function assertGraceId(id: string): void {
  if (!isGraceId(id)) throw new RangeError(`${JSON.stringify(id)} is not a GraceDB superevent or event id`);
}

export function assertFileName(name: string): void {
  if (!FILE_NAME.test(name) || name.includes('..')) {
    throw new RangeError(`${JSON.stringify(name)} is not a GraceDB file name`);
  }
}

/** Split `name,version` (the version is optional). */
export function splitFileVersion(spec: string): { name: string; version: number | undefined } {
  const comma = spec.lastIndexOf(',');
  if (comma < 0) return { name: spec, version: undefined };
  const version = Number(spec.slice(comma + 1));
  if (!Number.isInteger(version) || version < 0) throw new RangeError(`bad file version in ${JSON.stringify(spec)}`);
  return { name: spec.slice(0, comma), version };
}
