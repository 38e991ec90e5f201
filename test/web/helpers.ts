import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLlama, tempHome, until as poll, writeFiles } from '../helpers/llama.js';

/** A small command pipeline: an externally placed input and two rules made from it. */
export const SPEC = {
  name: 'chain',
  rules: [
    { name: 'Raw', output: 'raw.dat', external: true },
    { name: 'Prep', output: 'prep.dat', inputs: ['Raw'], command: "grep -v '^#' raw.dat > prep.dat" },
    { name: 'Done', output: 'done.txt', inputs: ['Prep'], command: 'wc -l < prep.dat > done.txt' },
  ],
};

export const until = (check: () => boolean | Promise<boolean>, ms = 30_000): Promise<boolean> => poll(check, ms);

export function git(dir: string, args: readonly string[]): string {
  return execFileSync('git', args, { cwd: dir, encoding: 'utf8' });
}

/** A run with event S1 (raw.dat placed, committed) and the spec file. */
export function makeRun() {
  const home = tempHome('llama-web-');
  const spec = join(home.root, 'spec.json');
  writeFileSync(spec, JSON.stringify(SPEC));
  const eventDir = join(home.runDir, 'S1');
  writeFiles(eventDir, { 'raw.dat': '# header\na\nb\n', 'FLAGS.json': '{}\n' });
  git(eventDir, ['init', '-q']);
  git(eventDir, ['-c', 'user.name=t', '-c', 'user.email=t@t', 'add', '-A']);
  git(eventDir, ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'start']);
  return { ...home, spec, eventDir };
}

/** Start `llama serve` on a free port; resolves with its URL once it listens. */
export async function startServe(args: readonly string[], env: Record<string, string>) {
  const server = startLlama(['serve', ...args, '--port', '0'], { env: { ...env, LLAMA_DEV_MODE: '1' } });
  let url: string | undefined;
  const ok = await until(() => {
    url = /listening on (http:\/\/\S+)/.exec(server.output().stdout)?.[1];
    return url !== undefined || server.child.exitCode !== null;
  }, 30_000);
  if (!ok || url === undefined) {
    server.child.kill('SIGKILL');
    throw new Error(`llama serve did not start: ${server.output().stderr}`);
  }
  const stop = async (): Promise<void> => {
    if (server.child.exitCode === null) server.child.kill('SIGTERM');
    await server.exited;
  };
  return { url: url.replace(/\/$/, ''), child: server.child, exited: server.exited, output: server.output, stop };
}

/** The page's CSRF token (from its meta tag). */
export async function csrfOf(url: string, headers: Record<string, string> = {}): Promise<string> {
  const html = await (await fetch(url, { headers })).text();
  const token = /name="llama-csrf" content="([^"]+)"/.exec(html)?.[1];
  if (token === undefined) throw new Error(`no CSRF token in ${url}`);
  return token;
}

export function post(url: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json', ...headers },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });
}
