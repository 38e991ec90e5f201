#!/usr/bin/env node
// `llama status` against a no-op `llama run --dry-run` of the same run (bench/README.md, "Status").
// Makes a run of N events (default 1 000) of a three-rule command pipeline, builds it once, then
// times both commands interleaved (this machine is noisy) and prints their medians and the ratio.
// Usage: node bench/status.mjs [-N 1000] [-n 7] [--dir bench/work/status]
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = dirname(dirname(fileURLToPath(import.meta.url)));
const bin = join(repo, 'packages', 'cli', 'bin', 'llama.js');
const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const N = Number(opt('-N', 1000));
const rounds = Number(opt('-n', 7));
const dir = resolve(opt('--dir', join(repo, 'bench', 'work', 'status')));

const spec = {
  name: 'chain',
  rules: [
    { name: 'Raw', output: 'raw.dat', external: true },
    { name: 'Prep', output: 'prep.dat', inputs: ['Raw'], command: 'cat raw.dat > prep.dat' },
    { name: 'Done', output: 'done.txt', inputs: ['Prep'], command: 'wc -l < prep.dat > done.txt' },
  ],
};
rmSync(dir, { recursive: true, force: true });
mkdirSync(join(dir, 'run'), { recursive: true });
writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec));
for (let i = 0; i < N; i++) {
  const event = join(dir, 'run', `S${String(i).padStart(6, '0')}`);
  mkdirSync(event);
  writeFileSync(join(event, 'raw.dat'), `event ${i}\n`);
}
const env = { ...process.env, LLAMA_CACHEDIR: join(dir, 'cache'), LLAMA_OUTPUT_DIR: join(dir, 'out'), LLAMA_VERSIONING: 'off', LLAMA_FSYNC: 'off', LLAMA_DEV_MODE: '1' };
const common = ['--rules', join(dir, 'spec.json')];
const build = spawnSync(process.execPath, [bin, 'run', join(dir, 'run') + '/', '-o', '-F', '-n', '1000000', '-l', '/dev/null', '-v', 'warning', ...common], { env, stdio: 'inherit' });
if (build.status !== 0) throw new Error(`the build failed (exit ${build.status})`);

const commands = [
  { label: 'llama run --dry-run (no-op)', argv: ['run', join(dir, 'run') + '/', '-o', '--dry-run', '-n', '1000000', '-l', '/dev/null', '-v', 'warning', ...common] },
  { label: 'llama status', argv: ['status', join(dir, 'run') + '/', ...common] },
  { label: 'llama status --json', argv: ['status', join(dir, 'run') + '/', '--json', ...common] },
];
for (const c of commands) c.times = [];
for (let round = 0; round < rounds; round++) {
  for (const c of commands) {
    const start = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [bin, ...c.argv], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    c.times.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (r.status !== 0) console.error(`${c.label}: exit ${r.status}: ${r.stderr}`);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = median(commands[0].times);
for (const c of commands) console.log(`${c.label.padEnd(30)} ${median(c.times).toFixed(0).padStart(6)} ms  (${(median(c.times) / base).toFixed(2)}×)`);
