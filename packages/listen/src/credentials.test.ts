import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@llama/core';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCredentials } from './credentials.js';

const dir = mkdtempSync(join(tmpdir(), 'llama-creds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const NAMES = ['GCN_CLIENT_ID', 'GCN_CLIENT_SECRET'] as const;

function file(name: string, text: string, mode: number): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

describe('loadCredentials', () => {
  it('reads a 0600 JSON or KEY=VALUE file', () => {
    expect(loadCredentials(file('a.json', '{"client_id": "id1", "client_secret": "sec1"}', 0o600), {}, NAMES)).toMatchObject({ id: 'id1', secret: 'sec1' });
    expect(loadCredentials(file('b.env', 'username = "alice"\npassword=pw\n', 0o600), {}, NAMES)).toMatchObject({ id: 'alice', secret: 'pw' });
  });

  it('refuses a file others can read, naming the file and the fix, not the secret', () => {
    const path = file('open.json', '{"client_id": "id1", "client_secret": "sec1"}', 0o644);
    expect(() => loadCredentials(path, {}, NAMES)).toThrow(ConfigError);
    expect(() => loadCredentials(path, {}, NAMES)).toThrow(`the credentials file ${path} is readable by others (mode 0644); run chmod 600 ${path}`);
  });

  it('takes both variables from the environment, or neither', () => {
    expect(loadCredentials(undefined, { GCN_CLIENT_ID: 'i', GCN_CLIENT_SECRET: 's' }, NAMES)).toMatchObject({ id: 'i', secret: 's', origin: '$GCN_CLIENT_ID/$GCN_CLIENT_SECRET' });
    expect(loadCredentials(undefined, {}, NAMES)).toBeUndefined();
    expect(() => loadCredentials(undefined, { GCN_CLIENT_ID: 'i' }, NAMES)).toThrow('set both GCN_CLIENT_ID and GCN_CLIENT_SECRET, or neither');
  });
});
