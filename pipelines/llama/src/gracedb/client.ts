import { setTimeout as sleep } from 'node:timers/promises';
import type { GraceDbConfig } from './config.js';
import { GraceDbError, GraceDbNotFoundError } from './errors.js';
import { assertFileName, assertGraceId, isSupereventId } from './ids.js';
import { createMirrorBackend } from './mirror.js';
import { fetchGet, tlsGet, type HttpGet } from './transport.js';

/** One GraceDB log message (the fields llama reads; GraceDB sends more). */
export interface GraceDbLogEntry {
  readonly N?: number;
  readonly comment?: string;
  readonly created?: string;
  readonly filename?: string;
  readonly file_version?: number | null;
  readonly [key: string]: unknown;
}

export type JsonObject = Record<string, unknown>;

/** Where the objects come from: the REST API or a file:// mirror. */
export interface GraceDbBackend {
  /** `kind/id/` (resource 'object'), `kind/id/logs/`, `kind/id/files/` parsed as JSON. */
  json(kind: ObjectKind, id: string, resource: 'object' | 'logs' | 'files'): Promise<unknown>;
  /** `kind/id/files/name[,version]`. */
  file(kind: ObjectKind, id: string, fileSpec: string): Promise<Uint8Array>;
  /** The URL a request would use, for messages. */
  url(kind: ObjectKind, id: string, tail: string): string;
}

export type ObjectKind = 'superevents' | 'events';

export interface GraceDbClient {
  readonly baseUrl: string;
  superevent(id: string): Promise<JsonObject>;
  event(graceId: string): Promise<JsonObject>;
  /** File name → download URL, for a superevent or an event. */
  files(graceId: string): Promise<Record<string, string>>;
  /** File bytes; `version` selects `name,version`, else the newest. */
  file(graceId: string, name: string, version?: number): Promise<Uint8Array>;
  logs(graceId: string): Promise<GraceDbLogEntry[]>;
  /** The preferred event's JSON of a superevent, or the event itself for an event id. */
  preferredEvent(graceId: string): Promise<JsonObject>;
  /** The URL of an object, for messages. */
  urlOf(graceId: string, tail?: string): string;
}

export interface ClientOptions {
  /** Aborts every request and back-off (pass the rule's ctx.signal). */
  readonly signal?: AbortSignal;
  /** Replace the transport (tests). */
  readonly httpGet?: HttpGet;
  /** Told about each retry. */
  readonly onRetry?: (message: string) => void;
}

function kindOf(graceId: string): ObjectKind {
  assertGraceId(graceId);
  return isSupereventId(graceId) ? 'superevents' : 'events';
}

function asObject(value: unknown, what: string, url: string): JsonObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new GraceDbError(`${what} from ${url} is not a JSON object`, { url });
  }
  return value as JsonObject;
}

function parseJson(body: Uint8Array, url: string): unknown {
  const text = new TextDecoder().decode(body);
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new GraceDbError(`GraceDB answered ${url} with invalid JSON (${text.slice(0, 60).replace(/\s+/g, ' ')}…)`, { url, cause });
  }
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

/** The REST API over HTTP(S): retries 5xx, network errors and timeouts with doubling back-off. */
export function createHttpBackend(config: GraceDbConfig, options: ClientOptions = {}): GraceDbBackend {
  const get = options.httpGet ?? (config.certificate !== undefined || config.caFile !== undefined ? tlsGet(config) : fetchGet);
  const headers: Record<string, string> = { accept: 'application/json, */*' };
  if (config.token !== undefined) headers['authorization'] = `Bearer ${config.token}`;
  const outer = options.signal;

  const url = (kind: ObjectKind, id: string, tail: string): string =>
    new URL(`${kind}/${encodeURIComponent(id)}/${tail}`, config.baseUrl).href;

  async function getBytes(target: string): Promise<Uint8Array> {
    const attempts = config.retries + 1;
    let lastProblem = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      outer?.throwIfAborted();
      const timeout = AbortSignal.timeout(config.timeoutMs);
      const signal = outer === undefined ? timeout : AbortSignal.any([outer, timeout]);
      try {
        const response = await get(target, { headers, signal });
        if (response.status >= 200 && response.status < 300) return response.body;
        const detail = new TextDecoder().decode(response.body.subarray(0, 200)).replace(/\s+/g, ' ').trim();
        const problem = `HTTP ${response.status} ${response.statusText}`.trim() + (detail === '' ? '' : `: ${detail}`);
        if (response.status === 404) {
          throw new GraceDbNotFoundError(`GraceDB has no ${target} (${problem})`, { url: target, status: 404 });
        }
        if (response.status < 500) {
          throw new GraceDbError(`GraceDB refused ${target} (${problem})`, { url: target, status: response.status });
        }
        lastProblem = problem;
      } catch (error) {
        if (error instanceof GraceDbError) throw error;
        if (outer?.aborted === true) throw error;
        lastProblem = isAbort(error)
          ? `no answer within ${config.timeoutMs} ms`
          : `${error instanceof Error ? error.message : String(error)}${error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : ''}`;
      }
      if (attempt < attempts) {
        const delay = config.retryDelayMs * 2 ** (attempt - 1);
        options.onRetry?.(`GET ${target} failed (${lastProblem}); retry ${attempt}/${config.retries} in ${delay} ms`);
        await sleep(delay, undefined, outer === undefined ? undefined : { signal: outer });
      }
    }
    throw new GraceDbError(`GraceDB did not serve ${target} after ${attempts} attempt(s): ${lastProblem}`, { url: target });
  }

  return {
    url,
    async json(kind, id, resource) {
      const target = url(kind, id, resource === 'object' ? '' : `${resource}/`);
      return parseJson(await getBytes(target), target);
    },
    async file(kind, id, fileSpec) {
      return getBytes(url(kind, id, `files/${encodeURIComponent(fileSpec).replaceAll('%2C', ',')}`));
    },
  };
}

export function createGraceDbClient(config: GraceDbConfig, options: ClientOptions = {}): GraceDbClient {
  const backend = config.baseUrl.startsWith('file:')
    ? createMirrorBackend(config.baseUrl)
    : createHttpBackend(config, options);

  async function object(kind: ObjectKind, id: string): Promise<JsonObject> {
    return asObject(await backend.json(kind, id, 'object'), kind === 'superevents' ? 'superevent' : 'event', backend.url(kind, id, ''));
  }

  const client: GraceDbClient = {
    baseUrl: config.baseUrl,
    urlOf: (graceId, tail = '') => backend.url(kindOf(graceId), graceId, tail),
    superevent: async (id) => {
      if (!isSupereventId(id)) throw new RangeError(`${JSON.stringify(id)} is not a superevent id`);
      return object('superevents', id);
    },
    event: async (graceId) => {
      if (kindOf(graceId) !== 'events') throw new RangeError(`${JSON.stringify(graceId)} is not a GraceDB event id`);
      return object('events', graceId);
    },
    async files(graceId) {
      const kind = kindOf(graceId);
      const listing = asObject(await backend.json(kind, graceId, 'files'), 'file list', backend.url(kind, graceId, 'files/'));
      const result: Record<string, string> = {};
      for (const [name, link] of Object.entries(listing)) if (typeof link === 'string') result[name] = link;
      return result;
    },
    async file(graceId, name, version) {
      assertFileName(name);
      return backend.file(kindOf(graceId), graceId, version === undefined ? name : `${name},${version}`);
    },
    async logs(graceId) {
      const kind = kindOf(graceId);
      const raw = await backend.json(kind, graceId, 'logs');
      const list = Array.isArray(raw) ? raw : (raw as { log?: unknown } | null)?.log;
      if (!Array.isArray(list)) {
        throw new GraceDbError(`log list from ${backend.url(kind, graceId, 'logs/')} has no "log" array`, { url: backend.url(kind, graceId, 'logs/') });
      }
      return list.filter((entry): entry is GraceDbLogEntry => entry !== null && typeof entry === 'object');
    },
    async preferredEvent(graceId) {
      if (!isSupereventId(graceId)) return client.event(graceId);
      const superevent = await client.superevent(graceId);
      const preferred = superevent['preferred_event'];
      if (typeof preferred !== 'string') {
        const where = backend.url('superevents', graceId, '');
        throw new GraceDbError(`superevent ${graceId} (${where}) names no preferred_event`, { url: where });
      }
      return client.event(preferred);
    },
  };
  return client;
}

/** The newest version of `name` listed in a log (undefined when the log never mentions it). */
export function newestLoggedVersion(logs: readonly GraceDbLogEntry[], name: string): number | undefined {
  let newest: number | undefined;
  for (const entry of logs) {
    if (entry.filename === name && typeof entry.file_version === 'number') {
      newest = newest === undefined ? entry.file_version : Math.max(newest, entry.file_version);
    }
  }
  return newest;
}

export function logListsVersion(logs: readonly GraceDbLogEntry[], name: string, version: number): boolean {
  return logs.some((entry) => entry.filename === name && entry.file_version === version);
}
