#!/usr/bin/env node
// The bundled example, offline: `llama run examples/run/ -F -o` with every external service
// pointed at local files (a file:// GraceDB mirror, a neutrino archive, a GRB catalogue) and the
// output/cache directories kept inside examples/.state. Extra arguments go to `llama run`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = dirname(dirname(fileURLToPath(import.meta.url)));
const examples = join(repo, 'examples');
const env = {
  ...process.env,
  LLAMA_OUTPUT_DIR: process.env.LLAMA_OUTPUT_DIR ?? join(examples, '.state', 'output'),
  LLAMA_CACHEDIR: process.env.LLAMA_CACHEDIR ?? join(examples, '.state', 'cache'),
  LLAMA_GRACEDB_URL: pathToFileURL(join(examples, 'gracedb')).href + '/',
};
const archive = join(examples, 'icecube', 'neutrinos.jsonl');
if (existsSync(archive)) {
  env.LLAMA_ICECUBE_SOURCE = pathToFileURL(archive).href;
  env.LLAMA_NEUTRINO_ARCHIVE_URL = pathToFileURL(archive).href;
}
const grbs = join(examples, 'fermi', 'grbs.csv');
if (existsSync(grbs)) env.LLAMA_FERMI_GRB_CATALOG = grbs;

const args = ['run', join(examples, 'run') + '/', '-F', '-o', ...process.argv.slice(2)];
console.error(`llama ${args.join(' ')}`);
const result = spawnSync(process.execPath, [join(repo, 'packages', 'cli', 'bin', 'llama.js'), ...args], { stdio: 'inherit', env });
process.exitCode = result.status ?? 1;
