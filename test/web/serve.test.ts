import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { llama } from '../helpers/llama.js';
import { csrfOf, git, makeRun, post, startServe, until } from './helpers.js';

/** A request sent exactly as written (fetch would resolve `..` segments itself). */
function raw(base: string, path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method: options.method ?? 'GET', headers: options.headers ?? {} }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('llama serve: every route, every refusal', () => {
  let run: ReturnType<typeof makeRun>;
  let server: Awaited<ReturnType<typeof startServe>>;
  let outside: string;

  beforeAll(async () => {
    run = makeRun();
    // Things that must never be served: a secret outside the run, reached through links.
    outside = join(run.root, 'secret.txt');
    writeFileSync(outside, 'TOP SECRET\n');
    symlinkSync(outside, join(run.eventDir, 'link.txt'));
    mkdirSync(join(run.root, 'elsewhere'));
    writeFileSync(join(run.root, 'elsewhere', 'raw.dat'), 'TOP SECRET\n');
    symlinkSync(join(run.root, 'elsewhere'), join(run.runDir, 'S9'));
    server = await startServe([`${run.runDir}/`, '--rules', run.spec], run.env);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('serves the runs, events, event, file, raw, download, status, static and live routes', async () => {
    const runs = await fetch(`${server.url}/`);
    expect(runs.status).toBe(200);
    expect(runs.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await runs.text()).toContain('href="/run/"');

    const events = await (await fetch(`${server.url}/run/`)).text();
    expect(events).toContain('data-event="S1"');
    expect(await (await fetch(`${server.url}/run/?glob=X*`)).text()).not.toContain('data-event="S1"');
    expect(await (await fetch(`${server.url}/run/?state=to-run`)).text()).toContain('data-event="S1"');
    expect((await fetch(`${server.url}/run/?state=bogus`)).status).toBe(400);
    expect((await fetch(`${server.url}/run`, { redirect: 'manual' })).status).toBe(301);

    const event = await (await fetch(`${server.url}/run/S1`)).text();
    expect(event).toContain('<svg');
    expect(event).toMatch(/data-rule="Prep" data-state="to-run"/);
    expect(event).toContain('id="flag-form"');

    const row = await (await fetch(`${server.url}/run/S1/row`)).text();
    expect(row).toMatch(/^<tr data-event="S1">/);

    const file = await (await fetch(`${server.url}/run/S1/files/raw.dat`)).text();
    expect(file).toContain('# header');
    expect(file).toContain('id="versions"');
    const missing = await fetch(`${server.url}/run/S1/files/prep.dat`);
    expect(missing.status).toBe(200);
    expect(await missing.text()).toContain('does not exist yet');

    const rawFile = await fetch(`${server.url}/run/S1/raw/raw.dat`);
    expect(await rawFile.text()).toBe('# header\na\nb\n');
    expect(rawFile.headers.get('content-security-policy')).toContain('sandbox');

    const head = git(run.eventDir, ['log', '-n1', '--format=%h', '--abbrev=7']).trim();
    const download = await fetch(`${server.url}/run/S1/download/raw.dat`);
    expect(download.headers.get('content-disposition')).toContain(`filename="S1-v1-${head}-raw.dat"`);
    const fullHash = git(run.eventDir, ['log', '-n1', '--format=%H']).trim();
    expect(await (await fetch(`${server.url}/run/S1/raw/raw.dat?v=${fullHash}`)).text()).toBe('# header\na\nb\n');

    const status = (await (await fetch(`${server.url}/run/S1/status.json`)).json()) as { schema: string; events: { rules: { rule: string; state: string }[] }[] };
    expect(status.schema).toBe('llama.status/1');
    expect(status.events[0]?.rules.find((r) => r.rule === 'Prep')?.state).toBe('to-run');

    expect((await fetch(`${server.url}/_static/app.js`)).headers.get('content-type')).toContain('javascript');
    expect((await fetch(`${server.url}/_static/app.css`)).headers.get('content-type')).toContain('css');

    const controller = new AbortController();
    const sse = await fetch(`${server.url}/_events`, { signal: controller.signal });
    expect(sse.headers.get('content-type')).toBe('text/event-stream');
    const reader = (sse.body as ReadableStream<Uint8Array>).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('llama live updates');
    controller.abort();
  });

  it('refuses traversal, links out of the run, hidden files and hostile ids on every route', async () => {
    const hostile = ['.git', '.tmp.d', '..%2F..%2Fetc', '%2e%2e%2F%2e%2e', '%2Fetc%2Fpasswd', 'S1%00', 'a'.repeat(300), '%E0%A4%A'];
    for (const id of hostile) {
      for (const path of [`/run/${id}`, `/run/${id}/row`, `/run/${id}/files/raw.dat`, `/run/${id}/raw/raw.dat`, `/run/${id}/download/raw.dat`, `/run/${id}/status.json`]) {
        const res = await raw(server.url, path);
        expect([400, 404], `${path} -> ${res.status}`).toContain(res.status);
        expect(res.body).not.toContain('TOP SECRET');
      }
      const action = await raw(server.url, `/run/${id}/actions/veto`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'rule=Prep' });
      expect([400, 403, 404]).toContain(action.status);
    }
    for (const name of ['..%2F..%2Fsecret.txt', '%2E%2E%2Fsecret.txt', '.git', '.raw.dat.metadata.json', '%2Fetc%2Fpasswd', 'raw.dat%00']) {
      for (const kind of ['files', 'raw', 'download']) {
        const res = await raw(server.url, `/run/S1/${kind}/${name}`);
        expect([400, 403, 404], `${kind}/${name} -> ${res.status}`).toContain(res.status);
        expect(res.body).not.toContain('TOP SECRET');
        expect(res.body).not.toContain('root:');
      }
    }
    // Plain `..` segments (resolved by the server's URL parser) land on other routes, never outside.
    for (const path of ['/run/S1/files/../../../secret.txt', '/run/S1/raw/../../../../etc/passwd', '/../../etc/passwd', '/run/..', '/run/%2e%2e/raw/secret.txt', '/run/S1/raw/%2e%2e', '/run/S1/files/..']) {
      const res = await raw(server.url, path);
      expect(res.body).not.toContain('TOP SECRET');
      expect(res.body).not.toContain('root:');
    }
    // A file that is a link (to outside the run) and an event directory that is a link out.
    for (const kind of ['files', 'raw', 'download']) {
      const res = await raw(server.url, `/run/S1/${kind}/link.txt`);
      expect(res.status).toBe(403);
      expect(res.body).not.toContain('TOP SECRET');
    }
    const linkedEvent = await raw(server.url, '/run/S9/raw/raw.dat');
    expect(linkedEvent.status).toBe(403);
    expect(linkedEvent.body).not.toContain('TOP SECRET');
    // Commits are hex only: no option or revision expression reaches git.
    for (const v of ['--output=/tmp/x', 'HEAD', 'HEAD~1:../secret.txt', '$(id)']) {
      const res = await raw(server.url, `/run/S1/raw/raw.dat?v=${encodeURIComponent(v)}`);
      expect(res.status).toBe(400);
    }
    expect((await raw(server.url, '/nope/')).status).toBe(404);
  });

  it('refuses actions without the CSRF token, GET actions, cross-origin posts and foreign Host names', async () => {
    const actions = ['flags', 'veto', 'unveto', 'lock', 'unlock', 'clear-cooldown', 'clear-intent', 'clear-event-lock', 'regenerate'];
    for (const action of actions) {
      const res = await post(`${server.url}/run/S1/actions/${action}`, { rule: 'Prep', VETOED: 'true' });
      expect(res.status, action).toBe(403);
      expect(((await res.json()) as { message: string }).message).toContain('CSRF');
      const wrong = await post(`${server.url}/run/S1/actions/${action}`, { rule: 'Prep', csrf: 'x'.repeat(32) });
      expect(wrong.status).toBe(403);
    }
    const upload = await fetch(`${server.url}/run/S1/actions/upload?rule=Raw`, { method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body: 'evil' });
    expect(upload.status).toBe(403);
    expect(readFileSync(join(run.eventDir, 'raw.dat'), 'utf8')).toBe('# header\na\nb\n');
    expect(existsSync(join(run.eventDir, '.prep.dat.veto.json'))).toBe(false);
    expect(JSON.parse(readFileSync(join(run.eventDir, 'FLAGS.json'), 'utf8'))).toEqual({});

    expect((await fetch(`${server.url}/run/S1/actions/veto`)).status).toBe(405);
    expect((await fetch(`${server.url}/run/S1`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${server.url}/run/S1`, { method: 'DELETE' })).status).toBe(405);

    const csrf = await csrfOf(`${server.url}/run/S1`);
    const crossSite = await post(`${server.url}/run/S1/actions/veto`, { rule: 'Prep', csrf }, { Origin: 'http://evil.example' });
    expect(crossSite.status).toBe(403);
    const rebound = await raw(server.url, '/run/S1', { headers: { Host: 'evil.example' } });
    expect(rebound.status).toBe(421);
    expect(rebound.body).not.toContain('llama-csrf');
    const unknownRule = await post(`${server.url}/run/S1/actions/veto`, { rule: '../../x', csrf });
    expect(unknownRule.status).toBe(400);
    expect((await post(`${server.url}/run/S1/actions/nope`, { csrf })).status).toBe(404);
  });

  it('performs each action with the token, as its command does, committed with 3.5.1 messages', async () => {
    const csrf = await csrfOf(`${server.url}/run/S1`);
    const act = async (action: string, fields: Record<string, string> = {}): Promise<Response> => post(`${server.url}/run/S1/actions/${action}`, { csrf, ...fields });
    const lastCommit = (): string => git(run.eventDir, ['log', '-n1', '--format=%s']).trim();

    expect((await act('veto', { rule: 'Done' })).status).toBe(200);
    expect(existsSync(join(run.eventDir, '.done.txt.veto.json'))).toBe(true);
    expect(lastCommit()).toBe('From GUI: Permanently vetoed Done');
    expect(((await (await fetch(`${server.url}/run/S1/status.json`)).json()) as { events: { rules: { rule: string; state: string }[] }[] }).events[0]?.rules.find((r) => r.rule === 'Done')?.state).toBe('vetoed');
    expect((await act('unveto', { rule: 'Done' })).status).toBe(200);
    expect(existsSync(join(run.eventDir, '.done.txt.veto.json'))).toBe(false);
    expect(lastCommit()).toBe('From GUI: Removed permanent veto on Done');
    expect((await act('unveto', { rule: 'Done' })).status).toBe(409);

    expect((await act('lock', { rule: 'Raw' })).status).toBe(200);
    expect(existsSync(join(run.eventDir, '.raw.dat.lock'))).toBe(true);
    expect(lastCommit()).toBe('Manually locked Raw from browser.');
    expect((await act('unlock', { rule: 'Raw' })).status).toBe(200);
    expect(lastCommit()).toBe('Manually unlocked Raw from browser.');

    writeFileSync(join(run.eventDir, '.prep.dat.cooldown.json'), JSON.stringify({ num_attempts: 2, last_attempt: new Date().toISOString(), last_error: 'exit code 1' }));
    const page = await (await fetch(`${server.url}/run/S1`)).text();
    expect(page).toContain('exit code 1');
    expect(page).toMatch(/data-rule="Prep" data-state="cooling-down"/);
    expect((await act('clear-cooldown', { rule: 'Prep' })).status).toBe(200);
    expect(existsSync(join(run.eventDir, '.prep.dat.cooldown.json'))).toBe(false);
    expect(lastCommit()).toBe('From GUI: Deleted cooldown file for Prep');

    // An intent of a live process is refused; one of a dead process is removed.
    writeFileSync(join(run.eventDir, '.prep.dat.intent.json'), JSON.stringify({ expiry: Date.now() / 1000 + 600, pid: process.pid }));
    expect((await act('clear-intent', { rule: 'Prep' })).status).toBe(409);
    writeFileSync(join(run.eventDir, '.prep.dat.intent.json'), JSON.stringify({ expiry: Date.now() / 1000 + 600, pid: 2 ** 22 + 12345 }));
    expect((await act('clear-intent', { rule: 'Prep' })).status).toBe(200);
    expect(existsSync(join(run.eventDir, '.prep.dat.intent.json'))).toBe(false);
    expect(lastCommit()).toBe('From GUI: Deleted intent file for Prep');

    mkdirSync(join(run.eventDir, '.tmp.d'), { recursive: true });
    writeFileSync(join(run.eventDir, '.tmp.d', 'EVENTLOCK'), JSON.stringify({ pid: 2 ** 22 + 12345, host: (await import('node:os')).hostname(), time: Date.now() }));
    expect((await act('clear-event-lock')).status).toBe(200);
    expect(existsSync(join(run.eventDir, '.tmp.d', 'EVENTLOCK'))).toBe(false);

    expect((await act('flags', { preset: 'RERUN', UPLOAD: 'false' })).status).toBe(200);
    expect(JSON.parse(readFileSync(join(run.eventDir, 'FLAGS.json'), 'utf8'))['ROLE']).toBe('observation');
    expect(lastCommit()).toBe('From GUI: Set flags RERUN');
    const bad = await act('flags', { flags: 'UPLOAD=maybe' });
    expect(bad.status).toBe(400);
    expect(JSON.parse(readFileSync(join(run.eventDir, 'FLAGS.json'), 'utf8'))['UPLOAD']).toBe('false');

    const upload = await fetch(`${server.url}/run/S1/actions/upload?rule=Raw`, { method: 'POST', headers: { 'Content-Type': 'application/octet-stream', 'X-Llama-CSRF': csrf, Accept: 'application/json' }, body: '# new\nx\n' });
    expect(upload.status).toBe(200);
    expect(readFileSync(join(run.eventDir, 'raw.dat'), 'utf8')).toBe('# new\nx\n');
    expect(lastCommit()).toBe('Manually uploaded raw.dat from browser.');

    // Regenerating the whole event runs `llama run EVENTDIR -o -F --force`: every rule is made.
    const regenerate = await act('regenerate');
    expect(regenerate.status).toBe(202);
    expect(((await regenerate.json()) as { message: string }).message).toContain('llama run EVENTDIR -o -F --force');
    expect(await until(() => existsSync(join(run.eventDir, 'done.txt')), 60_000)).toBe(true);
    expect(readFileSync(join(run.eventDir, 'prep.dat'), 'utf8')).toBe('x\n');
    expect(await until(() => git(run.eventDir, ['log', '--format=%s']).includes('Done regenerating Done.'), 30_000)).toBe(true);
  });
});

describe('llama serve refuses to start unsafely', () => {
  it('binding beyond loopback needs --auth; the auth file must be 0600; requests need the credentials', async () => {
    const run = makeRun();
    const open = await llama(['serve', `${run.runDir}/`, '--rules', run.spec, '--bind', '0.0.0.0', '--port', '0'], { env: run.env });
    expect(open.code).toBe(2);
    expect(open.stderr.trim().split('\n')).toHaveLength(1);
    expect(open.stderr).toContain('requires --auth FILE');

    const auth = join(run.root, 'auth');
    writeFileSync(auth, 'token-0123456789\n');
    chmodSync(auth, 0o644);
    const loose = await llama(['serve', `${run.runDir}/`, '--rules', run.spec, '--bind', '0.0.0.0', '--auth', auth, '--port', '0'], { env: run.env });
    expect(loose.code).toBe(2);
    expect(loose.stderr).toContain('chmod 600');
    const absent = await llama(['serve', `${run.runDir}/`, '--rules', run.spec, '--auth', join(run.root, 'none'), '--port', '0'], { env: run.env });
    expect(absent.code).toBe(2);
    expect(absent.stderr).toContain('cannot be read');

    chmodSync(auth, 0o600);
    const server = await startServe([`${run.runDir}/`, '--rules', run.spec, '--auth', auth], run.env);
    try {
      const denied = await fetch(`${server.url}/run/S1`);
      expect(denied.status).toBe(401);
      expect(denied.headers.get('www-authenticate')).toContain('Basic');
      expect(await denied.text()).not.toContain('llama-csrf');
      expect((await fetch(`${server.url}/run/S1`, { headers: { Authorization: `Basic ${Buffer.from('x:wrong-token').toString('base64')}` } })).status).toBe(401);
      expect((await fetch(`${server.url}/run/S1`, { headers: { Authorization: `Basic ${Buffer.from('anyone:token-0123456789').toString('base64')}` } })).status).toBe(200);
      expect((await fetch(`${server.url}/run/S1`, { headers: { Authorization: 'Bearer token-0123456789' } })).status).toBe(200);
      const noAuthPost = await post(`${server.url}/run/S1/actions/veto`, { rule: 'Prep' });
      expect(noAuthPost.status).toBe(401);
    } finally {
      await server.stop();
    }
  });

  it('a missing run directory is one line and exit 2', async () => {
    const run = makeRun();
    const result = await llama(['serve', join(run.root, 'nope') + '/', '--rules', run.spec, '--port', '0'], { env: run.env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^llama: run directory .*nope does not exist\n$/);
  });

  it('answers to --allowed-host names, and stops on SIGTERM with exit 0', async () => {
    const run = makeRun();
    const server = await startServe([`${run.runDir}/`, '--rules', run.spec, '--allowed-host', 'llama.example.org'], run.env);
    expect((await fetch(`${server.url}/`)).status).toBe(200);
    expect((await raw(server.url, '/run/S1', { headers: { Host: 'llama.example.org' } })).status).toBe(200);
    expect((await raw(server.url, '/run/S1', { headers: { Host: 'other.example.org' } })).status).toBe(421);
    server.child.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
    expect(await until(() => server.child.exitCode !== null)).toBe(true);
  });
});
