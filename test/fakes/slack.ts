/**
 * A fake Slack Web API on 127.0.0.1 for tests. It serves what `@slack/web-api`'s files.uploadV2
 * needs (files.getUploadURLExternal → POST to the returned upload URL → files.completeUploadExternal)
 * plus conversations.list and auth.test, and records every call. Faults can be scripted per method.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCall {
  /** Web API method (`files.getUploadURLExternal`) or `upload` for the upload URL. */
  readonly method: string;
  readonly path: string;
  /** The bearer token sent, if any (tests assert it is never logged elsewhere). */
  readonly token: string | undefined;
  /** Form fields (url-encoded or multipart text fields). */
  readonly params: Readonly<Record<string, string>>;
  /** The uploaded bytes, for `upload` calls. */
  readonly file?: Buffer;
  readonly at: number;
}

export interface UploadedFile {
  readonly id: string;
  readonly filename: string;
  readonly length: number;
  bytes?: Buffer;
  completed: boolean;
  channelId?: string;
  title?: string;
  initialComment?: string;
}

/** A scripted answer replacing the normal one for the next `times` calls of a method. */
export interface Fault {
  readonly status?: number;
  readonly body?: unknown;
  readonly retryAfter?: number | string;
  /** Close the connection without answering. */
  readonly hangUp?: boolean;
  times?: number;
}

export interface FakeSlackOptions {
  /** Tokens the fake accepts; any other gets `invalid_auth`. */
  readonly tokens: readonly string[];
  /** Channels known to the workspace: name → ID. */
  readonly channels?: Readonly<Record<string, string>>;
}

export interface FakeSlack {
  /** Base URL to give as SLACK_API_URL (ends with `/api/`). */
  readonly apiUrl: string;
  readonly calls: RecordedCall[];
  readonly files: Map<string, UploadedFile>;
  /** Script a fault for a method (`files.completeUploadExternal`, `upload`, …). */
  fail(method: string, fault: Fault): void;
  /** Completed uploads, in order. */
  completedUploads(): UploadedFile[];
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function parseFields(req: IncomingMessage, body: Buffer): Promise<{ params: Record<string, string>; file?: Buffer }> {
  const type = req.headers['content-type'] ?? '';
  const params: Record<string, string> = {};
  if (type.startsWith('multipart/form-data')) {
    const form = await new Request('http://fake.invalid/', { method: 'POST', headers: { 'content-type': type }, body }).formData();
    let file: Buffer | undefined;
    for (const [key, value] of form.entries()) {
      if (typeof value === 'string') params[key] = value;
      else file = Buffer.from(await value.arrayBuffer());
    }
    return file === undefined ? { params } : { params, file };
  }
  if (type.startsWith('application/x-www-form-urlencoded')) {
    for (const [key, value] of new URLSearchParams(body.toString('utf8'))) params[key] = value;
    return { params };
  }
  if (type.startsWith('application/json') && body.length > 0) {
    for (const [key, value] of Object.entries(JSON.parse(body.toString('utf8')) as Record<string, unknown>)) {
      params[key] = typeof value === 'string' ? value : JSON.stringify(value);
    }
    return { params };
  }
  return body.length > 0 ? { params, file: body } : { params };
}

export async function startFakeSlack(options: FakeSlackOptions): Promise<FakeSlack> {
  const channels = options.channels ?? { 'llama-uploads': 'C0LLAMAUP1', roc: 'C0ROCROC01', realtime: 'C0REALTIM1' };
  const calls: RecordedCall[] = [];
  const files = new Map<string, UploadedFile>();
  const faults = new Map<string, Fault[]>();
  let nextFile = 1;
  let baseUrl = '';

  const server: Server = createServer(async (req, res) => {
    const body = await readBody(req);
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length) : undefined;
    const method = path.startsWith('/upload/') ? 'upload' : path.replace(/^\/api\//, '');
    const { params, file } = await parseFields(req, body);
    calls.push({ method, path, token: token ?? params['token'], params, ...(file ? { file } : {}), at: Date.now() });

    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(typeof payload === 'string' ? payload : JSON.stringify(payload));
    };

    const queue = faults.get(method);
    const fault = queue?.[0];
    if (fault !== undefined) {
      fault.times = (fault.times ?? 1) - 1;
      if (fault.times <= 0) queue?.shift();
      if (fault.hangUp) {
        req.socket.destroy();
        return;
      }
      const headers: Record<string, string> = fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) };
      send(fault.status ?? 200, fault.body ?? { ok: false, error: 'scripted_failure' }, headers);
      return;
    }

    if (method === 'upload') {
      const id = path.slice('/upload/'.length);
      const entry = files.get(id);
      if (entry === undefined) return send(404, 'no such upload');
      entry.bytes = file ?? Buffer.alloc(0);
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`OK - ${entry.bytes.length}`);
      return;
    }
    const effectiveToken = token ?? params['token'];
    if (effectiveToken === undefined) return send(200, { ok: false, error: 'not_authed' });
    if (!options.tokens.includes(effectiveToken)) return send(200, { ok: false, error: 'invalid_auth' });

    switch (method) {
      case 'auth.test':
        return send(200, { ok: true, team: 'fake', user: 'llama-bot' });
      case 'conversations.list':
        return send(200, { ok: true, channels: Object.entries(channels).map(([name, id]) => ({ id, name })), response_metadata: { next_cursor: '' } });
      case 'files.getUploadURLExternal': {
        const length = Number(params['length']);
        if (!params['filename'] || !Number.isInteger(length) || length <= 0) return send(200, { ok: false, error: 'invalid_arguments' });
        const id = `F${String(nextFile++).padStart(9, '0')}`;
        files.set(id, { id, filename: params['filename'], length, completed: false });
        return send(200, { ok: true, upload_url: `${baseUrl}/upload/${id}`, file_id: id });
      }
      case 'files.completeUploadExternal': {
        const list = JSON.parse(params['files'] ?? '[]') as { id: string; title?: string }[];
        const channelId = params['channel_id'];
        if (channelId !== undefined && !Object.values(channels).includes(channelId)) return send(200, { ok: false, error: 'channel_not_found' });
        const done = [];
        for (const { id, title } of list) {
          const entry = files.get(id);
          if (entry === undefined || entry.bytes === undefined) return send(200, { ok: false, error: 'file_not_found' });
          if (entry.bytes.length !== entry.length) return send(200, { ok: false, error: 'file_size_mismatch' });
          entry.completed = true;
          if (channelId !== undefined) entry.channelId = channelId;
          if (title !== undefined) entry.title = title;
          if (params['initial_comment'] !== undefined) entry.initialComment = params['initial_comment'];
          done.push({ id, name: entry.filename, title: title ?? entry.filename, size: entry.length, channels: channelId ? [channelId] : [] });
        }
        return send(200, { ok: true, files: done });
      }
      default:
        return send(200, { ok: false, error: 'unknown_method' });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;
  return {
    apiUrl: `${baseUrl}/api/`,
    calls,
    files,
    fail(method, fault) {
      const queue = faults.get(method) ?? [];
      queue.push({ ...fault, times: fault.times ?? 1 });
      faults.set(method, queue);
    },
    completedUploads: () => [...files.values()].filter((f) => f.completed),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
