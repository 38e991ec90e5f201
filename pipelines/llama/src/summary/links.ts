import { basename } from 'node:path';

type Env = Readonly<Record<string, string | undefined>>;

const DEFAULT_GRACEDB_WEB_URL = 'https://gracedb.ligo.org/';

/**
 * The GraceDB web site the event's pages live on, or undefined when there is none to link to:
 * `LLAMA_GRACEDB_WEB_URL` when set; else the site of the API in `LLAMA_GRACEDB_URL` (its base
 * without the trailing `api/`); else the public GraceDB. Events read from a `file://` mirror (mock
 * and replayed events) have no web page: linking them to the public GraceDB would point at
 * nothing, or at another event of the same name.
 */
function webBase(env: Env): string | undefined {
  const explicit = env['LLAMA_GRACEDB_WEB_URL']?.trim();
  if (explicit) return explicit.endsWith('/') ? explicit : `${explicit}/`;
  const api = env['LLAMA_GRACEDB_URL']?.trim();
  if (!api) return DEFAULT_GRACEDB_WEB_URL;
  let url: URL;
  try {
    url = new URL(api.endsWith('/') ? api : `${api}/`);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  return url.pathname.endsWith('/api/') ? new URL('../', url).href : undefined;
}

/** Superevents (S…, MS…, TS…) and plain events (G…, M…) live under different GraceDB pages. */
function isSuperevent(graceid: string): boolean {
  return /^[A-Z]?S\d/.test(graceid);
}

/** The human GraceDB page of an event (3.5.1 `gracedb_url`); undefined when it has none. */
export function gracedbEventUrl(graceid: string, env: Env): string | undefined {
  const base = webBase(env);
  if (base === undefined) return undefined;
  const kind = isSuperevent(graceid) ? 'superevents' : 'events';
  return `${base}${kind}/${encodeURIComponent(graceid)}/view/`;
}

/** The browser download URL of a skymap, `name,version` as in SkymapInfo (3.5.1 `human_url`); undefined when it has none. */
export function gracedbSkymapUrl(graceid: string, skymapFilename: string, env: Env): string | undefined {
  const base = webBase(env);
  if (base === undefined) return undefined;
  const kind = isSuperevent(graceid) ? 'superevents' : 'events';
  return `${base}apiweb/${kind}/${encodeURIComponent(graceid)}/files/${encodeURIComponent(skymapFilename).replace(/%2C/g, ',')}`;
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
