import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuthError, OidcTokenProvider } from './oidc.js';

/** A fake OIDC token endpoint on 127.0.0.1 (GCN's is https://auth.gcn.nasa.gov/oauth2/token). */
interface Seen {
  authorization: string | undefined;
  contentType: string | undefined;
  body: URLSearchParams;
}
let server: Server;
let url: string;
let seen: Seen[];
let answer: { status: number; body: unknown };
beforeEach(async () => {
  seen = [];
  answer = { status: 200, body: { access_token: 'token-1', token_type: 'Bearer', expires_in: 3600 } };
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => {
      seen.push({ authorization: req.headers.authorization, contentType: req.headers['content-type'], body: new URLSearchParams(text) });
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth2/token`;
});
afterEach(async () => new Promise<void>((r) => server.close(() => r())));

describe('OidcTokenProvider (client-credentials flow)', () => {
  it('posts grant_type=client_credentials with HTTP basic auth, and caches the token until shortly before it expires', async () => {
    let now = 1_000_000;
    const provider = new OidcTokenProvider({ tokenUrl: url, clientId: 'my-client', clientSecret: 's3cret:with/odd&chars', now: () => now });
    const first = await provider.token();
    expect(first).toEqual({ value: 'token-1', expiresAt: 1_000_000 + 3_600_000 });
    expect(seen).toHaveLength(1);
    const basic = Buffer.from((seen[0]?.authorization ?? '').replace(/^Basic /, ''), 'base64').toString();
    // RFC 6749 §2.3.1: id and secret are form-urlencoded before the basic-auth join.
    expect(basic).toBe(`my-client:${encodeURIComponent('s3cret:with/odd&chars')}`);
    expect(seen[0]?.contentType).toBe('application/x-www-form-urlencoded');
    expect(seen[0]?.body.get('grant_type')).toBe('client_credentials');

    now += 3_600_000 - 61_000; // still more than the 60 s margin left: cached
    expect((await provider.token()).value).toBe('token-1');
    expect(seen).toHaveLength(1);
    answer = { status: 200, body: { access_token: 'token-2', expires_in: 3600 } };
    now += 2_000; // inside the margin: refreshed before it expires
    expect((await provider.token()).value).toBe('token-2');
    expect(seen).toHaveLength(2);
    expect(provider.fetched).toBe(2);
  });

  it('asks once for concurrent callers', async () => {
    const provider = new OidcTokenProvider({ tokenUrl: url, clientId: 'c', clientSecret: 's' });
    const tokens = await Promise.all([provider.token(), provider.token(), provider.token()]);
    expect(tokens.map((t) => t.value)).toEqual(['token-1', 'token-1', 'token-1']);
    expect(seen).toHaveLength(1);
  });

  it('refreshes a short-lived token at half its lifetime at the latest', async () => {
    let now = 0;
    answer = { status: 200, body: { access_token: 'short', expires_in: 60 } };
    const provider = new OidcTokenProvider({ tokenUrl: url, clientId: 'c', clientSecret: 's', now: () => now });
    await provider.token();
    now = 29_000;
    await provider.token();
    expect(seen).toHaveLength(1);
    now = 30_000;
    await provider.token();
    expect(seen).toHaveLength(2);
  });

  it('a refusal is an AuthError naming the endpoint, the client id and the OAuth error, never the secret', async () => {
    answer = { status: 401, body: { error: 'invalid_client', error_description: 'bad secret s3cret' } };
    const provider = new OidcTokenProvider({ tokenUrl: url, clientId: 'my-client', clientSecret: 'hunter2' });
    const error = await provider.token().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect((error as Error).message).toContain(url);
    expect((error as Error).message).toContain('my-client');
    expect((error as Error).message).toContain('HTTP 401 invalid_client');
    expect((error as Error).message).not.toContain('hunter2');
  });

  it('an answer without access_token, or an unreachable endpoint, is an AuthError', async () => {
    answer = { status: 200, body: { token_type: 'Bearer' } };
    await expect(new OidcTokenProvider({ tokenUrl: url, clientId: 'c', clientSecret: 's' }).token()).rejects.toThrow(/without an access_token/);
    await expect(new OidcTokenProvider({ tokenUrl: 'http://127.0.0.1:9/oauth2/token', clientId: 'c', clientSecret: 's' }).token()).rejects.toThrow(/cannot reach the token endpoint http:\/\/127\.0\.0\.1:9/);
  });
});
