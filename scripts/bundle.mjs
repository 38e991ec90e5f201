#!/usr/bin/env node
// Bundles the `llama run` hot path into ONE CommonJS file, packages/cli/dist/llama.bundle.cjs, and
// warms its V8 code cache (llama.bundle.cache next to it). packages/cli/bin/llama.js loads it
// instead of dist/main.js when it is not older than the compiled sources. Why: `llama run` spent
// ~0.13 s of its start-up resolving, reading and compiling ~100 ES modules (tsc output, @llama/core,
// yargs); one pre-compiled script starts in a fraction of that (bench/README.md, "CLI bundle and
// code cache"). Node 20 has no module.enableCompileCache, and vm.Script's cachedData needs a
// script, hence CommonJS.
//
// What the bundle holds: packages/cli/dist (every command, each still loaded on demand), @llama/core,
// yargs and what they import, and from @llama/pipelines the rule definitions (names, pipelines,
// rules/*) so that those and the CLI share one @llama/core. Not bundled, loaded from disk as
// before when first needed: the science modules the rules import lazily, the @llama/pipelines
// index (used by the event/ingest/skymap/background commands, which bin/llama.js runs from dist
// for that reason), winston, @slack/web-api and @llama/web (`llama serve`, also run from dist).
//
// Run after `tsc -b` (root `prepare`/`build`, test/global-setup.ts).
// Usage: node scripts/bundle.mjs [--if-stale]   (--if-stale: do nothing if the bundle is current)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';
import { stringWidthOnDemand } from './bundle-string-width.mjs';

const repo = dirname(dirname(fileURLToPath(import.meta.url)));
const cliDist = join(repo, 'packages', 'cli', 'dist');
const bundleFile = join(cliDist, 'llama.bundle.cjs');
const cacheFile = join(cliDist, 'llama.bundle.cache');
const pipelinesDist = join(repo, 'pipelines', 'llama', 'dist');
const pipelineRulesDir = join(pipelinesDist, 'rules') + sep;

/** Path from the bundle's directory to `file`, '/'-separated: how the bundle names a file at run time. */
const fromBundle = (file) => relative(cliDist, file).split(sep).join('/');

/** Bare imports left to Node (loaded on first use, outside the bundle). */
const EXTERNAL_PACKAGES = new Set(['@llama/pipelines', '@llama/web', '@llama/listen', 'winston', '@slack/web-api']);

/**
 * Bundled modules keep their own `import.meta.url` (yargs finds its locales with it, version.ts
 * the CLI package.json, dev-mode.ts the git checkout, @llama/core requires fast-glob from it):
 * each becomes the original file's URL, computed from the bundle's location at run time so that
 * the checkout can move.
 */
const ownModuleUrl = {
  name: 'llama-own-module-url',
  transform(code, id) {
    if (!code.includes('import.meta.url')) return null;
    return { code: code.replaceAll('import.meta.url', `__llamaModuleUrl(${JSON.stringify(fromBundle(id))})`), map: null };
  },
};

/**
 * Dynamic imports that leave the bundle. Node 20 can run import() in a vm.Script only with an
 * experimental flag or warning, so the bundle calls __llamaImport, which bin/llama.js passes in
 * (`(specifier) => import(specifier)`: bare names resolve from packages/cli as before).
 * The rules import their science modules lazily (`import('../icecube/rule.js')`): those stay
 * lazy and outside the bundle (they pull in h5wasm, canvas, pdfkit, d3 …), loaded from
 * pipelines/llama/dist as before.
 */
const importsLeavingTheBundle = {
  name: 'llama-imports-leaving-the-bundle',
  transform(code, id) {
    const rewritten = code.replace(/\bimport\((['"])([^'"]+)\1\)/g, (call, _quote, specifier) => {
      if (EXTERNAL_PACKAGES.has(specifier)) return `__llamaImport(${JSON.stringify(specifier)})`;
      if (id.startsWith(pipelineRulesDir) && specifier.startsWith('.')) {
        return `__llamaImport(__llamaModuleUrl(${JSON.stringify(fromBundle(join(dirname(id), specifier)))}))`;
      }
      return call;
    });
    return rewritten === code ? null : { code: rewritten, map: null };
  },
  renderChunk(code) {
    if (/\bimport\(/.test(code.replace(/\/\/.*|\/\*[\s\S]*?\*\//g, ''))) this.error('the bundle still contains an import() call; route it through __llamaImport');
    return null;
  },
};

if (process.argv.includes('--if-stale') && bundleIsCurrent()) process.exit(0);

const build = await rolldown({
  input: join(cliDist, 'main.js'),
  platform: 'node',
  external: (id) => id.startsWith('node:') || EXTERNAL_PACKAGES.has(id),
  plugins: [ownModuleUrl, importsLeavingTheBundle, stringWidthOnDemand],
  onLog(level, log, handler) {
    // yargs' `extends` option calls import.meta.resolve (llama does not use it); the rest of
    // import.meta is handled by ownModuleUrl.
    if (log.code === 'EMPTY_IMPORT_META' && log.id?.includes(`${sep}yargs${sep}`)) return;
    handler(level, log);
  },
});
const { output } = await build.generate({
  format: 'cjs',
  codeSplitting: false,
  banner: [
    '// Generated by scripts/bundle.mjs from packages/cli/dist and its imports: do not edit.',
    '"use strict"; // as the ES modules it is made of',
    '// Run by packages/cli/bin/llama.js, which also passes __llamaImport.',
    'const __llamaModuleUrl = (path) => require("node:url").pathToFileURL(require("node:path").join(__dirname, path)).href;',
  ].join('\n'),
});
await build.close();
if (output.length !== 1 || output[0].type !== 'chunk') throw new Error(`expected one chunk, got ${output.map((o) => o.fileName).join(', ')}`);

// Replace bundle and cache by renaming: other checkouts' tests may be starting llama right now.
// A code cache made for the previous bundle must not meet the new one (V8 compares lengths only);
// bin/llama.js also ignores a cache older than the bundle.
const partial = `${bundleFile}.${process.pid}`;
writeFileSync(partial, output[0].code);
rmSync(cacheFile, { force: true });
renameSync(partial, bundleFile);

// Warm the code cache with a representative `llama run` (one event, one rule to generate, a
// no-op pass): the cache holds the functions compiled by then, so later runs do not compile them.
// (bin/llama.js also writes the cache when it finds none; LLAMA_BUNDLE_CACHE=write forces it.)
const scratch = mkdtempSync(join(tmpdir(), 'llama-bundle-'));
try {
  const rules = join(scratch, 'rules.json');
  writeFileSync(rules, JSON.stringify({
    name: 'warm',
    rules: [
      { name: 'source', output: 'in.txt', external: true },
      { name: 'copy', output: 'out.txt', inputs: ['in.txt'], command: 'cat in.txt > out.txt' },
    ],
  }));
  mkdirSync(join(scratch, 'events', 'ev0'), { recursive: true });
  writeFileSync(join(scratch, 'events', 'ev0', 'in.txt'), 'warm\n');
  execFileSync(
    process.execPath,
    [join(repo, 'packages', 'cli', 'bin', 'llama.js'), 'run', join(scratch, 'events') + '/', '-F', '-o', '-D', '-l', '/dev/null', '-v', 'warning', '--rules', rules],
    {
      env: { ...process.env, LLAMA_BUNDLE_CACHE: 'write', LLAMA_VERSIONING: 'off', LLAMA_CACHEDIR: join(scratch, 'cache'), LLAMA_OUTPUT_DIR: join(scratch, 'out') },
      stdio: 'inherit',
    },
  );
  if (!existsSync(join(scratch, 'events', 'ev0', 'out.txt'))) throw new Error('warm-up run did not generate out.txt');
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

/** Is the bundle newer than everything it is made from (the tsc builds, installed packages, this script)? */
function bundleIsCurrent() {
  const inputs = [
    join(cliDist, '.tsbuildinfo'),
    join(repo, 'packages', 'core', 'dist', '.tsbuildinfo'),
    join(pipelinesDist, '.tsbuildinfo'),
    join(repo, 'node_modules', '.package-lock.json'),
    fileURLToPath(import.meta.url),
  ];
  try {
    const built = statSync(bundleFile).mtimeMs;
    return existsSync(cacheFile) && inputs.every((file) => statSync(file).mtimeMs <= built);
  } catch {
    return false;
  }
}
