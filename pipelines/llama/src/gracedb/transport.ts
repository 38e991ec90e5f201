import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import type { ClientCertificate } from './config.js';

/** One HTTP GET; the client layers retries and error mapping on top. */
export interface HttpResponse {
  readonly status: number;
  readonly statusText: string;
  readonly body: Uint8Array;
}

export type HttpGet = (url: string, init: { headers: Record<string, string>; signal: AbortSignal }) => Promise<HttpResponse>;

/** The global fetch: everything except client-certificate authentication. */
export const fetchGet: HttpGet = async (url, { headers, signal }) => {
  const response = await fetch(url, { headers, signal, redirect: 'follow' });
  const body = new Uint8Array(await response.arrayBuffer());
  return { status: response.status, statusText: response.statusText, body };
};

/**
 * node:https with a client certificate. Node's global fetch cannot present one without the
 * undici package, so X.509 authentication takes this path.
 */
export function certificateGet(certificate: ClientCertificate): HttpGet {
  let material: Promise<{ cert: Buffer; key: Buffer }> | undefined;
  const load = async (): Promise<{ cert: Buffer; key: Buffer }> => {
    try {
      return { cert: await readFile(certificate.certFile), key: await readFile(certificate.keyFile) };
    } catch (cause) {
      throw new Error(`cannot read the GraceDB client certificate (${certificate.certFile}, ${certificate.keyFile})`, { cause });
    }
  };
  const get: HttpGet = async (url, { headers, signal }) => {
    material ??= load();
    const { cert, key } = await material;
    return new Promise<HttpResponse>((resolve, reject) => {
      const req = request(url, { method: 'GET', headers, cert, key, signal }, (res) => {
        const status = res.statusCode ?? 0;
        const location = res.headers.location;
        if (status >= 300 && status < 400 && location !== undefined) {
          res.resume();
          get(new URL(location, url).href, { headers, signal }).then(resolve, reject);
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => resolve({ status, statusText: res.statusMessage ?? '', body: new Uint8Array(Buffer.concat(chunks)) }));
      });
      req.on('error', reject);
      req.end();
    });
  };
  return get;
}
