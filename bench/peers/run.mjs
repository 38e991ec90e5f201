#!/usr/bin/env node
// Side-by-side driver for build-tools.md §4.2: scenarios a–f (+ g: plan at scale, h: one
// invocation per event) for llama, make, ninja and Snakemake on the workload of generate.mjs.
// Every measurement runs under /usr/bin/time (wall, user+sys CPU, peak RSS); "rebuilt" counts
// generated files whose mtime is newer than a marker taken just before the run.
// Results are appended as JSON lines to WORK/results.jsonl; `report.mjs` prints the tables.
//
// usage: node bench/peers/run.mjs [--work DIR] [--sizes 100,1000] [--tools llama,make,ninja,snakemake]
//          [--scenarios a,b,c,d,e,f,g,h,v,w] [--runs 3] [--g-size 10000] [--jobs 2]
//          [--cold-runs-large 3] [--snakemake-cold-runs 3] [--snakemake-timeout 300]
// Scenario v: one labelled llama cold build with LLAMA_VERSIONING=on (a git commit per generation);
// w: one labelled llama cold build per size with LLAMA_FSYNC=off (outputs not flushed, as the peers).
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { OUTPUTS, eventName, generate, writeEvent, writeEvents } from './generate.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values } = parseArgs({
  options: {
    work: { type: 'string', default: '/tmp/llama-bench' },
    sizes: { type: 'string', default: '100,1000' },
    tools: { type: 'string', default: 'make,ninja,snakemake,llama' },
    scenarios: { type: 'string', default: 'a,b,c,d,e,f,g,h,v' },
    runs: { type: 'string', default: '3' },
    'g-size': { type: 'string', default: '10000' },
    jobs: { type: 'string', default: '2' },
    'snakemake-timeout': { type: 'string', default: '300' },
    // Cold builds are the slow part: how many to repeat at N >= 1000, and for Snakemake at all.
    'cold-runs-large': { type: 'string', default: '3' },
    'snakemake-cold-runs': { type: 'string', default: '3' },
    // At N >= 1000, seed llama's tree by copying one llama-built event instead of a cold build
    // (identical inputs in every event; b–f do not depend on the contents).
    'llama-copy-seed': { type: 'boolean', default: false },
  },
});
const WORK = resolve(values.work);
const RUNS = Number(values.runs);
const JOBS = String(values.jobs);
const TOOLS = values.tools.split(',');
const SCENARIOS = new Set(values.scenarios.split(','));
const RESULTS = join(WORK, 'results.jsonl');
const SIZES = values.sizes.split(',').filter(Boolean).map(Number);
mkdirSync(WORK, { recursive: true });

function ensureTools() {
  const missing = [];
  if (!existsSync('/usr/bin/time')) missing.push('time');
  if (TOOLS.includes('make') && spawnSync('make', ['--version']).status !== 0) missing.push('make');
  if (TOOLS.includes('ninja') && spawnSync('ninja', ['--version']).status !== 0) missing.push('ninja-build');
  if (TOOLS.includes('snakemake') && spawnSync('snakemake', ['--version']).status !== 0) missing.push('snakemake');
  if (missing.length === 0) return;
  process.stderr.write(`installing ${missing.join(' ')} with apt-get …\n`);
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

const llamaBin = join(REPO, 'packages', 'cli', 'bin', 'llama.js');
/** The llama invocation; LLAMA_BENCH_ARGS can override the options while the CLI settles. */
function llamaArgs(out, target, extra = []) {
  const base = (process.env['LLAMA_BENCH_ARGS'] ?? '-F -o -D --jobs {jobs} -n 1000000 -l /dev/null -v warning').replace('{jobs}', JOBS).split(' ').filter(Boolean);
  return ['node', llamaBin, 'run', target, ...base, '--rules', join(out, 'spec.json'), ...extra];
}

function llamaEnv(out, versioning, fsync = true) {
  return { LLAMA_VERSIONING: versioning ? 'on' : 'off', LLAMA_FSYNC: fsync ? 'on' : 'off', LLAMA_CACHEDIR: join(out, '.llama-cache') };
}

/** The command that brings the whole tree up to date (`dry`: plan only). */
function buildCommand(tool, out, { dry = false, versioning = false, fsync = true } = {}) {
  switch (tool) {
    case 'make':
      return { argv: ['make', `-j${JOBS}`, '-s', ...(dry ? ['-n'] : [])] };
    case 'ninja':
      return { argv: ['ninja', `-j${JOBS}`, '--quiet', ...(dry ? ['-n'] : [])] };
    case 'snakemake':
      return { argv: ['snakemake', `-c${JOBS}`, '-q', ...(dry ? ['-n'] : [])] };
    case 'llama':
      return { argv: llamaArgs(out, `${join(out, 'events')}/`, dry ? ['--dry-run'] : []), env: llamaEnv(out, versioning, fsync) };
    default:
      throw new Error(`unknown tool ${tool}`);
  }
}

/** Run under /usr/bin/time; returns wall/user/sys seconds and peak RSS in MB. */
function timed(argv, { cwd, env = {}, timeoutSeconds } = {}) {
  const timeFile = join(WORK, '.time');
  rmSync(timeFile, { force: true });
  const full = ['-f', '%e %U %S %M', '-o', timeFile, ...(timeoutSeconds === undefined ? argv : ['timeout', '-s', 'KILL', String(timeoutSeconds), ...argv])];
  const result = spawnSync('/usr/bin/time', full, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 28 });
  const lines = existsSync(timeFile) ? readFileSync(timeFile, 'utf8').trim().split('\n') : [];
  const last = lines.at(-1)?.split(' ').map(Number) ?? [NaN, NaN, NaN, NaN];
  const [wall, user, sys, rssKb] = last;
  const status = result.status;
  const stderr = result.stderr?.toString().slice(-2000) ?? '';
  return { wall, cpu: user + sys, rssMb: rssKb / 1024, status, ok: status === 0, stderr };
}

function countNewer(out, n, markerMs) {
  let count = 0;
  for (let i = 0; i < n; i++) {
    const dir = join(out, 'events', eventName(i));
    for (const name of OUTPUTS) {
      const st = statSync(join(dir, name), { throwIfNoEntry: false });
      if (st !== undefined && st.mtimeMs > markerMs) count++;
    }
  }
  return count;
}

function record(row) {
  // The 1-minute load average before the run: this machine is shared, so noise is recorded.
  appendFileSync(RESULTS, `${JSON.stringify({ at: new Date().toISOString(), load: loadavg()[0], ...row })}\n`);
  const t = Number.isFinite(row.wall) ? `${row.wall.toFixed(2)} s wall, ${row.cpu.toFixed(2)} s cpu, ${row.rssMb.toFixed(0)} MB` : 'n/a';
  process.stderr.write(`${row.tool.padEnd(9)} N=${String(row.n).padEnd(5)} ${row.scenario.padEnd(22)} run ${row.run}: ${t}, rebuilt ${row.rebuilt ?? '-'}${row.ok === false ? ` FAILED (${row.status}) ${row.stderr ?? ''}` : ''}${row.note ? ` [${row.note}]` : ''}\n`);
}

/** Remove every output and every tool's state: a clean tree with inputs only. */
function cleanTree(out, n) {
  writeEvents(out, n);
  for (const state of ['.ninja_log', '.ninja_deps', '.snakemake', '.llama-cache']) rmSync(join(out, state), { recursive: true, force: true });
}

const middle = (n) => join(WORK, `n${n}`, 'events', eventName(Math.floor(n / 2)));

const MUTATIONS = {
  c_content_change: (n, run) => appendFileSync(join(middle(n), 'raw.dat'), `extra payload line ${run} ${Date.now()}\n`),
  d_touch_only: (n) => {
    const now = new Date();
    utimesSync(join(middle(n), 'raw.dat'), now, now);
  },
  e_comment_only: (n, run) => {
    const path = join(middle(n), 'raw.dat');
    const text = readFileSync(path, 'utf8');
    writeFileSync(path, `# comment v${run}.${Date.now()}${text.slice(text.indexOf('\n'))}`);
  },
  f_touch_intermediate: (n) => {
    const now = new Date();
    utimesSync(join(middle(n), 'prep.dat'), now, now);
  },
};

async function measure(tool, n, scenario, run, options = {}) {
  const out = options.out ?? join(WORK, `n${n}`);
  await sleep(60); // so that mtimes of a mutation and of the run's outputs differ
  const marker = Date.now();
  await sleep(20);
  const cmd = options.command ?? buildCommand(tool, out, options);
  const result = timed(cmd.argv, { cwd: out, env: cmd.env, timeoutSeconds: options.timeoutSeconds });
  const rebuilt = options.noCount ? undefined : countNewer(out, n, marker);
  record({ tool, n, scenario, run, ...result, ...(result.ok ? { stderr: undefined } : {}), rebuilt, note: options.note });
  return result;
}

async function incrementalScenarios(tool, n, run, note) {
  if (SCENARIOS.has('b')) await measure(tool, n, 'b_noop', run, { note });
  for (const [id, mutate] of Object.entries(MUTATIONS)) {
    if (!SCENARIOS.has(id[0])) continue;
    mutate(n, run);
    await measure(tool, n, id, run, { note });
  }
}

async function scenariosAtSize(n) {
  const out = join(WORK, `n${n}`);
  generate(out, { events: n });
  const anyOfAF = [...SCENARIOS].some((x) => 'abcdef'.includes(x));
  for (const tool of anyOfAF ? TOOLS : []) {
    const skipCold = tool === 'snakemake' && n >= 1000;
    const coldRuns = tool === 'snakemake' ? Number(values['snakemake-cold-runs']) : n >= 1000 ? Number(values['cold-runs-large']) : RUNS;
    if (tool === 'llama' && n >= 1000 && values['llama-copy-seed']) {
      for (const state of ['.llama-cache']) rmSync(join(out, state), { recursive: true, force: true });
      rmSync(join(out, 'events'), { recursive: true, force: true });
      writeEvent(out, 0, 2048);
      const cmd = buildCommand('llama', out);
      timed(cmd.argv, { cwd: out, env: cmd.env });
      for (let i = 1; i < n; i++) cpSync(join(out, 'events', eventName(0)), join(out, 'events', eventName(i)), { recursive: true, preserveTimestamps: true });
      timed(cmd.argv, { cwd: out, env: cmd.env }); // warm-up: fills the hash index, as a running daemon has it
      for (let run = 1; run <= RUNS; run++) await incrementalScenarios(tool, n, run, 'tree seeded by copying one llama-built event; cold build not run at this N');
      continue;
    }
    for (let run = 1; run <= RUNS; run++) {
      if (skipCold) {
        // §4.4: a cold Snakemake build at N=1000 takes ~20 min; measure b–f on a tree built
        // once by make (later runs reuse it, with the earlier runs' mutations in place).
        if (run === 1) {
          cleanTree(out, n);
          timed(['make', `-j${JOBS}`, '-s'], { cwd: out });
        }
        await incrementalScenarios(tool, n, run, 'tree built by make: no Snakemake metadata, so mtime decides');
        continue;
      }
      if (run <= coldRuns) {
        cleanTree(out, n);
        if (SCENARIOS.has('a')) await measure(tool, n, 'a_cold_full', run);
        else timed(buildCommand(tool, out).argv, { cwd: out, env: buildCommand(tool, out).env });
      } // later runs reuse the tree built by the last cold run (with the earlier mutations in place)
      await incrementalScenarios(tool, n, run);
    }
  }
  // One labelled cold run with per-generation git commits, at the smallest size only (slow).
  if (TOOLS.includes('llama') && SCENARIOS.has('v') && n === SIZES[0]) {
    cleanTree(out, n);
    await measure('llama', n, 'a_cold_full', 1, { versioning: true, note: 'LLAMA_VERSIONING=on (git commit per generation)' });
  }
  // One labelled cold run without flushing outputs to disk (LLAMA_FSYNC=off), as the peers run.
  if (TOOLS.includes('llama') && SCENARIOS.has('w')) {
    cleanTree(out, n);
    await measure('llama', n, 'a_cold_full', 1, { fsync: false, note: 'LLAMA_FSYNC=off (no fdatasync per output, like the peers)' });
  }
}

async function planAtScale(n) {
  const out = join(WORK, `n${n}`);
  const started = Date.now();
  generate(out, { events: n });
  process.stderr.write(`generated N=${n} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  for (const tool of TOOLS) {
    const runs = tool === 'snakemake' ? 1 : RUNS;
    for (let run = 1; run <= runs; run++) {
      const timeoutSeconds = tool === 'snakemake' ? Number(values['snakemake-timeout']) : 600;
      await measure(tool, n, 'g_plan_dry_run', run, { dry: true, noCount: true, timeoutSeconds });
    }
  }
}

async function perEventInvocations(n) {
  const out = join(WORK, `n${n}-h`);
  generate(out, { events: n, perEventNinja: true });
  timed(['make', `-j${JOBS}`, '-s'], { cwd: out });
  // make-built outputs have no llama riders: let llama adopt the tree once (it regenerates).
  const names = Array.from({ length: n }, (_, i) => eventName(i));
  const SMK_SAMPLE = Math.min(10, n);
  const script = (tool) => {
    switch (tool) {
      case 'ninja':
        return names.map((e) => `ninja -C events/${e} --quiet`).join('\n');
      case 'make':
        return names.map((e) => `make -s events/${e}/done.stamp`).join('\n');
      case 'snakemake':
        // ~0.45 s per call: time 10 events and scale to N (noted).
        return names.slice(0, SMK_SAMPLE).map((e) => `snakemake events/${e}/done.stamp -c1 -q`).join('\n');
      case 'llama': {
        const env = Object.entries(llamaEnv(out, false)).map(([k, v]) => `${k}=${v}`).join(' ');
        return names.map((e) => `${env} ${llamaArgs(out, join(out, 'events', e)).join(' ')}`).join('\n');
      }
      default:
        throw new Error(tool);
    }
  };
  for (const tool of TOOLS) {
    writeFileSync(join(out, `h-${tool}.sh`), `set -e\n${script(tool)}\n`);
    if (tool === 'ninja') timed(['sh', `h-${tool}.sh`], { cwd: out }); // first per-event ninja run builds its own log
    if (tool === 'llama') timed(['sh', `h-${tool}.sh`], { cwd: out }); // adopt make's outputs (riders written once)
    for (let run = 1; run <= RUNS; run++) {
      const scaled = tool === 'snakemake' ? n / SMK_SAMPLE : 1;
      const r = await measure(tool, n, 'h_per_event_noop', run, { out, command: { argv: ['sh', `h-${tool}.sh`], env: tool === 'llama' ? llamaEnv(out, false) : {} }, noCount: true, note: scaled === 1 ? undefined : `${SMK_SAMPLE} events timed, scaled ×${scaled}` });
      if (scaled !== 1 && r.ok) {
        appendFileSync(RESULTS, `${JSON.stringify({ tool, n, scenario: 'h_per_event_noop_scaled', run, wall: r.wall * scaled, cpu: r.cpu * scaled, rssMb: r.rssMb, ok: true })}\n`);
      }
    }
  }
}

ensureTools();
for (const n of SIZES) if ([...SCENARIOS].some((s) => 'abcdefvw'.includes(s))) await scenariosAtSize(n);
if (SCENARIOS.has('g')) await planAtScale(Number(values['g-size']));
if (SCENARIOS.has('h')) await perEventInvocations(SIZES[0] ?? 100);
process.stderr.write(`results in ${RESULTS}; print with: node bench/peers/report.mjs ${RESULTS}\n`);
