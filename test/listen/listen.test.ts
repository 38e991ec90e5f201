/**
 * `llama listen` against a real Kafka-protocol broker (librdkafka's mock cluster in kcat), with
 * real public LVK alerts (fixtures/README.md). Each test starts its own broker and stops it by pid.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../fakes/slack.js';
import { llama, startLlama, tempHome } from '../helpers/llama.js';
import { lvkAlert, SKYMAP_FIXTURES } from '../ingest/helpers.js';
import { kcatMissing, produce, startBroker, type MockBroker } from './broker.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const PRELIMINARY = gunzipSync(readFileSync(join(FIXTURES, 'MS181101ab-preliminary.json.gz')));
const RETRACTION = readFileSync(join(FIXTURES, 'MS181101ab-retraction.json'));
const ICECUBE = readFileSync(join(FIXTURES, 'lvk_nu_track_search.example.json'), 'utf8');
const SMALL_SKYMAP = readFileSync(join(SKYMAP_FIXTURES, 'MS260103c.multiorder.fits'));

const skip = kcatMissing();
if (skip !== undefined) console.warn(`skipping the llama listen tests: ${skip}`);

type Home = ReturnType<typeof tempHome>;
type Listener = ReturnType<typeof startLlama>;

let home: Home;
let broker: MockBroker;
const listeners: Listener[] = [];
beforeEach(async () => {
  home = tempHome('llama-listen-');
  broker = await startBroker();
});
afterEach(async () => {
  for (const l of listeners.splice(0)) if (l.child.exitCode === null && l.child.signalCode === null) l.child.kill('SIGKILL');
  await broker.stop();
});

const archiveDir = (): string => join(home.root, 'out', 'gcn', 'archive');

function startListener(extra: readonly string[] = [], env: Record<string, string> = {}): Listener {
  const defaults = extra.includes('--heartbeat-timeout') ? [] : ['--heartbeat-timeout', '0'];
  const listener = startLlama(['listen', '-F', '--no-tls', '--broker', broker.address, '--run', home.runDir, ...defaults, '-l', '/dev/null', ...extra], {
    env: { ...home.env, ...env },
  });
  listeners.push(listener);
  return listener;
}

async function waitFor(what: string, condition: () => boolean, listener?: Listener, timeoutMs = 40_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${listener === undefined ? '' : `; listener stderr:\n${listener.output().stderr}`}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const joined = (l: Listener) => waitFor('the consumer group join', () => l.output().stderr.includes('joined consumer group'), l);
const logged = (l: Listener, text: string | RegExp, count = 1) =>
  waitFor(`${String(text)} in the log`, () => (typeof text === 'string' ? l.output().stderr.split(text).length - 1 : (l.output().stderr.match(new RegExp(text, 'g')) ?? []).length) >= count, l);

async function stop(l: Listener): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  l.child.kill('SIGTERM');
  return l.exited;
}

function flags(eventId: string): Record<string, string> {
  return JSON.parse(readFileSync(join(home.runDir, eventId, 'FLAGS.json'), 'utf8')) as Record<string, string>;
}

/** Every file of an event (content hash and mtime) and its git HEAD: equal snapshots mean nothing changed. */
function snapshot(eventId: string): Record<string, string> {
  const dir = join(home.runDir, eventId);
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        if (e.name !== '.git') walk(p);
      } else out[relative(dir, p)] = `${createHash('sha256').update(readFileSync(p)).digest('hex')} ${statSync(p).mtimeMs}`;
    }
  };
  walk(dir);
  out['git HEAD'] = execFileSync('git', ['-C', dir, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  out['git commits'] = execFileSync('git', ['-C', dir, 'rev-list', '--count', 'HEAD'], { encoding: 'utf8' }).trim();
  return out;
}

function archived(topic: string): string[] {
  const dir = join(archiveDir(), topic);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((n) => n.endsWith('.json')).sort();
}

const noStackTrace = (text: string) => expect(text).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);

describe.skipIf(skip !== undefined)('llama listen (real broker: kcat mock cluster)', () => {
  it('takes a zstd-compressed real LVK alert end to end into an event directory, keeps the IceCube search, and records a retraction', async () => {
    const l = startListener();
    await joined(l);
    await produce(broker.address, 'igwn.gwalert', PRELIMINARY);
    await logged(l, 'wrote lvc_skymap.fits.gz');
    const event = join(home.runDir, 'MS181101ab');
    expect(readFileSync(join(event, 'lvalert.json')).equals(PRELIMINARY)).toBe(true);
    // The skymap inside the alert, gzipped: the FITS bytes are the base64 of the alert.
    const skymap = Buffer.from((JSON.parse(PRELIMINARY.toString()) as { event: { skymap: string } }).event.skymap, 'base64');
    expect(gunzipSync(readFileSync(join(event, 'lvc_skymap.fits.gz'))).equals(skymap)).toBe(true);
    expect(JSON.parse(readFileSync(join(event, 'skymap_info.json'), 'utf8'))).toMatchObject({ graceid: 'MS181101ab', far: 9.11069936486e-14, skymap_filename: 'bayestar.multiorder.fits,0', alert_type: 'igwn-alert' });
    // A mock (MS…) event: handled like a real one, flagged as a test (3.5.1: ROLE and UPLOAD by the id's kind).
    expect(flags('MS181101ab')).toMatchObject({ ROLE: 'test', UPLOAD: 'false', VETOED: 'false' });
    expect(Number(execFileSync('git', ['-C', event, 'rev-list', '--count', 'HEAD'], { encoding: 'utf8' }))).toBeGreaterThan(0);
    // Archived before it was handled, and recorded as handled.
    const [file] = archived('igwn.gwalert');
    expect(file).toMatch(/^\d\/000000000000\.json$/);
    expect(readFileSync(join(archiveDir(), 'igwn.gwalert', file as string)).equals(PRELIMINARY)).toBe(true);
    expect(JSON.parse(readFileSync(join(archiveDir(), 'igwn.gwalert', `${file}.done`), 'utf8'))).toMatchObject({ status: 'ingested', topic: 'igwn.gwalert', offset: '0' });

    await produce(broker.address, 'gcn.notices.icecube.lvk_nu_track_search', ICECUBE.replace('"ref_ID": "S230914ak"', '"ref_ID": "MS181101ab"'));
    await logged(l, 'wrote gcn_icecube_lvk_nu_track_search.json in MS181101ab');
    expect(JSON.parse(readFileSync(join(event, 'gcn_icecube_lvk_nu_track_search.json'), 'utf8'))).toMatchObject({ ref_ID: 'MS181101ab', pval_generic: 0.0191 });

    await produce(broker.address, 'igwn.gwalert', RETRACTION);
    await logged(l, 'MS181101ab retracted');
    expect(flags('MS181101ab')).toMatchObject({ VETOED: 'true' });
    expect(JSON.parse(readFileSync(join(event, 'lvalert.json'), 'utf8'))).toMatchObject({ alert_type: 'RETRACTION' });
    expect(archived('igwn.gwalert')).toHaveLength(2);

    const exit = await stop(l);
    expect(exit.code).toBe(0);
    expect(l.output().stderr).toContain('SIGTERM: stopping');
    noStackTrace(l.output().stderr);
    // Committed: a restarted listener of the same group gets nothing again.
    const before = snapshot('MS181101ab');
    const again = startListener();
    await joined(again);
    await new Promise((r) => setTimeout(r, 1500));
    expect(again.output().stderr).not.toMatch(/igwn\.gwalert\[\d\]@/);
    expect(snapshot('MS181101ab')).toEqual(before);
    expect((await stop(again)).code).toBe(0);
  });

  it('killed with kill -9 after handling but before the commit: the restarted listener gets the message again and changes nothing', async () => {
    const l = startListener([], { LLAMA_LISTEN_FAULT: 'kill-before-commit' });
    await joined(l);
    await produce(broker.address, 'igwn.gwalert', lvkAlert({ supereventId: 'S260103c', alertType: 'PRELIMINARY', skymap: SMALL_SKYMAP }));
    const exit = await l.exited;
    expect(exit.signal).toBe('SIGKILL');
    // Killed before its log was written out: the event and the handled-record show what it did.
    expect(existsSync(join(archiveDir(), 'igwn.gwalert', (archived('igwn.gwalert')[0] ?? 'none') + '.done'))).toBe(true);
    const before = snapshot('S260103c');
    expect(flags('S260103c')).toMatchObject({ ROLE: 'observation' });

    const again = startListener();
    await logged(again, 'already handled (ingested at');
    expect(again.output().stderr).not.toContain('created S260103c');
    expect(again.output().stderr).not.toContain('updated S260103c');
    expect(snapshot('S260103c')).toEqual(before);
    expect(archived('igwn.gwalert')).toHaveLength(1);
    expect((await stop(again)).code).toBe(0);
    // That re-delivery was committed: a third start gets nothing.
    const third = startListener();
    await joined(third);
    await new Promise((r) => setTimeout(r, 1500));
    expect(third.output().stderr).not.toContain('already handled');
    await stop(third);
  });

  it('catches up on the messages that arrived while it was down', async () => {
    const l = startListener();
    await joined(l);
    await produce(broker.address, 'igwn.gwalert', lvkAlert({ supereventId: 'MS260101a', alertType: 'PRELIMINARY', skymap: SMALL_SKYMAP }));
    await logged(l, 'created MS260101a');
    expect((await stop(l)).code).toBe(0);

    await produce(broker.address, 'igwn.gwalert', lvkAlert({ supereventId: 'MS260102b', alertType: 'PRELIMINARY', skymap: SMALL_SKYMAP }));
    await produce(broker.address, 'igwn.gwalert', lvkAlert({ supereventId: 'MS260103c', alertType: 'PRELIMINARY', skymap: SMALL_SKYMAP }));
    const again = startListener();
    await logged(again, 'created MS260102b');
    await logged(again, 'created MS260103c');
    expect(again.output().stderr).not.toContain('MS260101a');
    expect(readdirSync(home.runDir).sort()).toEqual(['MS260101a', 'MS260102b', 'MS260103c']);
    expect((await stop(again)).code).toBe(0);
  });

  it('reports a broker that stops answering, reconnects when it is back, and goes on', async () => {
    const l = startListener(['--topics', 'igwn.gwalert', '--heartbeat-timeout', '3']);
    await joined(l);
    broker.pause();
    await logged(l, /the broker 127\.0\.0\.1:\d+ has not answered for \d+ s/);
    broker.resume();
    await logged(l, /the broker 127\.0\.0\.1:\d+ is reachable again after an outage of \d+ s/, 1);
    await produce(broker.address, 'igwn.gwalert', lvkAlert({ supereventId: 'MS260103c', alertType: 'PRELIMINARY', skymap: SMALL_SKYMAP }));
    await logged(l, 'created MS260103c');
    // Gone for good (connections refused now, not hanging): reported, and a stop is still clean.
    await broker.stop();
    await logged(l, /the broker 127\.0\.0\.1:\d+ has not answered for \d+ s/, 2);
    expect((await stop(l)).code).toBe(0);
    noStackTrace(l.output().stderr);
  });

  it('a malformed message (bad JSON, hostile superevent id, skymap not FITS) is archived, reported in one clear line, and disturbs nothing else', async () => {
    const l = startListener();
    await joined(l);
    const hostile = readFileSync(join(import.meta.dirname, '..', 'ingest', 'fixtures', 'hostile-alert.json'));
    const notFits = lvkAlert({ supereventId: 'MS260102b', alertType: 'PRELIMINARY', skymap: Buffer.from('this is not a FITS file at all, just text'.repeat(100)) });
    // One partition, so the order is the order produced.
    await produce(broker.address, 'igwn.gwalert', '{"superevent_id": "MS260101a", "alert_type": ', { partition: 0 });
    await produce(broker.address, 'igwn.gwalert', hostile, { partition: 0 });
    await produce(broker.address, 'igwn.gwalert', notFits, { partition: 0 });
    await produce(broker.address, 'igwn.gwalert', lvkAlert({ supereventId: 'MS260103c', alertType: 'PRELIMINARY', skymap: SMALL_SKYMAP }), { partition: 0 });
    await logged(l, 'created MS260103c');
    const errors = l.output().stderr.split('\n').filter((line) => line.startsWith('|ERROR|'));
    expect(errors).toHaveLength(3);
    expect(errors[0]).toMatch(/igwn\.gwalert\[0\]@0 \(.*\/igwn\.gwalert\/0\/000000000000\.json\): not valid JSON/);
    expect(errors[1]).toMatch(/igwn\.gwalert\[0\]@1 \(.*000000000001\.json\): superevent_id: the event id "\.\.\/\.\.\/\.\.\/\.\.\/tmp\/pwned" contains a path separator/);
    expect(errors[2]).toMatch(/igwn\.gwalert\[0\]@2 \(.*000000000002\.json\): the alert's skymap is not a usable FITS file/);
    noStackTrace(l.output().stderr);
    // All four archived and recorded; only the good one became an event.
    expect(archived('igwn.gwalert')).toEqual(['0/000000000000.json', '0/000000000001.json', '0/000000000002.json', '0/000000000003.json']);
    expect(JSON.parse(readFileSync(join(archiveDir(), 'igwn.gwalert', '0', '000000000001.json.done'), 'utf8'))).toMatchObject({ status: 'failed' });
    expect(readdirSync(home.runDir)).toEqual(['MS260103c']);
    expect(existsSync(join(home.root, 'tmp', 'pwned'))).toBe(false);
    // The failures were committed too: they are not retried forever.
    expect((await stop(l)).code).toBe(0);
    const again = startListener();
    await joined(again);
    await new Promise((r) => setTimeout(r, 1500));
    expect(again.output().stderr).not.toContain('|ERROR|');
    await stop(again);
  });

  it('reports a silent gcn.heartbeat (on Slack with --err-alert) and its return', async () => {
    const slack: FakeSlack = await startFakeSlack({ tokens: ['xoxb-test'] });
    try {
      const l = startListener(['--heartbeat-timeout', '5', '--err-alert'], { SLACK_API_TOKEN_LLAMA: 'xoxb-test', SLACK_API_URL: slack.apiUrl });
      await joined(l);
      await logged(l, /no message on gcn\.heartbeat for \d+ s/);
      const post = () => slack.calls.find((c) => c.method === 'chat.postMessage' && (c.params['text'] ?? '').includes('gcn.heartbeat'));
      await waitFor('the Slack post', () => post() !== undefined, l);
      expect(post()?.params['text']).toMatch(/^llama listen on .* \(pid \d+\): no message on gcn\.heartbeat for \d+ s/);
      await produce(broker.address, 'gcn.heartbeat', JSON.stringify({ $schema: 'https://gcn.nasa.gov/schema/v4.0.0/gcn/notices/core/Alert.schema.json', alert_datetime: new Date().toISOString() }));
      await logged(l, /gcn\.heartbeat is back after \d+ s without a message/);
      // Heartbeats are liveness only: not archived.
      expect(archived('gcn.heartbeat')).toEqual([]);
      expect((await stop(l)).code).toBe(0);
    } finally {
      await slack.close();
    }
  });

  it('replays an archive into another run directory through the same path', async () => {
    const l = startListener();
    await joined(l);
    await produce(broker.address, 'igwn.gwalert', lvkAlert({ supereventId: 'S260103c', alertType: 'PRELIMINARY', skymap: SMALL_SKYMAP }), { partition: 1 });
    await produce(broker.address, 'igwn.gwalert', RETRACTION, { partition: 1 });
    await produce(broker.address, 'igwn.gwalert', 'not json', { partition: 1 });
    await logged(l, 'MS181101ab retracted');
    await stop(l);
    const other = join(home.root, 'replayed');
    const r = await llama(['listen', '--replay', archiveDir(), '--run', other], { env: home.env });
    expect(r.code).toBe(1); // the bad message fails again, the others are ingested
    expect(r.stdout).toContain('created S260103c');
    expect(r.stdout).toContain('MS181101ab retracted');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^llama listen: .*000000000002\.json: not valid JSON/);
    expect(readdirSync(other).sort()).toEqual(['MS181101ab', 'S260103c']);
    expect(flags('S260103c')).toEqual(JSON.parse(readFileSync(join(other, 'S260103c', 'FLAGS.json'), 'utf8')));
    // A recorded file named directly.
    const direct = await llama(['listen', '--replay', join(FIXTURES, 'MS181101ab-retraction.json'), '--run', join(home.root, 'direct')], { env: home.env });
    expect(direct.code).toBe(0);
    expect(direct.stdout).toContain('created MS181101ab to record the retraction');
  });
});

describe.skipIf(skip !== undefined)('llama listen as a daemon', () => {
  it('starts detached, is listed by -R, refuses a second listener on the same run, feeds a llama run daemon beside it, and stops cleanly with -k', async () => {
    const args = ['listen', '--no-tls', '--broker', broker.address, '--run', home.runDir, '--heartbeat-timeout', '0', '-l', '/dev/null'];
    const started = await llama(args, { env: home.env });
    expect(started.code).toBe(0);
    const pid = Number(/started daemon pid (\d+)/.exec(started.stdout)?.[1]);
    expect(pid).toBeGreaterThan(0);
    const log = /log: (\S+)/.exec(started.stdout)?.[1] as string;
    await waitFor('the daemon joining its group', () => existsSync(log) && readFileSync(log, 'utf8').includes('joined consumer group'));
    const listed = await llama(['listen', '-R'], { env: home.env });
    expect(listed.stdout).toContain(`pid ${pid}`);
    const second = await llama([...args, '-F'], { env: home.env });
    expect(second.code).toBe(2);
    expect(second.stderr.trim()).toBe(`llama: a llama listener is already running for ${home.runDir} (pid ${pid}); stop it with llama listen -k, or start with -K`);
    // The observing-run setup: a `llama run` daemon on the same run directory beside it (it does
    // not take the listener for a competitor), analysing what the listener makes.
    const spec = join(home.root, 'spec.json');
    writeFileSync(spec, JSON.stringify({ name: 'after-listen', rules: [
      { name: 'SkymapInfo', output: 'skymap_info.json', external: true },
      { name: 'Analysed', output: 'analysed.txt', inputs: ['skymap_info.json'], command: 'cp skymap_info.json analysed.txt' },
    ] }));
    const run = await llama(['run', `${home.runDir}/`, '--rules', spec, '-l', '/dev/null'], { env: home.env });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('started daemon pid');
    await produce(broker.address, 'igwn.gwalert', lvkAlert({ supereventId: 'MS260103c', alertType: 'PRELIMINARY', skymap: SMALL_SKYMAP }));
    await waitFor('the daemon ingesting', () => readFileSync(log, 'utf8').includes('created MS260103c'));
    await waitFor('llama run analysing the new event', () => existsSync(join(home.runDir, 'MS260103c', 'analysed.txt')));
    expect((await llama(['run', `${home.runDir}/`, '-k'], { env: home.env })).code).toBe(0);
    const killed = await llama(['listen', '--run', home.runDir, '-k'], { env: home.env });
    expect(killed.code).toBe(0);
    expect(killed.stdout).toContain(`stopping listener pid ${pid}`);
    expect(readFileSync(log, 'utf8')).toContain('SIGTERM: stopping');
    expect((await llama(['listen', '-R'], { env: home.env })).stdout).toContain('no llama listeners are running');
  });
});

describe.skipIf(skip !== undefined)('llama listen authentication (fake GCN token endpoint on 127.0.0.1)', () => {
  let server: Server;
  let tokenUrl: string;
  let requests: { authorization: string | undefined; body: string }[];
  let status: number;
  beforeEach(async () => {
    requests = [];
    status = 200;
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        requests.push({ authorization: req.headers.authorization, body });
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(status === 200 ? { access_token: 'access-token-xyz', expires_in: 3600, token_type: 'Bearer' } : { error: 'invalid_client' }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    tokenUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth2/token`;
  });
  afterEach(async () => new Promise<void>((r) => server.close(() => r())));

  it('refused client credentials: one clear line, exit 2, the secret never printed', async () => {
    status = 401;
    const r = await llama(['listen', '-F', '--no-tls', '--broker', broker.address, '--run', home.runDir, '--token-url', tokenUrl, '-l', '/dev/null'], {
      env: { ...home.env, GCN_CLIENT_ID: 'llama-client', GCN_CLIENT_SECRET: 'very-secret-value' },
    });
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`\\|ERROR\\|.* the token endpoint ${tokenUrl.replace(/[.]/g, '\\.')} refused the client credentials of client id llama-client: HTTP 401 invalid_client$`));
    expect(r.stderr).not.toContain('very-secret-value');
    expect(requests).toHaveLength(1);
    expect(Buffer.from((requests[0]?.authorization ?? '').replace('Basic ', ''), 'base64').toString()).toBe('llama-client:very-secret-value');
    expect(new URLSearchParams(requests[0]?.body).get('grant_type')).toBe('client_credentials');
  });

  it('a credentials file others can read is refused before anything connects', async () => {
    const file = join(home.root, 'gcn.json');
    execFileSync('sh', ['-c', `printf '{"client_id":"a","client_secret":"b"}' > ${file} && chmod 644 ${file}`]);
    const r = await llama(['listen', '-F', '--no-tls', '--broker', broker.address, '--run', home.runDir, '--credentials', file, '--token-url', tokenUrl], { env: home.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`llama: the credentials file ${file} is readable by others (mode 0644); run chmod 600 ${file}\n`);
    expect(requests).toHaveLength(0);
  });

  it('GCN without credentials is a configuration error', async () => {
    const r = await llama(['listen', '-F', '--run', home.runDir], { env: { ...home.env, GCN_CLIENT_ID: '', GCN_CLIENT_SECRET: '' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^llama: GCN Kafka needs client credentials: set GCN_CLIENT_ID and GCN_CLIENT_SECRET, or --credentials FILE/);
  });

  it('the igwn-alert profile starts a SASL/SCRAM login with its credentials (the mock refuses the SASL handshake), never logging the password', async () => {
    const l = startLlama(['listen', '-F', '--profile', 'igwn-alert', '--no-tls', '--broker', broker.address, '--run', home.runDir, '-l', '/dev/null', '-v', 'debug'], {
      env: { ...home.env, IGWN_ALERT_USERNAME: 'albert.einstein', IGWN_ALERT_PASSWORD: 'scram-password-123' },
    });
    listeners.push(l);
    await logged(l, 'listening to gracedb.superevent');
    await logged(l, /SaslHandshake|does not support/);
    l.child.kill('SIGTERM');
    expect((await l.exited).code).toBe(0);
    expect(l.output().stderr).not.toContain('scram-password-123');
  });

  it('accepted credentials: the token is fetched before connecting (the mock broker has no SASL to check it) and never logged', async () => {
    // librdkafka's mock cluster has no SASL (it answers SaslHandshake with "unsupported"), so
    // this test stops at the broker: the token exchange is real, the broker's check is not.
    const log = join(home.root, 'listen.log');
    const l = startLlama(['listen', '-F', '--no-tls', '--broker', broker.address, '--run', home.runDir, '--token-url', tokenUrl, '-l', log, '-v', 'debug'], {
      env: { ...home.env, GCN_CLIENT_ID: 'llama-client', GCN_CLIENT_SECRET: 'very-secret-value' },
    });
    listeners.push(l);
    await logged(l, 'got a GCN access token (valid until');
    await logged(l, /SaslHandshake|does not support/);
    expect(requests.length).toBeGreaterThanOrEqual(1);
    l.child.kill('SIGTERM');
    await l.exited;
    const all = l.output().stderr + (existsSync(log) ? readFileSync(log, 'utf8') : '');
    expect(all).not.toContain('very-secret-value');
    expect(all).not.toContain('access-token-xyz');
  });
});
