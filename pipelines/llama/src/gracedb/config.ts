/**
 * GraceDB adapter configuration, read from the environment the engine was started with.
 *
 * | variable                          | meaning                                                  |
 * |-----------------------------------|----------------------------------------------------------|
 * | LLAMA_GRACEDB_URL                 | API base, default https://gracedb.ligo.org/api/; file:// for a mirror |
 * | LLAMA_GRACEDB_TOKEN               | bearer token (sent as `Authorization: Bearer …`)         |
 * | LLAMA_GRACEDB_CERT / _KEY         | PEM X.509 certificate and key files (client TLS auth)    |
 * | X509_USER_CERT / X509_USER_KEY    | fallback for the pair above (ligo-gracedb's names)       |
 * | X509_USER_PROXY                   | fallback: one PEM file holding both cert and key         |
 * | LLAMA_GRACEDB_CA                  | PEM CA bundle to trust instead of the system roots       |
 * | LLAMA_GRACEDB_RETRIES             | extra attempts after a 5xx, network error or timeout (3) |
 * | LLAMA_GRACEDB_RETRY_DELAY_MS      | first back-off delay, doubled per attempt (1000)         |
 * | LLAMA_GRACEDB_TIMEOUT_MS          | per-request timeout (15000)                              |
 */

export const DEFAULT_GRACEDB_URL = 'https://gracedb.ligo.org/api/';

export interface ClientCertificate {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface GraceDbConfig {
  /** Always ends with `/`. */
  readonly baseUrl: string;
  readonly token: string | undefined;
  readonly certificate: ClientCertificate | undefined;
  /** A PEM CA bundle that replaces the default trust roots (private GraceDB servers, tests). */
  readonly caFile: string | undefined;
  readonly retries: number;
  readonly retryDelayMs: number;
  readonly timeoutMs: number;
}

type Env = Readonly<Record<string, string | undefined>>;

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function integerSetting(env: Env, name: string, fallback: number): number {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`${name}=${JSON.stringify(raw)} must be a non-negative integer`);
  }
  return value;
}

/** Normalise a base URL so that relative paths resolve below it. */
export function normaliseBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch (cause) {
    throw new RangeError(`LLAMA_GRACEDB_URL=${JSON.stringify(raw)} is not a URL`, { cause });
  }
  if (!['http:', 'https:', 'file:'].includes(url.protocol)) {
    throw new RangeError(`LLAMA_GRACEDB_URL=${JSON.stringify(raw)}: only http, https and file URLs are supported`);
  }
  const text = url.href;
  return text.endsWith('/') ? text : `${text}/`;
}

export function graceDbConfigFromEnv(env: Env): GraceDbConfig {
  const certFile = nonEmpty(env['LLAMA_GRACEDB_CERT']) ?? nonEmpty(env['X509_USER_CERT']) ?? nonEmpty(env['X509_USER_PROXY']);
  const keyFile = nonEmpty(env['LLAMA_GRACEDB_KEY']) ?? nonEmpty(env['X509_USER_KEY']) ?? nonEmpty(env['X509_USER_PROXY']);
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new RangeError('LLAMA_GRACEDB_CERT and LLAMA_GRACEDB_KEY must be set together');
  }
  return {
    baseUrl: normaliseBaseUrl(nonEmpty(env['LLAMA_GRACEDB_URL']) ?? DEFAULT_GRACEDB_URL),
    token: nonEmpty(env['LLAMA_GRACEDB_TOKEN']),
    certificate: certFile !== undefined && keyFile !== undefined ? { certFile, keyFile } : undefined,
    caFile: nonEmpty(env['LLAMA_GRACEDB_CA']),
    retries: integerSetting(env, 'LLAMA_GRACEDB_RETRIES', 3),
    retryDelayMs: integerSetting(env, 'LLAMA_GRACEDB_RETRY_DELAY_MS', 1000),
    timeoutMs: integerSetting(env, 'LLAMA_GRACEDB_TIMEOUT_MS', 15_000),
  };
}
