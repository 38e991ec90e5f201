import { basename } from 'node:path';

type Env = Readonly<Record<string, string | undefined>>;

const DEFAULT_GRACEDB_WEB_URL = 'https://gracedb.ligo.org/';

function webBase(env: Env): string {
  const base = env['LLAMA_GRACEDB_WEB_URL']?.trim() || DEFAULT_GRACEDB_WEB_URL;
  return base.endsWith('/') ? base : `${base}/`;
}

/** Superevents (S…, MS…, TS…) and plain events (G…, M…) live under different GraceDB pages. */
function isSuperevent(graceid: string): boolean {
  return /^[A-Z]?S\d/.test(graceid);
}

/** The human GraceDB page of an event (3.5.1 `gracedb_url`). */
export function gracedbEventUrl(graceid: string, env: Env): string {
  const kind = isSuperevent(graceid) ? 'superevents' : 'events';
  return `${webBase(env)}${kind}/${encodeURIComponent(graceid)}/view/`;
}

/** The browser download URL of a skymap, `name,version` as in SkymapInfo (3.5.1 `human_url`). */
export function gracedbSkymapUrl(graceid: string, skymapFilename: string, env: Env): string {
  const kind = isSuperevent(graceid) ? 'superevents' : 'events';
  return `${webBase(env)}apiweb/${kind}/${encodeURIComponent(graceid)}/files/${encodeURIComponent(skymapFilename).replace(/%2C/g, ',')}`;
}

/**
 * The LLAMA GUI page of an event: `LLAMA_GUI_URL` (or `https://$LLAMA_DOMAIN`) followed by the run
 * directory's name and the event id; undefined when neither is configured.
 */
export function llamaEventUrl(runDir: string, eventId: string, env: Env): string | undefined {
  const configured = env['LLAMA_GUI_URL']?.trim() || (env['LLAMA_DOMAIN']?.trim() ? `https://${env['LLAMA_DOMAIN']?.trim()}` : '');
  if (configured === '') return undefined;
  const base = configured.endsWith('/') ? configured : `${configured}/`;
  return `${base}${encodeURIComponent(basename(runDir))}/${encodeURIComponent(eventId)}`;
}
