/**
 * A fake GraceDB REST API on 127.0.0.1, serving fixture superevents, events, logs and files,
 * with injectable faults (5xx, stalls, corrupt bodies). `writeGraceDbMirror` writes the same
 * data in the file:// mirror layout, so one fixture serves both transports.
 *
 * Reusable by any test: `const gdb = await startFakeGraceDb(data); … env LLAMA_GRACEDB_URL=gdb.url`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface FakeLogEntry {
  readonly N?: number;
  readonly comment?: string;
  readonly created?: string;
  readonly filename?: string;
  readonly file_version?: number | null;
  readonly [key: string]: unknown;
}

export interface FakeObject {
  /** The object's JSON (superevent or event), as GraceDB returns it. */
  readonly json: Record<string, unknown>;
  /** The log; default: one entry per versioned file, in version order. */
  readonly logs?: readonly FakeLogEntry[];
  /** Files by `name,version` (or plain `name` for unversioned files). */
  readonly files?: Readonly<Record<string, Uint8Array | string>>;
}

export interface FakeGraceDbData {
  readonly superevents?: Readonly<Record<string, FakeObject>>;
  readonly events?: Readonly<Record<string, FakeObject>>;
}

export interface Fault {
  /** Requests whose path (below /api/) contains this string, or matches this pattern. */
  readonly match: string | RegExp;
  /** How many matching requests are affected (default: all). */
  times?: number;
  /** Answer with this status (e.g. 503). */
  readonly status?: number;
  /** Wait this long before answering (a stall when longer than the client timeout). */
  readonly delayMs?: number;
  /** Answer 200 with this body instead of the real one (a corrupt download). */
  readonly body?: Uint8Array | string;
}

export interface FakeGraceDb {
  /** API base URL, ending in `/api/`. */
  readonly url: string;
  /** Every request path below /api/, in arrival order. */
  readonly requests: string[];
  /** Authorization headers seen, in arrival order. */
  readonly authorizations: (string | undefined)[];
  addFault(fault: Fault): void;
  clearFaults(): void;
  close(): Promise<void>;
}

function splitVersion(entry: string): { name: string; version: number | undefined } {
  const comma = entry.lastIndexOf(',');
  if (comma < 0) return { name: entry, version: undefined };
  const version = Number(entry.slice(comma + 1));
  return Number.isInteger(version) ? { name: entry.slice(0, comma), version } : { name: entry, version: undefined };
}

function resolveFile(files: Readonly<Record<string, Uint8Array | string>>, spec: string): Uint8Array | string | undefined {
  if (Object.hasOwn(files, spec)) return files[spec];
  const { name, version } = splitVersion(spec);
  if (version !== undefined) return undefined;
  let best: { version: number; body: Uint8Array | string } | undefined;
  for (const [entry, body] of Object.entries(files)) {
    const parsed = splitVersion(entry);
    if (parsed.name === name && parsed.version !== undefined && (best === undefined || parsed.version > best.version)) {
      best = { version: parsed.version, body };
    }
  }
  return best?.body;
}

export function synthesiseLogs(object: FakeObject): FakeLogEntry[] {
  if (object.logs !== undefined) return [...object.logs];
  const versioned = Object.keys(object.files ?? {})
    .map((entry) => splitVersion(entry))
    .filter((f): f is { name: string; version: number } => f.version !== undefined)
    .sort((a, b) => a.version - b.version || a.name.localeCompare(b.name));
  return versioned.map((f, i) => ({ N: i + 1, comment: `uploaded ${f.name}`, filename: f.name, file_version: f.version }));
}

export interface FakeTlsOptions {
  /** Server key and certificate (PEM). */
  readonly key: string | Buffer;
  readonly cert: string | Buffer;
  /** When given, clients must present a certificate signed by (or equal to) this one. */
  readonly clientCa?: string | Buffer;
}

export async function startFakeGraceDb(data: FakeGraceDbData, options: { token?: string; tls?: FakeTlsOptions } = {}): Promise<FakeGraceDb> {
  const requests: string[] = [];
  const authorizations: (string | undefined)[] = [];
  let faults: Fault[] = [];
  let base = '';

  const send = (res: ServerResponse, status: number, body: Uint8Array | string, type = 'application/json'): void => {
    res.writeHead(status, { 'content-type': type });
    res.end(body);
  };
  const json = (res: ServerResponse, value: unknown): void => send(res, 200, JSON.stringify(value));
  const notFound = (res: ServerResponse, what: string): void => send(res, 404, JSON.stringify({ detail: `Not found: ${what}` }));

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (!path.startsWith('/api/')) return notFound(res, path);
    const rel = path.slice('/api/'.length);
    requests.push(rel);
    authorizations.push(req.headers.authorization);
    const fault = faults.find((f) => (f.times ?? Infinity) > 0 && (typeof f.match === 'string' ? rel.includes(f.match) : f.match.test(rel)));
    if (fault !== undefined) {
      if (fault.times !== undefined) fault.times -= 1;
      if (fault.delayMs !== undefined) await new Promise((r) => setTimeout(r, fault.delayMs));
      if (fault.status !== undefined) return send(res, fault.status, JSON.stringify({ detail: `injected ${fault.status}` }));
      if (fault.body !== undefined) return send(res, 200, fault.body, 'application/octet-stream');
    }
    if (options.token !== undefined && req.headers.authorization !== `Bearer ${options.token}`) {
      return send(res, 403, JSON.stringify({ detail: 'Authentication credentials were not provided.' }));
    }
    const match = /^(superevents|events)\/([^/]+)\/(?:(logs|files)\/(?:([^/]+))?)?$/.exec(rel);
    if (match === null) return notFound(res, rel);
    const [, kind, id, resource, fileSpec] = match as unknown as [string, 'superevents' | 'events', string, string | undefined, string | undefined];
    const object = data[kind]?.[id];
    if (object === undefined) return notFound(res, `${kind} ${id}`);
    if (resource === undefined) return json(res, object.json);
    if (resource === 'logs') return json(res, { numRows: synthesiseLogs(object).length, log: synthesiseLogs(object) });
    const files = object.files ?? {};
    if (fileSpec === undefined) {
      const listing: Record<string, string> = {};
      for (const entry of Object.keys(files)) {
        listing[entry] = `${base}${kind}/${id}/files/${encodeURIComponent(entry)}`;
        const { name } = splitVersion(entry);
        listing[name] ??= `${base}${kind}/${id}/files/${encodeURIComponent(name)}`;
      }
      return json(res, listing);
    }
    const body = resolveFile(files, fileSpec);
    if (body === undefined) return notFound(res, `file ${fileSpec}`);
    return send(res, 200, body, 'application/octet-stream');
  };

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((error: unknown) => send(res, 500, JSON.stringify({ detail: String(error) })));
  };
  const tls = options.tls;
  const server =
    tls === undefined
      ? createServer(listener)
      : createTlsServer(
          { key: tls.key, cert: tls.cert, ...(tls.clientCa === undefined ? {} : { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true }) },
          listener,
        );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${(server.address() as AddressInfo).port}/api/`;
  return {
    url: base,
    requests,
    authorizations,
    addFault: (fault) => {
      faults.push({ ...fault });
    },
    clearFaults: () => {
      faults = [];
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
      }),
  };
}

/** Write fixture data in the file:// mirror layout (pipelines/llama/README.md). */
export async function writeGraceDbMirror(root: string, data: FakeGraceDbData, options: { withLogs?: boolean } = {}): Promise<void> {
  for (const kind of ['superevents', 'events'] as const) {
    for (const [id, object] of Object.entries(data[kind] ?? {})) {
      const dir = join(root, kind, id);
      await mkdir(join(dir, 'files'), { recursive: true });
      await writeFile(join(dir, kind === 'superevents' ? 'superevent.json' : 'event.json'), JSON.stringify(object.json, null, 2) + '\n');
      if (options.withLogs ?? object.logs !== undefined) {
        await writeFile(join(dir, 'logs.json'), JSON.stringify({ log: synthesiseLogs(object) }, null, 2) + '\n');
      }
      for (const [entry, body] of Object.entries(object.files ?? {})) await writeFile(join(dir, 'files', entry), body);
    }
  }
}

export interface SupereventFixture {
  readonly supereventId: string;
  readonly preferredEvent: string;
  readonly gpstime: number;
  readonly far: number;
  readonly pipeline: string;
  readonly instruments?: string;
  /** Skymap files by `name,version`. */
  readonly skymaps: Readonly<Record<string, Uint8Array>>;
  readonly pAstro?: Readonly<Record<string, number>>;
  readonly offline?: boolean;
  readonly category?: string;
}

/** A realistic superevent + preferred event pair (GraceDB API field names). */
export function supereventFixture(f: SupereventFixture): FakeGraceDbData {
  const instruments = f.instruments ?? 'H1,L1,V1';
  const event = {
    graceid: f.preferredEvent,
    submitter: 'gstlal_online',
    created: '2026-01-03 12:00:05 UTC',
    group: 'CBC',
    pipeline: f.pipeline,
    search: 'AllSky',
    gpstime: f.gpstime,
    far: f.far,
    far_is_upper_limit: false,
    instruments,
    nevents: 3,
    offline: f.offline ?? false,
    likelihood: 80.5,
    labels: ['SKYMAP_READY', 'EMBRIGHT_READY', 'PASTRO_READY'],
    superevent: f.supereventId,
    extra_attributes: {
      CoincInspiral: { snr: 14.2, mchirp: 1.19, mass: 2.8, combined_far: f.far, ifos: instruments, end_time: Math.floor(f.gpstime) },
      SingleInspiral: instruments.split(',').map((ifo) => ({ ifo, snr: 8.2, chisq: 1.1, mass1: 1.5, mass2: 1.3 })),
    },
  };
  const files: Record<string, Uint8Array | string> = { ...f.skymaps };
  if (f.pAstro !== undefined) files['p_astro.json,0'] = JSON.stringify(f.pAstro);
  return {
    superevents: {
      [f.supereventId]: {
        json: {
          superevent_id: f.supereventId,
          category: f.category ?? (f.supereventId.startsWith('MS') ? 'MDC' : 'Production'),
          created: '2026-01-03 12:00:06 UTC',
          preferred_event: f.preferredEvent,
          t_start: f.gpstime - 1,
          t_0: f.gpstime,
          t_end: f.gpstime + 1,
          far: f.far,
          labels: ['SKYMAP_READY', 'EMBRIGHT_READY', 'PASTRO_READY', 'GCN_PRELIM_SENT'],
          preferred_event_data: event,
        },
        files,
      },
    },
    events: { [f.preferredEvent]: { json: event } },
  };
}

/** Merge several fixtures into one data set. */
export function mergeFixtures(...parts: FakeGraceDbData[]): FakeGraceDbData {
  return {
    superevents: Object.assign({}, ...parts.map((p) => p.superevents ?? {})) as Record<string, FakeObject>,
    events: Object.assign({}, ...parts.map((p) => p.events ?? {})) as Record<string, FakeObject>,
  };
}
