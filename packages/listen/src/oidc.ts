/**
 * GCN's OIDC client-credentials flow (what librdkafka's `sasl.oauthbearer.method=oidc` does for
 * gcn-kafka-python): POST grant_type=client_credentials with HTTP basic auth of the client id
 * and secret; cache the access token and fetch a new one before it expires.
 */

export class AuthError extends Error {
  override readonly name = 'AuthError';
}

export interface OidcOptions {
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scope?: string;
  readonly now?: () => number;
  /** Refresh this long before expiry, at most half the token's lifetime. */
  readonly refreshMarginMs?: number;
}

export interface BearerToken {
  readonly value: string;
  /** Unix ms. */
  readonly expiresAt: number;
}

export class OidcTokenProvider {
  readonly #options: OidcOptions;
  #current: BearerToken | undefined;
  #pending: Promise<BearerToken> | undefined;
  #refreshAt = 0;
  /** How many tokens were fetched (for logs and tests). */
  fetched = 0;

  constructor(options: OidcOptions) {
    this.#options = options;
  }

  /** A valid token: the cached one, or a fresh one when it is due for refresh. */
  async token(): Promise<BearerToken> {
    const now = (this.#options.now ?? Date.now)();
    if (this.#current !== undefined && now < this.#refreshAt) return this.#current;
    this.#pending ??= this.#fetch().finally(() => (this.#pending = undefined));
    return this.#pending;
  }

  async #fetch(): Promise<BearerToken> {
    const { tokenUrl, clientId, clientSecret, scope } = this.#options;
    const body = new URLSearchParams({ grant_type: 'client_credentials', ...(scope === undefined ? {} : { scope }) });
    let response: Response;
    try {
      response = await fetch(tokenUrl, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body,
        signal: AbortSignal.timeout(20_000),
      });
    } catch (cause) {
      throw new AuthError(`cannot reach the token endpoint ${tokenUrl}: ${(cause as Error).cause instanceof Error ? ((cause as Error).cause as Error).message : (cause as Error).message}`);
    }
    const text = await response.text();
    if (!response.ok) {
      throw new AuthError(`the token endpoint ${tokenUrl} refused the client credentials of client id ${clientId}: HTTP ${response.status} ${oauthError(text)}`.trim());
    }
    let parsed: { access_token?: unknown; expires_in?: unknown };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      throw new AuthError(`the token endpoint ${tokenUrl} answered with something other than JSON`);
    }
    if (typeof parsed.access_token !== 'string' || parsed.access_token === '') throw new AuthError(`the token endpoint ${tokenUrl} answered without an access_token`);
    const lifetimeMs = (typeof parsed.expires_in === 'number' && parsed.expires_in > 0 ? parsed.expires_in : 3600) * 1000;
    const now = (this.#options.now ?? Date.now)();
    const margin = Math.min(this.#options.refreshMarginMs ?? 60_000, lifetimeMs / 2);
    this.#current = { value: parsed.access_token, expiresAt: now + lifetimeMs };
    this.#refreshAt = now + lifetimeMs - margin;
    this.fetched++;
    return this.#current;
  }
}

/** The OAuth error code and description, never the body verbatim (it could echo a secret). */
function oauthError(text: string): string {
  try {
    const o = JSON.parse(text) as { error?: unknown; error_description?: unknown };
    return [o.error, o.error_description].filter((x): x is string => typeof x === 'string').join(': ').slice(0, 200);
  } catch {
    return '';
  }
}
