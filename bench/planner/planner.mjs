#!/usr/bin/env node
// Planner benchmark (issue 2): N events × a 43-rule DAG shaped like DEFAULT_PIPELINE, every
// output present with a consistent rider (a fully built run), then:
//   noop     a pass over every event when nothing changed (fresh process, persisted index)
//   noop-warm the same pass again in the same process (a daemon's steady state)
//   change   one input of one event changed (one cascade planned and run)
//   touch    one input touched without changing its bytes (nothing to do)
// Usage: node bench/planner/planner.mjs [N ...]   (default 100 1000 10000)
// Each figure is the median of 3 runs; memory is the peak RSS of the planning process.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync, utimesSync, readFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';

const here = dirname(fileURLToPath(import.meta.url));
const core = await import('@llama/core');
const { DEFAULT_PIPELINE } = await import('@llama/pipelines');
const { defineRule, definePipeline, initHashing, xxh64, sha256 } = core;
await initHashing();

/** The DEFAULT_PIPELINE DAG with trivial generate functions (concatenate the inputs). */
export function shapedPipeline() {
  const made = new Map();
  const make = (rule) => {
    if (made.has(rule.name)) return made.get(rule.name);
    const inputs = rule.inputs.map(make);
    const copy = defineRule({
      name: rule.name,
      filename: rule.filename,
      inputs,
      externallyTriggered: rule.inputs.length === 0,
      generate: async (ctx) => {
        const parts = inputs.map((i) => readFileSync(ctx.inputs[i.name]));
        writeFileSync(ctx.outputPath, Buffer.concat([...parts, Buffer.from(`${rule.name}\n`)]));
      },
    });
    made.set(rule.name, copy);
    return copy;
  };
  for (const rule of DEFAULT_PIPELINE.rules.values()) make(rule);
  return definePipeline('SHAPED', [...made.values()]);
}

/** Write a fully built event: every output plus a rider recording its inputs' hashes. */
function buildEvent(pipeline, dir, seed) {
  mkdirSync(dir, { recursive: true });
  const content = new Map();
  for (const name of pipeline.order) {
    const rule = pipeline.rules.get(name);
    const bytes = rule.inputs.length === 0
      ? Buffer.from(`${name} ${seed}\n`)
      : Buffer.concat([...rule.inputs.map((i) => content.get(i.name)), Buffer.from(`${name}\n`)]);
    content.set(name, bytes);
    writeFileSync(join(dir, rule.filename), bytes);
    const inputs = Object.fromEntries(rule.inputs.map((i) => [i.name, xxh64(content.get(i.name))]));
    const rider = {
      checksums: { [name]: sha256(bytes) }, dep_checksums: {}, dep_subset_checksums: {}, version: 'bench',
      manifest_filehandlers: `(${name},)`, wall_time: 0, generation_uuid: '0', generation_time: new Date().toISOString(), flags: {},
      llama: { schema: 1, rule: name, rule_version: rule.version, output: xxh64(bytes), inputs },
    };
    writeFileSync(join(dir, `.${rule.filename}.metadata.json`), `${JSON.stringify(rider, null, 4)}\n`);
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function child(runDir, stateDir, mode) {
  // One planning process: load the index, pass, save the index (as `llama run` does).
  const { HashCache, CleanEvents, Scheduler, runPass, discoverEvents } = core;
  const pipeline = shapedPipeline();
  const t0 = performance.now();
  const cache = HashCache.load(join(stateDir, 'hashes'));
  const clean = process.env.BENCH_NO_CLEAN === '1' ? undefined : CleanEvents.load(join(stateDir, 'clean.json'));
  const events = discoverEvents(runDir);
  const passes = mode === 'noop-warm' ? 2 : 1;
  let last;
  let ran = 0;
  for (let p = 0; p < passes; p++) {
    const t = performance.now();
    ran = 0;
    await runPass({ pipeline, events, cache, ...(clean ? { clean } : {}), scheduler: new Scheduler(4), emit: (e) => { if (e.type === 'step-succeeded') ran++; }, versioning: false, durable: false });
    last = performance.now() - t;
  }
  cache.save();
  clean?.save();
  const total = performance.now() - t0;
  process.stdout.write(JSON.stringify({ totalMs: total, passMs: last, ran, rssMB: process.resourceUsage().maxRSS / 1024 }));
}

const isMain = process.argv[1] === fileURLToPath(import.meta.url);
if (isMain && process.argv[2] === '--child') {
  await child(process.argv[3], process.argv[4], process.argv[5]);
  process.exit(0);
}

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const results = [];
for (const n of !isMain || process.argv[2] === '--child' ? [] : sizes.length ? sizes : [100, 1000, 10000]) {
  const root = join(process.env.BENCH_DIR ?? tmpdir(), `llama-planner-${n}`);
  rmSync(root, { recursive: true, force: true });
  const runDir = join(root, 'run');
  const pipeline = shapedPipeline();
  const tGen = performance.now();
  for (let i = 0; i < n; i++) buildEvent(pipeline, join(runDir, `S${String(i).padStart(6, '0')}`), i);
  const genS = (performance.now() - tGen) / 1000;
  const cacheFile = join(root, 'state');
  const run = (mode) => JSON.parse(execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', runDir, cacheFile, mode], { encoding: 'utf8', maxBuffer: 1 << 20 }));
  run('noop'); // first pass hashes everything and writes the index
  const row = { n, generateS: genS.toFixed(1) };
  for (const mode of ['noop', 'noop-warm']) {
    const rs = [run(mode), run(mode), run(mode)];
    row[mode] = { passMs: median(rs.map((r) => r.passMs)), totalMs: median(rs.map((r) => r.totalMs)), rssMB: Math.max(...rs.map((r) => r.rssMB)), ran: rs[0].ran };
  }
  const target = join(runDir, `S${String(Math.floor(n / 2)).padStart(6, '0')}`, 'skymap_info.json');
  const changes = [];
  for (let k = 0; k < 3; k++) {
    writeFileSync(target, `SkymapInfo changed ${k}\n`);
    changes.push(run('change'));
  }
  row.change = { passMs: median(changes.map((r) => r.passMs)), ran: changes[0].ran };
  const touches = [];
  for (let k = 0; k < 3; k++) {
    const t = new Date(Date.now() + 10_000 * (k + 1));
    utimesSync(target, t, t);
    touches.push(run('touch'));
  }
  row.touch = { passMs: median(touches.map((r) => r.passMs)), ran: touches[0].ran };
  results.push(row);
  console.log(JSON.stringify(row));
  if (process.env.BENCH_KEEP !== '1') rmSync(root, { recursive: true, force: true });
}
