import { readFileSync, statSync } from 'node:fs';
import { ConfigError } from '@llama/core';

type Env = Readonly<Record<string, string | undefined>>;

/** OIDC client credentials (GCN) or a SCRAM user name and password (igwn-alert). */
export interface Credentials {
  readonly id: string;
  readonly secret: string;
  /** Where they came from, for messages (never the values). */
  readonly origin: string;
}

/**
 * Credentials from a file readable by its owner only (0600: they grant access to the broker),
 * else from the environment. The file is JSON `{"client_id": …, "client_secret": …}` (GCN) or
 * `{"username": …, "password": …}` (igwn-alert), or KEY=VALUE lines with the same keys.
 */
export function loadCredentials(file: string | undefined, env: Env, envNames: readonly [string, string]): Credentials | undefined {
  if (file !== undefined && file !== '') return fromFile(file);
  const [idName, secretName] = envNames;
  const id = env[idName];
  const secret = env[secretName];
  if ((id ?? '') === '' && (secret ?? '') === '') return undefined;
  if ((id ?? '') === '' || (secret ?? '') === '') throw new ConfigError(`set both ${idName} and ${secretName}, or neither`, { code: 'credentials' });
  return { id: id as string, secret: secret as string, origin: `$${idName}/$${secretName}` };
}

function fromFile(file: string): Credentials {
  let mode: number;
  let text: string;
  try {
    mode = statSync(file).mode;
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConfigError(`cannot read the credentials file ${file}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, { code: 'credentials' });
  }
  if ((mode & 0o077) !== 0) {
    throw new ConfigError(`the credentials file ${file} is readable by others (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); run chmod 600 ${file}`, { code: 'credentials' });
  }
  const values = parse(text);
  const id = values['client_id'] ?? values['username'];
  const secret = values['client_secret'] ?? values['password'];
  if (id === undefined || id === '' || secret === undefined || secret === '') {
    throw new ConfigError(`the credentials file ${file} must give client_id and client_secret (or username and password)`, { code: 'credentials' });
  }
  return { id, secret, origin: file };
}

function parse(text: string): Record<string, string> {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      const o = JSON.parse(trimmed) as Record<string, unknown>;
      return Object.fromEntries(Object.entries(o).filter((e): e is [string, string] => typeof e[1] === 'string'));
    } catch {
      return {};
    }
  }
  const out: Record<string, string> = {};
  for (const line of trimmed.split(/\r?\n/)) {
    const m = /^\s*([A-Za-z_]+)\s*[=:]\s*(.*?)\s*$/.exec(line);
    if (m !== null) out[(m[1] as string).toLowerCase()] = (m[2] as string).replace(/^(['"])(.*)\1$/, '$2');
  }
  return out;
}
