import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { basename, extname } from 'node:path';
import {
  ACTION_COMMANDS,
  ConfigError,
  FLAG_NAMES,
  FROM_GUI,
  MAX_UPLOAD_BYTES,
  clearCooldown,
  clearEventLock,
  clearIntent,
  lock,
  replaceFile,
  ruleOf,
  setFlags,
  unlock,
  unveto,
  veto,
  type ActionName,
  type ActionResult,
  RULE_STATES,
  discoverEvents,
  eventStatus,
  runStatus,
  statusDocument,
  type EventRef,
  type EventStatus,
  type HashCache,
  type Pipeline,
} from '@llama/core';
import { STATE_COLOURS } from './dag.js';
import { history, showVersion } from './git.js';
import { APP_JS, css, page } from './html.js';
import { eventPage, eventRow, eventsPage, filePage, missingFilePage, runsPage, eventHref, runHref } from './pages.js';
import { checkCommit, checkFileName, Refused, resolveEvent, resolveFile, type ServedRun } from './safe.js';
import { RunWatcher, type Change } from './watch.js';

/** Who may use a server bound beyond loopback: a token, or basic-auth credentials. */
export type AuthSpec = { readonly kind: 'token'; readonly token: string } | { readonly kind: 'basic'; readonly user: string; readonly password: string };

export interface ServeOptions {
  /** Run directories and their event globs (the URL name of each is its basename). */
  readonly runs: readonly { readonly dir: string; readonly glob: string }[];
  readonly pipeline: Pipeline;
  readonly cache: HashCache;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 8080; 0 picks a free port. */
  readonly port?: number;
  /** Required when `host` is not a loopback address. */
  readonly auth?: AuthSpec;
  /** More Host header values to accept (e.g. the name of a reverse proxy in LLAMA_GUI_URL). */
  readonly allowedHosts?: readonly string[];
  readonly pValue?: (event: EventRef) => number | null | undefined;
  /** The column a rule is counted in on the events page. */
  readonly groupOf?: (rule: string) => string;
  /** Regenerate one rule (or, without one, the whole event), as `llama run EVENTDIR -o -F [-f RULE] --force` does. */
  readonly regenerate?: (event: EventRef, rule: string | undefined) => Promise<{ readonly code: number; readonly output: string }>;
  /** Commit actions to the event's git history (LLAMA_VERSIONING). */
  readonly versioning: boolean;
  readonly log?: (line: string) => void;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Read an `--auth` file: one line, `user:password` (basic auth) or a bare token (basic auth with
 * any user name and the token as password, or `Authorization: Bearer TOKEN`). The file must be
 * readable by its owner only (mode 0600 or stricter).
 */
export function loadAuthFile(path: string): AuthSpec {
  let stat;
  try {
    stat = statSync(path);
  } catch (error) {
    throw new ConfigError(`--auth ${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { code: 'auth' });
  }
  if ((stat.mode & 0o077) !== 0) {
    throw new ConfigError(`--auth ${path}: permissions ${(stat.mode & 0o777).toString(8)} let others read it; chmod 600 ${path}`, { code: 'auth' });
  }
  const line = readFileSync(path, 'utf8').split('\n').map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('#'));
  if (line === undefined || line.length < 8) throw new ConfigError(`--auth ${path}: no credentials (a token of at least 8 characters, or user:password)`, { code: 'auth' });
  const colon = line.indexOf(':');
  if (colon > 0) {
    const password = line.slice(colon + 1);
    if (password.length < 8) throw new ConfigError(`--auth ${path}: the password is shorter than 8 characters`, { code: 'auth' });
    return { kind: 'basic', user: line.slice(0, colon), password };
  }
  return { kind: 'token', token: line };
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function authorized(auth: AuthSpec, header: string | undefined): boolean {
  if (header === undefined) return false;
  if (header.startsWith('Bearer ')) return auth.kind === 'token' && same(header.slice(7).trim(), auth.token);
  if (!header.startsWith('Basic ')) return false;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  const user = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  return auth.kind === 'token' ? same(password, auth.token) : same(user, auth.user) && same(password, auth.password);
}

/** Content types for raw files; anything else is served as bytes to download, never as HTML. */
const RAW_TYPES: Readonly<Record<string, string>> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.pdf': 'application/pdf',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.tex': 'text/plain; charset=utf-8',
  '.xml': 'text/plain; charset=utf-8',
  '.csv': 'text/plain; charset=utf-8',
  '.log': 'text/plain; charset=utf-8',
};

function globRegExp(glob: string): RegExp {
  let re = '';
  for (const c of glob) re += c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${re}$`);
}

function originHost(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined; // "null" (a sandboxed or file page) or garbage
  }
}

/** Rejected with a status and a message; the one kind of error a handler answers. */
function refuse(message: string, status: number): never {
  throw new Refused(message, status);
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) refuse(`the request body is larger than ${limit} bytes`, 413);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Start the server; resolves once it listens. */
export async function serve(options: ServeOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host) && options.auth === undefined) {
    throw new ConfigError(`binding to ${host} (beyond this machine) requires --auth FILE (a token or user:password, mode 0600)`, { code: 'auth-required' });
  }
  const runs: ServedRun[] = [];
  for (const r of options.runs) {
    let dir: string;
    try {
      dir = realpathSync(r.dir);
    } catch {
      throw new ConfigError(`run directory ${r.dir} does not exist`, { code: 'no-run-dir' });
    }
    if (!statSync(dir).isDirectory()) throw new ConfigError(`run directory ${r.dir} is not a directory`, { code: 'no-run-dir' });
    const name = basename(dir);
    if (runs.some((x) => x.name === name)) throw new ConfigError(`two run directories are both named ${name}; serve them from separate servers`, { code: 'run-name' });
    runs.push({ name, dir, glob: r.glob });
  }
  const byName = new Map(runs.map((r) => [r.name, r]));
  const csrf = randomBytes(24).toString('base64url');
  const stylesheet = css(STATE_COLOURS);
  const groupOf = options.groupOf ?? (() => 'rules');
  const groups = [...new Set(options.pipeline.order.map(groupOf))];
  const clients = new Set<ServerResponse>();
  const log = options.log ?? (() => {});
  const regenerating = new Set<string>();
  let port = options.port ?? 8080;

  const send = (event: string, data: object): void => {
    const text = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const c of clients) c.write(text);
  };
  const watcher = new RunWatcher(runs, (change: Change) => send('change', change));
  if (watcher.refused > 0) log(`${watcher.refused} directories cannot be watched (inotify limit? see fs.inotify.max_user_watches): their pages update on reload only`);

  const statusOf = (event: EventRef): EventStatus =>
    eventStatus(event, options.pipeline, options.cache, { now: Date.now(), ...(options.pValue === undefined ? {} : { pValue: options.pValue }) });

  const runOf = (name: string): ServedRun => byName.get(name) ?? refuse(`no run ${JSON.stringify(name)} is served here`, 404);

  const eventsOf = (run: ServedRun): EventRef[] => discoverEvents(run.dir, run.glob);

  function html(req: IncomingMessage, res: ServerResponse, title: string, crumbs: readonly (readonly [string, string?])[], scope: { run?: string; event?: string }, body: string): void {
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.end(req.headers['x-llama-fragment'] === '1' ? body : page({ title, crumbs, csrf, scope, body }));
  }

  async function action(req: IncomingMessage, res: ServerResponse, run: ServedRun, event: EventRef, name: string, query: URLSearchParams): Promise<void> {
    if (!Object.hasOwn(ACTION_COMMANDS, name)) refuse(`no action ${JSON.stringify(name)}`, 404);
    const which = name as ActionName;
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
    let form = new URLSearchParams();
    let bytes: Buffer | undefined;
    if (which === 'upload') {
      if (contentType !== 'application/octet-stream') refuse('an upload is the file itself, as application/octet-stream', 415);
      bytes = await readBody(req, MAX_UPLOAD_BYTES);
    } else {
      if (contentType !== 'application/x-www-form-urlencoded' && contentType !== '') refuse(`actions take a form (application/x-www-form-urlencoded), not ${contentType}`, 415);
      form = new URLSearchParams((await readBody(req, 64 * 1024)).toString('utf8'));
    }
    // The token comes in a header (the page's script) or a form field (no script).
    const token = (req.headers['x-llama-csrf'] as string | undefined) ?? form.get('csrf') ?? '';
    if (!same(token, csrf)) refuse('missing or wrong CSRF token: reload the page', 403);
    const ruleName = form.get('rule') ?? query.get('rule') ?? undefined;
    const v = { ...FROM_GUI, versioning: options.versioning };
    let result: ActionResult;
    switch (which) {
      case 'flags': {
        const status = statusOf(event);
        const words = (form.get('flags') ?? '').split(/\s+/).filter((w) => w !== '');
        const preset = form.get('preset') ?? '';
        if (preset !== '') words.unshift(preset);
        for (const flag of FLAG_NAMES) {
          const value = form.get(flag);
          if (value !== null && value !== status.flags?.[flag]) words.push(`${flag}=${value}`);
        }
        result = await setFlags(event, words, v);
        break;
      }
      case 'veto': result = await veto(event, ruleOf(options.pipeline, ruleName), v); break;
      case 'unveto': result = await unveto(event, ruleOf(options.pipeline, ruleName), v); break;
      case 'lock': result = await lock(event, ruleOf(options.pipeline, ruleName), v); break;
      case 'unlock': result = await unlock(event, ruleOf(options.pipeline, ruleName), v); break;
      case 'clear-cooldown': result = await clearCooldown(event, ruleOf(options.pipeline, ruleName), v); break;
      case 'clear-intent': result = await clearIntent(event, ruleOf(options.pipeline, ruleName), v); break;
      case 'clear-event-lock': result = await clearEventLock(event, v); break;
      case 'upload': result = await replaceFile(event, ruleOf(options.pipeline, ruleName), bytes as Buffer, v); break;
      case 'regenerate': {
        const regenerate = options.regenerate ?? refuse('this server cannot regenerate', 501);
        const rule = ruleName === undefined || ruleName === '' ? undefined : ruleOf(options.pipeline, ruleName).name;
        const key = `${event.eventDir}\0${rule ?? ''}`;
        if (regenerating.has(key)) refuse(`${rule ?? event.eventId} is being regenerated already`, 409);
        regenerating.add(key);
        const what = rule ?? `every rule of ${event.eventId}`;
        regenerate(event, rule)
          .then(
            (r) => send('notice', { run: run.name, event: event.eventId, message: r.code === 0 ? `regenerated ${what}` : `regenerating ${what} failed (exit ${r.code}): ${r.output.trim().split('\n').slice(-3).join(' ')}` }),
            (error: unknown) => send('notice', { run: run.name, event: event.eventId, message: `regenerating ${what} failed: ${(error as Error).message}` }),
          )
          .finally(() => regenerating.delete(key));
        res.statusCode = 202;
        result = { message: `regenerating ${what} (${ACTION_COMMANDS.regenerate.replace(' -f RULE', rule === undefined ? '' : ` -f ${rule}`)})` };
        break;
      }
    }
    log(`${event.eventId}: ${result.message}`);
    if ((req.headers['accept'] ?? '').includes('application/json')) {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ ok: true, message: result.message }));
    } else {
      res.statusCode = 303;
      res.setHeader('Location', eventHref(run.name, event.eventId));
      res.end();
    }
  }

  async function sendFile(req: IncomingMessage, res: ServerResponse, event: EventRef, file: string, query: URLSearchParams, download: boolean): Promise<void> {
    const commit = query.get('v') ?? undefined;
    let bytes: Buffer;
    let versions = await history(event.eventDir, file);
    if (commit !== undefined) {
      checkFileName(file);
      checkCommit(commit);
      const at = versions.findIndex((c) => c.hash.startsWith(commit));
      if (at < 0) refuse(`${file} has no version ${commit}`, 404);
      bytes = (await showVersion(event.eventDir, (versions[at] as { hash: string }).hash, file)) ?? refuse(`${file} is not in commit ${commit}`, 404);
      versions = versions.slice(at);
    } else {
      bytes = readFileSync(resolveFile(event, file).path);
    }
    const type = RAW_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
    res.setHeader('Content-Type', type);
    // Served bytes are never run as a page of this origin (a sandbox would also stop the
    // browser's PDF viewer, which runs no script of the document's).
    res.setHeader('Content-Security-Policy', type === 'application/pdf' ? "default-src 'none'; object-src 'self'; img-src 'self'" : "sandbox; default-src 'none'; img-src 'self'");
    if (download || type === 'application/octet-stream') {
      const newest = versions[0];
      const name = `${event.eventId}-v${versions.length}-${newest === undefined ? 'UNVERSIONED' : newest.hash.slice(0, 7)}-${file}`;
      res.setHeader('Content-Disposition', `attachment; filename="${name.replace(/["\\\r\n]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(name)}`);
    }
    res.end(req.method === 'HEAD' ? undefined : bytes);
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://server');
    let parts: string[];
    try {
      parts = url.pathname.split('/').slice(1).map((p) => decodeURIComponent(p));
    } catch {
      refuse('the path is not valid percent-encoding', 400);
    }
    const method = req.method ?? 'GET';
    const isAction = parts.length === 4 && parts[2] === 'actions';
    if (isAction ? method !== 'POST' : method !== 'GET' && method !== 'HEAD') {
      res.setHeader('Allow', isAction ? 'POST' : 'GET, HEAD');
      refuse(isAction ? 'actions are POST only' : `${method} is not allowed here (actions are POST to …/actions/NAME)`, 405);
    }
    const [first = '', second, third, fourth] = parts;
    if (parts.length === 1 && first === '') {
      const counts = new Map(runs.map((r) => [r.name, eventsOf(r).length]));
      return html(req, res, 'llama runs', [['llama']], {}, runsPage(runs, counts));
    }
    if (first === 'favicon.ico' && parts.length === 1) {
      res.statusCode = 204;
      return void res.end();
    }
    if (first === '_static' && parts.length === 2) {
      if (second === 'app.js') {
        res.setHeader('Content-Type', 'text/javascript; charset=utf-8');
        return void res.end(APP_JS);
      }
      if (second === 'pdf.min.mjs' || second === 'pdf.worker.min.mjs') {
        // pdf.js (Mozilla) renders the summary PDF's first page in the page: a preview that works
        // where the browser has no PDF viewer (headless browsers, some kiosks).
        res.setHeader('Content-Type', 'text/javascript; charset=utf-8');
        res.setHeader('Cache-Control', 'max-age=86400');
        return void res.end(readFileSync(createRequire(import.meta.url).resolve(`pdfjs-dist/build/${second}`)));
      }
      if (second === 'app.css') {
        res.setHeader('Content-Type', 'text/css; charset=utf-8');
        return void res.end(stylesheet);
      }
      refuse('no such static file', 404);
    }
    if (first === '_events' && parts.length === 1) {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
      res.write(`: llama live updates\nretry: 2000\n\n`);
      clients.add(res);
      const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
      req.on('close', () => {
        clearInterval(ping);
        clients.delete(res);
      });
      return;
    }
    const run = runOf(first);
    if (second === undefined) {
      res.statusCode = 301;
      res.setHeader('Location', runHref(run.name));
      return void res.end();
    }
    if (second === '' && parts.length === 2) {
      const glob = url.searchParams.get('glob') ?? '';
      const state = url.searchParams.get('state') ?? '';
      if (state !== '' && state !== 'error' && !(RULE_STATES as readonly string[]).includes(state)) refuse(`no state ${JSON.stringify(state)}`, 400);
      const match = glob === '' ? undefined : globRegExp(glob);
      const events = eventsOf(run).filter((e) => match === undefined || match.test(e.eventId));
      let statuses = runStatus(events, options.pipeline, options.cache, { now: Date.now(), ...(options.pValue === undefined ? {} : { pValue: options.pValue }) });
      if (state === 'error') statuses = statuses.filter((s) => s.error !== undefined);
      else if (state !== '') statuses = statuses.filter((s) => s.rules.some((r) => r.state === state));
      return html(req, res, `llama ${run.name}`, [['llama', '/'], [run.name]], { run: run.name }, eventsPage(run, statuses, groups, groupOf, { glob, state }, Date.now()));
    }
    const event = resolveEvent(run, second);
    if (!globRegExp(run.glob).test(event.eventId)) refuse(`event ${event.eventId} is not served (glob ${run.glob})`, 404);
    if (parts.length === 2) {
      const status = statusOf(event);
      const commits = await history(event.eventDir, undefined, 50);
      return html(req, res, `llama ${event.eventId}`, [['llama', '/'], [run.name, runHref(run.name)], [event.eventId]], { run: run.name, event: event.eventId }, eventPage(run.name, status, commits, csrf, Date.now()));
    }
    if (parts.length === 3 && third === '') {
      res.statusCode = 301;
      res.setHeader('Location', eventHref(run.name, event.eventId));
      return void res.end();
    }
    if (parts.length === 3 && third === 'row') {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.setHeader('Cache-Control', 'no-store');
      return void res.end(eventRow(run, statusOf(event), groups, groupOf, Date.now()));
    }
    if (parts.length === 3 && third === 'status.json') {
      res.setHeader('Content-Type', 'application/json');
      return void res.end(JSON.stringify(statusDocument([statusOf(event)], true, Date.now()), null, 2));
    }
    if (parts.length === 4 && third === 'actions') return action(req, res, run, event, fourth as string, url.searchParams);
    if (parts.length === 4 && (third === 'files' || third === 'raw' || third === 'download')) {
      const file = fourth as string;
      checkFileName(file);
      if (third !== 'files') return sendFile(req, res, event, file, url.searchParams, third === 'download');
      const status = statusOf(event);
      const crumbs: [string, string?][] = [['llama', '/'], [run.name, runHref(run.name)], [event.eventId, eventHref(run.name, event.eventId)], [file]];
      let found: ReturnType<typeof resolveFile> | undefined;
      try {
        found = resolveFile(event, file);
      } catch (error) {
        const rule = status.rules.find((r) => r.filename === file);
        if (!(error instanceof Refused) || error.status !== 404 || rule === undefined) throw error;
        return html(req, res, `llama ${file}`, crumbs, { run: run.name, event: event.eventId }, missingFilePage(run.name, status, rule, csrf));
      }
      const versions = await history(event.eventDir, file);
      const newest = versions[0];
      const downloadName = `${event.eventId}-v${versions.length}-${newest === undefined ? 'UNVERSIONED' : newest.hash.slice(0, 7)}-${file}`;
      return html(req, res, `llama ${file}`, crumbs, { run: run.name, event: event.eventId }, filePage({ run: run.name, status, file, path: found.path, stat: found.stat, versions, downloadName, csrf }));
    }
    refuse('no such page', 404);
  }

  const allowedHosts = new Set(options.allowedHosts ?? []);
  const server = createServer((req, res) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'SAMEORIGIN');
    res.setHeader('Referrer-Policy', 'same-origin');
    res.setHeader('Content-Security-Policy', "default-src 'self'; img-src 'self' data: blob:; font-src 'self' data:; style-src 'self'; script-src 'self'; worker-src 'self'; frame-src 'self'; object-src 'self'; frame-ancestors 'self'");
    const fail = (status: number, message: string): void => {
      if (res.headersSent) return void res.end();
      res.statusCode = status;
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ ok: false, message }));
    };
    if (options.auth !== undefined && !authorized(options.auth, req.headers['authorization'])) {
      res.setHeader('WWW-Authenticate', 'Basic realm="llama", charset="UTF-8"');
      return fail(401, 'authentication required');
    }
    // Without a login, only this machine's names are answered: a page of another site whose
    // name was rebound to 127.0.0.1 cannot read the CSRF token.
    const hostHeader = req.headers['host'] ?? '';
    const hostName = hostHeader.replace(/:\d+$/, '');
    if (options.auth === undefined && !isLoopback(hostName) && !allowedHosts.has(hostHeader) && !allowedHosts.has(hostName)) {
      return fail(421, `this server answers only to 127.0.0.1:${port} or localhost:${port} (or --allowed-host)`);
    }
    // A browser names the page a POST comes from; another site's is refused even with a token.
    const origin = req.headers['origin'];
    if (req.method === 'POST' && origin !== undefined && originHost(origin) !== hostHeader) return fail(403, 'cross-origin request refused');
    route(req, res).catch((error: unknown) => {
      if (error instanceof Refused) return fail(error.status, error.message);
      if (error instanceof ConfigError) return fail(error.code === 'action-conflict' ? 409 : 400, error.message);
      log(`internal error on ${req.method} ${req.url}: ${(error as Error).stack ?? String(error)}`);
      fail(500, `internal error: ${(error as Error).message}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new ConfigError(`port ${port} on ${host} is in use; choose another with --port`, { code: 'port' }) : error.code === 'EADDRNOTAVAIL' ? new ConfigError(`cannot bind to ${host}: no such address here`, { code: 'bind' }) : error),
    );
    server.listen(port, host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${shownHost}:${port}/`,
    port,
    close: async () => {
      watcher.close();
      for (const c of clients) c.end();
      clients.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
