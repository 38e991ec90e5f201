#!/usr/bin/env node
// Slurm executor against the local one on this machine (bench/README.md, "## Slurm"):
//  1. EVENTS events of a cheap --rules pipeline (3 shell rules), `llama run -o -F` against
//     `llama run --executor slurm --batch K` on a single-node Slurm started here (as the tests do);
//     overhead per event = (Slurm wall time - local wall time) / EVENTS.
//  2. TRIALS background trials: `llama background` in one process against `--chunks CHUNKS
//     --executor slurm` (one array element per chunk; the node has as many slots as CPUs).
// Needs root, slurm-wlm and munge, and a build (npx tsc -b && node scripts/bundle.mjs).
// Usage: node bench/slurm.mjs [--events 200] [--batch 20,50] [--trials 10000] [--chunks 10] [--versioning off] [--skip-background]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { slurmUnavailable, startSlurm } from '../packages/slurm/dist/local-cluster.js';

const repo = dirname(dirname(fileURLToPath(import.meta.url)));
const bin = join(repo, 'packages', 'cli', 'bin', 'llama.js');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const EVENTS = Number(arg('events', '200'));
const BATCHES = String(arg('batch', '20')).split(',').map(Number);
const TRIALS = Number(arg('trials', '10000'));
const CHUNKS = Number(arg('chunks', '10'));
/** --versioning off: no git commit per generation, so that the figures show the executors' own costs. */
const VERSIONING = arg('versioning', 'on');

const why = slurmUnavailable();
if (why !== undefined) {
  console.error(why);
  process.exit(2);
}

const SPEC = {
  name: 'bench-slurm',
  rules: [
    { name: 'Raw', output: 'raw.dat', external: true },
    { name: 'Prep', output: 'prep.dat', inputs: ['Raw'], command: 'sort raw.dat > prep.dat' },
    { name: 'Count', output: 'count.txt', inputs: ['Prep'], command: 'wc -l < prep.dat > count.txt' },
    { name: 'Done', output: 'done.txt', inputs: ['Prep', 'Count'], command: 'cat prep.dat count.txt | cksum > done.txt' },
  ],
};

function makeRun(root, name) {
  const runDir = join(root, name);
  for (let i = 0; i < EVENTS; i++) {
    const dir = join(runDir, `S${String(i).padStart(4, '0')}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'raw.dat'), Array.from({ length: 20 }, (_, k) => `${(k * 7919 + i * 31) % 1009}\n`).join(''));
  }
  return runDir;
}

function timed(args, env) {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', maxBuffer: 64 << 20 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0) throw new Error(`llama ${args.join(' ')} exited ${r.status}: ${r.stderr.split('\n').slice(-5).join('\n')}`);
  return { seconds, stderr: r.stderr };
}

const root = mkdtempSync(join(tmpdir(), 'llama-bench-slurm-'));
const cluster = await startSlurm();
const env = { ...process.env, ...cluster.env, LLAMA_DEV_MODE: '1', LLAMA_VERSIONING: VERSIONING, LLAMA_CACHEDIR: join(root, 'cache'), LLAMA_OUTPUT_DIR: join(root, 'out'), HOME: root };
const spec = join(root, 'spec.json');
writeFileSync(spec, JSON.stringify(SPEC));
const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repo, encoding: 'utf8' }).trim();
console.log(`# llama ${commit}, ${new Date().toISOString().slice(0, 10)}, ${cpus().length} CPUs (load ${loadavg()[0].toFixed(1)}), node ${process.version}, Slurm node ${cluster.nodeName} with ${cluster.cpus} CPUs, versioning ${VERSIONING}`);
try {
  // Latency of one event: submission, scheduling, job start, the pass, the status file, the poll.
  {
    const one = (name) => {
      const run = join(root, name, 'S0001');
      mkdirSync(run, { recursive: true });
      writeFileSync(join(run, 'raw.dat'), '3\n1\n2\n');
      return dirname(run);
    };
    const l1 = timed(['run', `${one('one-local')}/`, '-o', '-F', '--rules', spec, '-v', 'warning'], env);
    const s1 = timed(['run', `${one('one-slurm')}/`, '--executor', 'slurm', '--rules', spec], { ...env, LLAMA_SLURM_POLL_MS: '250' });
    console.log(`one event: local ${l1.seconds.toFixed(2)} s, slurm ${s1.seconds.toFixed(2)} s (poll 250 ms)`);
  }
  const localRun = makeRun(root, 'local');
  const local = timed(['run', `${localRun}/`, '-o', '-F', '--rules', spec, '-n', String(EVENTS * 2), '-j', String(cluster.cpus), '-v', 'warning'], env);
  console.log(`local   ${EVENTS} events, -j ${cluster.cpus}: ${local.seconds.toFixed(1)} s (${((local.seconds / EVENTS) * 1000).toFixed(0)} ms/event)`);
  for (const k of BATCHES) {
    const run = makeRun(root, `slurm-${k}`);
    const s = timed(['run', `${run}/`, '--executor', 'slurm', '--batch', String(k), '--rules', spec, '-n', String(EVENTS * 2)], env);
    const overhead = (s.seconds - local.seconds) / EVENTS;
    console.log(`slurm   ${EVENTS} events, K=${k} (${Math.ceil(EVENTS / k)} jobs): ${s.seconds.toFixed(1)} s; overhead ${(overhead * 1000).toFixed(0)} ms/event`);
  }
  if (!process.argv.includes('--skip-background')) {
    const common = ['background', '--population', 'bns', '--instruments', 'H1,L1', '--trials', String(TRIALS), '--skymaps', '10', '--seed', '1', '--quiet'];
    const one = timed([...common, '-o', join(root, 'bg-local.json.gz')], env);
    console.log(`local   background ${TRIALS} trials, one process: ${one.seconds.toFixed(1)} s`);
    const chunked = timed([...common, '--chunks', String(CHUNKS), '-o', join(root, 'bg-chunks-local.json.gz')], env);
    console.log(`local   background ${TRIALS} trials, --chunks ${CHUNKS} in one process: ${chunked.seconds.toFixed(1)} s`);
    const s = timed([...common, '--chunks', String(CHUNKS), '--executor', 'slurm', '-o', join(root, 'bg-slurm.json.gz')], env);
    console.log(`slurm   background ${TRIALS} trials, ${CHUNKS} chunks as a job array: ${s.seconds.toFixed(1)} s`);
  }
} finally {
  await cluster.stop();
  rmSync(root, { recursive: true, force: true });
}
