import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake I3Live `pfow_data` endpoint on 127.0.0.1 for tests: accepts the 3.5.1 form POST
 * (user, pass, varname, topic, timekey, start, stop), checks credentials, and answers with the
 * configured GFU records whose `eventtime` lies in [start, stop]. It can fail the first N requests
 * with HTTP 503 to exercise retries.
 */

export interface FakeI3LiveEvent {
  /** UTC, `YYYY-MM-DD HH:MM:SS.ffffff` (I3Live's format). */
  readonly eventtime: string;
  readonly ra: number;
  readonly dec: number;
  readonly sigma: number;
  readonly energy: number;
  readonly run_id?: number;
  readonly event_id?: number;
}

export interface FakeI3LiveOptions {
  readonly username?: string;
  readonly password?: string;
  readonly events?: readonly FakeI3LiveEvent[];
  /** Answer this many requests with HTTP 503 before serving. */
  readonly failFirst?: number;
  /** Raw body to send instead of the event list (e.g. malformed JSON). */
  readonly rawBody?: string;
}

export interface FakeI3Live {
  readonly url: string;
  readonly requests: Record<string, string>[];
  close(): Promise<void>;
}

function toMs(i3time: string): number {
  return Date.parse(`${i3time.replace(' ', 'T').slice(0, 23)}Z`);
}

export async function startFakeI3Live(options: FakeI3LiveOptions = {}): Promise<FakeI3Live> {
  const requests: Record<string, string>[] = [];
  let failuresLeft = options.failFirst ?? 0;
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    req.on('end', () => {
      const form = Object.fromEntries(new URLSearchParams(body));
      requests.push(form);
      if (req.method !== 'POST') {
        res.writeHead(405).end('POST only');
        return;
      }
      if (failuresLeft > 0) {
        failuresLeft--;
        res.writeHead(503).end('busy');
        return;
      }
      if (form['user'] !== (options.username ?? 'icecube') || form['pass'] !== (options.password ?? 'secret')) {
        res.writeHead(401).end('bad credentials');
        return;
      }
      if (options.rawBody !== undefined) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(options.rawBody);
        return;
      }
      const start = toMs(form['start'] ?? '');
      const stop = toMs(form['stop'] ?? '');
      const selected = (options.events ?? []).filter((e) => toMs(e.eventtime) >= start && toMs(e.eventtime) <= stop);
      const records = selected.map((e) => ({ topic: form['topic'], varname: form['varname'], value: { data: e } }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(records));
    });
  };
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/pfow_data/`,
    requests,
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}
