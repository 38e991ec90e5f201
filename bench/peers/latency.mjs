#!/usr/bin/env node
// Reaction latency of the llama daemon (issue 7): from an input file landing in an event
// directory (rename into place) to all its dependents being regenerated (the sink's rider
// written), minus the time the rules' own commands were running. Median and p95 over TRIALS,
// with IDLE up-to-date events in the run. Each command is wrapped to log its start and end
// (date +%s%N), and "compute" is the union of those intervals within the trial.
//
// usage: node bench/peers/latency.mjs [--work DIR] [--idle 1000] [--trials 100] [--jobs 2]
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { EXTERNAL_INPUTS, eventName, ruleTable, writeEvent } from './generate.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const LLAMA = join(REPO, 'packages', 'cli', 'bin', 'llama.js');
const { values } = parseArgs({
  options: {
    work: { type: 'string', default: '/tmp/llama-latency' },
    idle: { type: 'string', default: '1000' },
    trials: { type: 'string', default: '100' },
    jobs: { type: 'string', default: '2' },
    warmup: { type: 'string', default: '3' },
    // e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the daemon
    'daemon-node-args': { type: 'string', default: '' },
  },
});
const WORK = resolve(values.work);
const IDLE = Number(values.idle);
const TRIALS = Number(values.trials);
const WARMUP = Number(values.warmup);
const LOG = join(WORK, 'intervals.log');
const RUN = join(WORK, 'events');

/** The §4.1 rules, each command wrapped to log "event rule start end" in ns. */
function spec() {
  const wrap = (command) => `s=$(date +%s%N); ${command}; echo "$LLAMA_EVENT_ID $LLAMA_RULE $s $(date +%s%N)" >> "$LATENCY_LOG"`;
  return {
    name: 'latency',
    rules: [
      ...EXTERNAL_INPUTS.map((f) => ({ name: f.replace(/\W/g, '_'), output: f, external: true })),
      ...ruleTable().map((r) => ({ name: r.name, output: r.output, inputs: r.inputs, command: wrap(r.command) })),
    ],
  };
}

const env = {
  ...process.env,
  HOME: join(WORK, 'home'),
  LLAMA_CACHEDIR: join(WORK, 'cache'),
  LLAMA_OUTPUT_DIR: join(WORK, 'out'),
  LLAMA_VERSIONING: 'off',
  LATENCY_LOG: LOG,
};
const common = ['--rules', join(WORK, 'spec.json'), '-D', '-n', '1000000', '-j', values.jobs, '-l', '/dev/null'];

function setup() {
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(RUN, { recursive: true });
  writeFileSync(join(WORK, 'spec.json'), `${JSON.stringify(spec(), null, 2)}\n`);
  // Build one event, then copy it: identical inputs, so every copy's riders are valid and the
  // idle events are genuinely up to date (building 40 000 jobs would take minutes).
  writeEvent(WORK, 0, 2048);
  const built = spawnSync(process.execPath, [LLAMA, 'run', `${RUN}/`, '-F', '-o', '-v', 'warning', ...common], { env, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`building the template event failed: ${built.stderr}`);
  for (let i = 1; i < IDLE; i++) cpSync(join(RUN, eventName(0)), join(RUN, eventName(i)), { recursive: true, preserveTimestamps: true });
  rmSync(LOG, { force: true });
}

function intervalsOf(event, fromNs) {
  const found = [];
  let text = '';
  try {
    text = readFileSync(LOG, 'utf8');
  } catch {
    return found;
  }
  for (const line of text.split('\n')) {
    const [ev, rule, s, e] = line.split(' ');
    if (ev !== event || e === undefined) continue;
    const start = Number(BigInt(s) / 1000n) / 1000; // ms
    const end = Number(BigInt(e) / 1000n) / 1000;
    if (start * 1e6 >= fromNs) found.push({ rule, start, end });
  }
  return found;
}

function unionMs(intervals) {
  const sorted = [...intervals].sort((a, b) => a.start - b.start);
  let total = 0;
  let curStart = -Infinity;
  let curEnd = -Infinity;
  for (const { start, end } of sorted) {
    if (start > curEnd) {
      if (curEnd > curStart) total += curEnd - curStart;
      curStart = start;
      curEnd = end;
    } else curEnd = Math.max(curEnd, end);
  }
  if (curEnd > curStart) total += curEnd - curStart;
  return total;
}

const nowMs = () => performance.timeOrigin + performance.now();

async function trial(t) {
  const event = eventName(1 + (t % Math.max(1, IDLE - 1)));
  const dir = join(RUN, event);
  const rider = join(dir, '.done.stamp.metadata.json');
  const before = statSync(rider).mtimeMs;
  const staged = join(WORK, `raw.${t}.tmp`);
  const old = readFileSync(join(dir, 'raw.dat'), 'utf8');
  writeFileSync(staged, `${old}trial ${t} ${Date.now()}\n`);
  const t0 = nowMs();
  renameSync(staged, join(dir, 'raw.dat'));
  const deadline = t0 + 60_000;
  for (;;) {
    const st = statSync(rider, { throwIfNoEntry: false });
    if (st !== undefined && st.mtimeMs > before && st.mtimeMs >= t0) {
      const total = st.mtimeMs - t0;
      const runs = intervalsOf(event, t0 * 1e6);
      const compute = unionMs(runs);
      const firstStart = runs.length === 0 ? NaN : Math.min(...runs.map((r) => r.start)) - t0;
      return { event, total, compute, overhead: total - compute, reaction: firstStart, rules: runs.length };
    }
    if (nowMs() > deadline) throw new Error(`trial ${t}: ${event} was not regenerated within 60 s`);
    await sleep(1);
  }
}

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))];
};

setup();
process.stderr.write(`${IDLE} events ready in ${RUN}; starting the daemon\n`);
const daemon = spawn(process.execPath, [...values['daemon-node-args'].split(' ').filter(Boolean), LLAMA, 'run', `${RUN}/`, '-F', '-v', 'warning', ...common], { env, stdio: ['ignore', 'ignore', 'pipe'] });
let daemonErr = '';
daemon.stderr.on('data', (c) => (daemonErr += c.toString()));
const results = [];
try {
  await sleep(3000);
  for (let t = 0; t < WARMUP + TRIALS; t++) {
    const r = await trial(t);
    if (t >= WARMUP) results.push(r);
    process.stderr.write(`trial ${t}${t < WARMUP ? ' (warm-up)' : ''}: ${r.event} total ${r.total.toFixed(1)} ms, compute ${r.compute.toFixed(1)} ms, overhead ${r.overhead.toFixed(1)} ms, first rule after ${r.reaction.toFixed(1)} ms, ${r.rules} rules\n`);
    await sleep(150);
  }
} finally {
  daemon.kill('SIGTERM');
  await new Promise((r) => daemon.on('close', r));
}
const col = (k) => results.map((r) => r[k]);
const summary = {
  date: new Date().toISOString(),
  machine: `${cpus().length} × ${cpus()[0]?.model ?? '?'}, load ${loadavg().map((x) => x.toFixed(1)).join(' ')}`,
  idleEvents: IDLE,
  trials: results.length,
  rulesPerTrial: quantile(col('rules'), 0.5),
  medianMs: { total: quantile(col('total'), 0.5), compute: quantile(col('compute'), 0.5), overhead: quantile(col('overhead'), 0.5), firstRule: quantile(col('reaction'), 0.5) },
  p95Ms: { total: quantile(col('total'), 0.95), compute: quantile(col('compute'), 0.95), overhead: quantile(col('overhead'), 0.95), firstRule: quantile(col('reaction'), 0.95) },
  daemonStderr: daemonErr.slice(-1000),
};
writeFileSync(join(WORK, 'latency.json'), `${JSON.stringify({ summary, results }, null, 2)}\n`);
console.log(JSON.stringify(summary, null, 2));
