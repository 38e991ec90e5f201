import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
export const SKYMAP_FIXTURES = join(REPO, 'pipelines/llama/test-fixtures');
const BIN = join(REPO, 'packages/cli/bin/llama.js');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run the real CLI (build first: `npx tsc -b`). Never reaches the internet: GraceDB defaults to a dead local port. */
export function llama(args: readonly string[], env: Record<string, string> = {}, cwd = REPO, input?: string | Uint8Array): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      {
        cwd,
        env: { PATH: process.env['PATH'] ?? '', LLAMA_GRACEDB_URL: 'http://127.0.0.1:9/api/', LLAMA_GRACEDB_RETRIES: '0', ...env },
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(input);
  });
}

export async function tempDir(prefix: string): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
}

export const fixture = (name: string): string => join(FIXTURES, name);

/** A realistic O4 igwn.gwalert alert (userguide example shape) carrying `skymap` as base64. */
export function lvkAlert(options: {
  supereventId: string;
  alertType: string;
  skymap?: Uint8Array | null;
  far?: number;
  time?: string;
  group?: string;
  pipeline?: string;
}): string {
  return JSON.stringify({
    alert_type: options.alertType,
    time_created: '2026-01-03T22:10:30Z',
    superevent_id: options.supereventId,
    urls: { gracedb: `https://gracedb.ligo.org/superevents/${options.supereventId}/view/` },
    event: {
      time: options.time ?? '2026-01-03T22:10:00.500Z',
      far: options.far ?? 1.2e-9,
      significant: true,
      instruments: ['H1', 'L1', 'V1'],
      group: options.group ?? 'CBC',
      pipeline: options.pipeline ?? 'gstlal',
      search: 'MDC',
      properties: { HasNS: 1.0, HasRemnant: 1.0, HasMassGap: 0.0 },
      classification: { BNS: 0.95, NSBH: 0.01, BBH: 0.0, Terrestrial: 0.04 },
      duration: null,
      central_frequency: null,
      skymap: options.skymap === undefined || options.skymap === null ? null : Buffer.from(options.skymap).toString('base64'),
    },
    external_coinc: null,
  }, null, 2);
}
