#!/usr/bin/env node
// `llama run` starts from dist/llama.bundle.cjs (scripts/bundle.mjs: the hot path in one script,
// compiled from a V8 code cache) when that bundle is not older than the compiled sources; else,
// and for the commands that load the @llama/pipelines index (event, ingest, skymap, background:
// its modules would get a second copy of @llama/core), from dist/main.js as tsc wrote it.
import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const bin = dirname(fileURLToPath(import.meta.url));
const bundleFile = join(bin, '..', 'dist', 'llama.bundle.cjs');
const cacheFile = join(bin, '..', 'dist', 'llama.bundle.cache');
/** What the bundle is made from: written by every `tsc -b` that changed a project, and by npm installs. */
const BUILD_INPUTS = [
  join(bin, '..', 'dist', '.tsbuildinfo'),
  join(bin, '..', '..', 'core', 'dist', '.tsbuildinfo'),
  join(bin, '..', '..', '..', 'pipelines', 'llama', 'dist', '.tsbuildinfo'),
  join(bin, '..', '..', '..', 'node_modules', '.package-lock.json'),
];

/** Does this invocation stay within the bundle: `llama run …`, or no command (--help, --version, usage errors)? */
function bundleServes(argv) {
  const command = argv.find((arg) => !arg.startsWith('-'));
  return command === undefined || command === 'run';
}

/** When the bundle was built, if it is present and not older than what it is made from. */
function freshBundleTime() {
  try {
    const built = statSync(bundleFile).mtimeMs;
    return BUILD_INPUTS.every((file) => statSync(file).mtimeMs <= built) ? built : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The code cache, if made for this build of the bundle. V8 checks the source only by its length,
 * so a cache older than the bundle is never offered.
 */
function readCodeCache(bundleBuilt) {
  try {
    return statSync(cacheFile).mtimeMs >= bundleBuilt ? readFileSync(cacheFile) : undefined;
  } catch {
    return undefined;
  }
}

/** Compile the bundle (from its code cache when V8 accepts it) and run it as CommonJS. */
function loadBundle(bundleBuilt) {
  const cachedData = readCodeCache(bundleBuilt);
  const source = readFileSync(bundleFile, 'utf8');
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname, __llamaImport) {${source}\n})`, { filename: bundleFile, cachedData });
  const module = { exports: {} };
  // The bundle's dynamic imports (science modules, winston, …) come here: import() in a vm.Script needs an experimental flag.
  const importOutside = (specifier) => import(specifier);
  script.runInThisContext()(module.exports, createRequire(bundleFile), module, bundleFile, dirname(bundleFile), importOutside);
  const writeCache = cachedData === undefined || script.cachedDataRejected === true || process.env.LLAMA_BUNDLE_CACHE === 'write';
  return { main: module.exports.main, afterRun: writeCache ? () => saveCodeCache(script) : () => {} };
}

/** After a run, store what V8 compiled (a missing or read-only dist only costs speed). */
function saveCodeCache(script) {
  const partial = `${cacheFile}.${process.pid}`;
  try {
    writeFileSync(partial, script.createCachedData());
    renameSync(partial, cacheFile);
  } catch {
    rmSync(partial, { force: true }); // not writable: start without a cache
  }
}

/**
 * A clean `llama run` pass stats every file of every event, on two threads (ParallelStat in
 * @llama/core). Its worker thread takes ~30 ms to start, about what loading the CLI takes, so it
 * is started first; the run command adopts it, or stops it when it has no use for it.
 */
async function startStatWorker() {
  try {
    const { Worker } = await import('node:worker_threads');
    const worker = new Worker(new URL('state/stat-worker.js', import.meta.resolve('@llama/core')));
    const key = Symbol.for('llama.early-stat-worker');
    worker.on('error', () => {
      if (globalThis[key] === worker) delete globalThis[key];
    });
    worker.unref();
    globalThis[key] = worker;
  } catch {
    // the run command starts its own, or does without
  }
}

const argv = process.argv.slice(2);
if (argv.find((arg) => !arg.startsWith('-')) === 'run' && !argv.some((arg) => arg === '--help' || arg === '-h')) await startStatWorker();
const bundleBuilt = bundleServes(argv) ? freshBundleTime() : undefined;
const { main, afterRun } = bundleBuilt !== undefined ? loadBundle(bundleBuilt) : { ...(await import('../dist/main.js')), afterRun: () => {} };
process.exitCode = await main(argv);
afterRun();
