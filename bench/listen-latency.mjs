#!/usr/bin/env node
// Alert latency of `llama listen` (issue 15): from an LVK alert produced on a Kafka broker to
//   (a) its event directory complete: lvalert.json, lvc_skymap.fits.gz, skymap_info.json, FLAGS.json,
//       each committed to the event's git repository (the listener's record of having handled it);
//   (b) the first generation of a `llama run` daemon on the same run directory starting.
// The broker is librdkafka's mock cluster in kcat (a real Kafka-protocol broker on 127.0.0.1);
// each alert is the LVK user guide's 1 MB PRELIMINARY example (test/listen/fixtures) under a new
// MS… id, produced zstd-compressed with kcat, one at a time. Start is the message's producer
// timestamp (CreateTime), so kcat's own start-up is not counted. The daemon runs a one-rule
// --rules description whose command records its start time (date +%s%N), so that (b) measures
// the engine's reaction, not a science module. Median and p95 over ALERTS, after the consumer
// group's join (not counted). Also the handling alone (the listener has the message → its event
// complete), the listener's own part.
//
// usage: node bench/listen-latency.mjs [--alerts 50] [--work DIR] [--versioning off]   (after npx tsc -b)
// --versioning off: no per-event git repositories (LLAMA_VERSIONING=off), to see what the commits cost.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const LLAMA = join(REPO, 'packages', 'cli', 'bin', 'llama.js');
const { values } = parseArgs({
  options: { alerts: { type: 'string', default: '50' }, work: { type: 'string', default: '/tmp/llama-listen-latency' }, versioning: { type: 'string', default: 'on' } },
});
const ALERTS = Number(values.alerts);
const WORK = resolve(values.work);
const RUN = join(WORK, 'run');
const ARCHIVE = join(WORK, 'out', 'gcn', 'archive', 'igwn.gwalert');
const ALERT = JSON.parse(gunzipSync(readFileSync(join(REPO, 'test', 'listen', 'fixtures', 'MS181101ab-preliminary.json.gz'))).toString());

rmSync(WORK, { recursive: true, force: true });
mkdirSync(RUN, { recursive: true });
const spec = {
  name: 'listen-latency',
  rules: [
    { name: 'LVAlertJSON', output: 'lvalert.json', external: true },
    { name: 'LvcSkymapFits', output: 'lvc_skymap.fits.gz', external: true },
    { name: 'SkymapInfo', output: 'skymap_info.json', external: true },
    { name: 'FirstStep', output: 'first.txt', inputs: ['skymap_info.json', 'lvc_skymap.fits.gz'], command: 'date +%s%N > first.txt' },
  ],
};
writeFileSync(join(WORK, 'spec.json'), `${JSON.stringify(spec, null, 2)}\n`);
const env = { ...process.env, HOME: join(WORK, 'home'), LLAMA_CACHEDIR: join(WORK, 'cache'), LLAMA_OUTPUT_DIR: join(WORK, 'out'), LLAMA_DEV_MODE: '1', LLAMA_VERSIONING: values.versioning };

const children = [];
function start(command, args, options = {}) {
  const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'], ...options });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d.toString()));
  children.push(child);
  return { child, stderr: () => stderr };
}
async function until(what, condition, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}
function stopAll() {
  for (const c of children.reverse()) if (c.exitCode === null) c.kill('SIGTERM');
}
process.on('exit', stopAll);

const broker = start('kcat', ['-X', 'test.mock.num.brokers=1', '-b', 'dummy:9092', '-C', '-t', 'keepalive', '-o', 'end', '-q']);
await until('the broker address', () => /replaced with \d/.test(broker.stderr()));
const address = /replaced with (\d+\.\d+\.\d+\.\d+:\d+)/.exec(broker.stderr())[1];
const listener = start(process.execPath, [LLAMA, 'listen', '-F', '--no-tls', '--broker', address, '--run', RUN, '--topics', 'igwn.gwalert', '--heartbeat-timeout', '0', '-l', '/dev/null']);
const daemon = start(process.execPath, [LLAMA, 'run', `${RUN}/`, '-F', '--rules', join(WORK, 'spec.json'), '-l', '/dev/null', '-v', 'warning']);
await until('the consumer group join', () => listener.stderr().includes('joined consumer group'));

function doneRecords() {
  const out = new Map();
  if (!existsSync(ARCHIVE)) return out;
  for (const partition of readdirSync(ARCHIVE)) {
    for (const name of readdirSync(join(ARCHIVE, partition))) {
      if (!name.endsWith('.json.done')) continue;
      const record = JSON.parse(readFileSync(join(ARCHIVE, partition, name), 'utf8'));
      out.set(record.lines[0]?.match(/(?:created|updated) (MS\w+)/)?.[1], record);
    }
  }
  return out;
}

const idOf = (i) => `MS261207${String.fromCharCode(97 + Math.floor(i / 26)) + String.fromCharCode(97 + (i % 26))}`;
const rows = [];
const file = join(WORK, 'alert.json');
for (let i = 0; i < ALERTS; i++) {
  const id = idOf(i);
  writeFileSync(file, JSON.stringify({ ...ALERT, superevent_id: id }, null, 4));
  execFileSync('kcat', ['-b', address, '-P', '-t', 'igwn.gwalert', '-z', 'zstd', '-X', 'message.max.bytes=8000000', file]);
  await until(`${id} handled`, () => doneRecords().has(id));
  const first = join(RUN, id, 'first.txt');
  await until(`${id}'s first generation`, () => existsSync(first) && readFileSync(first, 'utf8').trim() !== '');
  const record = doneRecords().get(id);
  const produced = Number(record.timestamp);
  rows.push({
    id,
    delivered: Date.parse(record.receivedAt) - produced,
    complete: Date.parse(record.handledAt) - produced,
    firstGeneration: Number(BigInt(readFileSync(first, 'utf8').trim()) / 1_000_000n) - produced,
    // The listener's own part: from having the message to the event complete (archive, ingest, commit).
    handling: Date.parse(record.handledAt) - Date.parse(record.receivedAt),
  });
}
stopAll();

const pct = (list, p) => {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};
const line = (label, key) => `| ${label} | ${pct(rows.map((r) => r[key]), 50)} ms | ${pct(rows.map((r) => r[key]), 95)} ms |`;
const commit = execFileSync('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
console.log(`${ALERTS} alerts, versioning ${values.versioning}, ${new Date().toISOString()}, commit ${commit}, ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}, Node ${process.version}`);
console.log('| from the producer timestamp to | median | p95 |\n|---|---:|---:|');
console.log(line('the listener has the message', 'delivered'));
console.log(line('event directory complete (files, flags, git commits)', 'complete'));
console.log(line("the daemon's first generation started", 'firstGeneration'));
console.log(line('(handling: the listener has it → event complete)', 'handling'));
writeFileSync(join(WORK, 'rows.json'), `${JSON.stringify(rows, null, 2)}\n`);
