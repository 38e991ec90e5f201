import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const LLAMA_BIN = join(REPO, 'packages', 'cli', 'bin', 'llama.js');

/** Poll `check` every `everyMs` until it holds or `ms` pass; its last answer. */
export async function until(check: () => boolean | Promise<boolean>, ms = 60_000, everyMs = 50): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(everyMs);
  }
  return check();
}

export interface LlamaResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A temp home for one test: output dir, cache dir and a run directory. */
export function tempHome(prefix = 'llama-e2e-') {
  const root = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  const env = {
    LLAMA_OUTPUT_DIR: join(root, 'out'),
    LLAMA_CACHEDIR: join(root, 'cache'),
    LLAMA_DEV_MODE: '1',
    HOME: root,
  };
  const runDir = join(root, 'run');
  mkdirSync(runDir, { recursive: true });
  return { root, env, runDir };
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
}

/** Run the real CLI. */
export function llama(args: readonly string[], options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<LlamaResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [LLAMA_BIN, ...args], {
      cwd: options.cwd ?? REPO,
      env: { ...process.env, LLAMA_DEV_MODE: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', fail);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stdout, stderr });
    });
  });
}

/** Start the CLI and return the child (for daemons and signals). */
export function startLlama(args: readonly string[], options: { env?: Record<string, string>; cwd?: string } = {}) {
  const child = spawn(process.execPath, [LLAMA_BIN, ...args], {
    cwd: options.cwd ?? REPO,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on('close', (code, signal) => done({ code, signal })));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

export const SKYMAP_INFO = JSON.stringify({
  event_time_iso: '2019-08-14T21:10:39.013',
  graceid: 'S190814bv',
  far: 2.033e-33,
  notice_time_iso: '2019-08-14T21:31:00',
  pipeline: 'LALINFERENCE',
  skymap_filename: 'bayestar.fits.gz,0',
  alert_type: 'manual',
});
