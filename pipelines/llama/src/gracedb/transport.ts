import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import type { ClientCertificate } from './config.js';
import { GraceDbError } from './errors.js';

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

interface TlsMaterial {
  cert?: Buffer;
  key?: Buffer;
  ca?: Buffer;
}

/**
 * node:https with a client certificate and/or a private CA bundle. Node's global fetch cannot
 * use either without the undici package, so X.509 authentication takes this path.
 */
export function tlsGet(options: { certificate?: ClientCertificate | undefined; caFile?: string | undefined }): HttpGet {
  let material: Promise<TlsMaterial> | undefined;
  const load = async (): Promise<TlsMaterial> => {
    const tls: TlsMaterial = {};
    const { certificate, caFile } = options;
    try {
      if (certificate !== undefined) {
        tls.cert = await readFile(certificate.certFile);
        tls.key = await readFile(certificate.keyFile);
      }
    } catch (cause) {
      throw new Error(`cannot read the GraceDB client certificate (${certificate?.certFile}, ${certificate?.keyFile})`, { cause });
    }
    try {
      if (caFile !== undefined) tls.ca = await readFile(caFile);
    } catch (cause) {
      throw new Error(`cannot read the GraceDB CA bundle ${caFile}`, { cause });
    }
    return tls;
  };
  const get: HttpGet = async (url, { headers, signal }) => {
    material ??= load();
    let tls: TlsMaterial;
    try {
      tls = await material;
    } catch (cause) {
      // A configuration problem: never retried.
      throw new GraceDbError(`${(cause as Error).message} for ${url}`, { url, cause });
    }
    if (!url.startsWith('https:')) return fetchGet(url, { headers, signal });
    return new Promise<HttpResponse>((resolve, reject) => {
      const req = request(url, { method: 'GET', headers, ...tls, signal }, (res) => {
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
