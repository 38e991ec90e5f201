#!/usr/bin/env node
// Start-up benchmark for the CLI bundle (bench/README.md, "CLI bundle and code cache"): runs each
// labelled command N times, interleaved (A B C A B C …) because this machine is noisy, and prints
// the median wall time of each. Usage:
//   node scripts/bundle-bench.mjs [-n 10] [-C dir] 'label=command line' 'label=command line' …
// Commands run through `sh -c` with stdout/stderr discarded; a non-zero exit is reported.
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
let rounds = 10;
let cwd = process.cwd();
const commands = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '-n') rounds = Number(args[++i]);
  else if (args[i] === '-C') cwd = args[++i];
  else {
    const eq = args[i].indexOf('=');
    commands.push({ label: args[i].slice(0, eq), command: args[i].slice(eq + 1), times: [] });
  }
}
for (let round = 0; round < rounds; round++) {
  for (const c of commands) {
    const start = process.hrtime.bigint();
    const result = spawnSync('sh', ['-c', c.command], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    c.times.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (result.status !== 0) console.error(`${c.label}: exit ${result.status}: ${result.stderr}`);
  }
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
for (const c of commands) console.log(`${c.label.padEnd(24)} median ${median(c.times).toFixed(1).padStart(7)} ms  (min ${Math.min(...c.times).toFixed(1)}, max ${Math.max(...c.times).toFixed(1)}, n=${rounds})`);
