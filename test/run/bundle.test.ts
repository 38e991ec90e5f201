import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LLAMA_BIN, REPO, tempHome, writeFiles } from '../helpers/llama.js';
// @ts-expect-error: a plain-JS build script, no types
import { stringWidthAscii } from '../../scripts/bundle-string-width.mjs';

// packages/cli/bin/llama.js runs `llama run` from dist/llama.bundle.cjs (scripts/bundle.mjs, built
// by the global setup) when it is fresh. These tests check that it behaves as dist/main.js does,
// and that the bin falls back to dist/main.js whenever the bundle may be stale.

const CLI_DIST = join(REPO, 'packages', 'cli', 'dist');
const BUNDLE = join(CLI_DIST, 'llama.bundle.cjs');
const CODE_CACHE = join(CLI_DIST, 'llama.bundle.cache');
const BUILD_INPUTS = ['packages/cli/dist/.tsbuildinfo', 'packages/core/dist/.tsbuildinfo', 'pipelines/llama/dist/.tsbuildinfo', 'node_modules/.package-lock.json'];

interface Outcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(script: string, args: readonly string[], cwd: string, env: Record<string, string> = {}): Outcome {
  const result = spawnSync(process.execPath, [script, ...args], {
    cwd,
    env: { ...process.env, LLAMA_DEV_MODE: '1', COLUMNS: '100', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the llama run bundle behaves as dist/main.js', () => {
  let home: ReturnType<typeof tempHome>;
  let viaDist: string;

  beforeAll(() => {
    home = tempHome('llama-bundle-');
    // The CLI as it runs without the bundle: dist/main.js, as bin/llama.js imported it before.
    viaDist = join(home.root, 'llama-dist.mjs');
    writeFileSync(viaDist, `import { main } from ${JSON.stringify(pathToFileURL(join(CLI_DIST, 'main.js')).href)};\nprocess.exitCode = await main(process.argv.slice(2));\n`);
    // A small JSON pipeline over two events: one up to date, one with work to do.
    writeFiles(home.root, {
      'rules.json': JSON.stringify({
        name: 'small',
        rules: [
          { name: 'source', output: 'in.txt', external: true },
          { name: 'copy', output: 'out.txt', inputs: ['in.txt'], command: 'cat in.txt > out.txt' },
          { name: 'count', output: 'count.txt', inputs: ['out.txt'], command: 'wc -c < out.txt > count.txt' },
        ],
      }),
      'events/done/in.txt': 'a\n',
      'events/done/out.txt': 'a\n',
      'events/todo/in.txt': 'b\n',
    });
  });
  afterAll(() => rmSync(home.root, { recursive: true, force: true }));

  it('is built and newer than the compiled sources, so bin/llama.js uses it', () => {
    const built = statSync(BUNDLE).mtimeMs;
    for (const info of BUILD_INPUTS) expect(statSync(join(REPO, info)).mtimeMs, info).toBeLessThanOrEqual(built);
    // Forcing a code-cache write shows which path ran: only the bundle writes it.
    const before = statSync(CODE_CACHE).mtimeMs;
    expect(run(LLAMA_BIN, ['--version'], home.root, { LLAMA_BUNDLE_CACHE: 'write' }).code).toBe(0);
    expect(statSync(CODE_CACHE).mtimeMs).toBeGreaterThan(before);
  });

  const invocations: readonly (readonly string[])[] = [
    [],
    ['--help'],
    ['--version'],
    ['run', '--help'],
    ['run', '-V'],
    ['bogus'],
    ['run', '--no-such-option'],
    ['run', 'events/', '-F', '-o', '--dry-run', '--rules', 'rules.json'],
    ['run', 'events/', '-F', '-o', '--dry-run', '--json', '--rules', 'rules.json'],
    ['run', 'events/', '-F', '-o', '--dry-run', '--verbose', '--rules', 'rules.json'],
    ['run', 'events/', '-F', '-o', '--dry-run-dirs', '--rules', 'rules.json'],
    ['run', 'events/', '-F', '-o', '--rules', 'missing.json'],
    ['run', 'events/', '-F', '-o', '--dry-run', '+f', 'SkymapInfo'],
    ['run', 'events/', '-F', '-o', '--print-default-pipeline'],
    ['run', 'events/', '-F', '-o', '-f', 'NoSuchRule'],
  ];
  it.each(invocations.map((args) => [args.join(' ') || '(no arguments)', args] as const))('llama %s: same stdout, stderr and exit code', (_, args) => {
    const env = { ...home.env, LLAMA_VERSIONING: 'off' };
    const bundled = run(LLAMA_BIN, args, home.root, env);
    const unbundled = run(viaDist, args, home.root, env);
    expect(bundled).toEqual(unbundled);
  });

  it('plans the same work as dist/main.js and then does it', () => {
    const env = { ...home.env, LLAMA_VERSIONING: 'off' };
    const plan = run(LLAMA_BIN, ['run', 'events/', '-F', '-o', '--dry-run', '--rules', 'rules.json'], home.root, env);
    expect(plan.stdout).toContain('todo');
    const done = run(LLAMA_BIN, ['run', 'events/', '-F', '-o', '-l', '/dev/null', '--rules', 'rules.json'], home.root, env);
    expect(done.code, done.stderr).toBe(0);
    expect(readFileSync(join(home.root, 'events', 'todo', 'out.txt'), 'utf8')).toBe('b\n');
    expect(readFileSync(join(home.root, 'events', 'todo', 'count.txt'), 'utf8').trim()).toBe('2');
  });
});

describe('bin/llama.js chooses between the bundle and dist/main.js', () => {
  // A stand-in checkout: the real bin/llama.js, with a dist/main.js and a bundle that say which ran.
  let root: string;
  let bin: string;
  const cli = (...parts: string[]) => join(root, 'packages', 'cli', ...parts);
  const setMtime = (file: string, secondsAgo: number) => {
    const when = new Date(Date.now() - secondsAgo * 1000);
    utimesSync(file, when, when);
  };

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'llama-bin-'));
    mkdirSync(cli('bin'), { recursive: true });
    bin = cli('bin', 'llama.js');
    copyFileSync(LLAMA_BIN, bin);
    writeFiles(root, {
      'packages/cli/package.json': JSON.stringify({ type: 'module' }),
      'packages/cli/dist/main.js': "export async function main(argv) { process.stdout.write(`dist ${argv.join(' ')}\\n`); return 3; }\n",
      // The bundle also imports outside itself (as it does for winston and the science modules).
      'packages/cli/dist/llama.bundle.cjs':
        "exports.main = async (argv) => { const os = await __llamaImport('node:os'); process.stdout.write(`bundle ${argv.join(' ')} ${typeof os.cpus}\\n`); return 4; };\n",
      'packages/cli/dist/.tsbuildinfo': '{}',
      'packages/core/dist/.tsbuildinfo': '{}',
      'pipelines/llama/dist/.tsbuildinfo': '{}',
      'node_modules/.package-lock.json': '{}',
    });
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const freshTree = () => {
    for (const info of BUILD_INPUTS) setMtime(join(root, info), 60);
    setMtime(cli('dist', 'llama.bundle.cjs'), 30);
  };

  it('runs `llama run`, --help and --version from a fresh bundle, other commands from dist', () => {
    freshTree();
    expect(run(bin, ['run', 'x'], root)).toMatchObject({ code: 4, stdout: 'bundle run x function\n', stderr: '' });
    expect(run(bin, ['--help'], root)).toMatchObject({ code: 4, stdout: 'bundle --help function\n' });
    expect(run(bin, ['-h', 'run'], root)).toMatchObject({ code: 4, stdout: 'bundle -h run function\n' });
    expect(run(bin, ['flags', 'run'], root)).toMatchObject({ code: 3, stdout: 'dist flags run\n' });
    expect(run(bin, ['ingest'], root)).toMatchObject({ code: 3, stdout: 'dist ingest\n' });
  });

  it.each(BUILD_INPUTS)('runs dist/main.js once %s is newer than the bundle (a tsc -b or npm install after the bundle was made)', (info) => {
    freshTree();
    setMtime(join(root, info), 0);
    expect(run(bin, ['run', 'x'], root)).toMatchObject({ code: 3, stdout: 'dist run x\n' });
  });

  it('runs dist/main.js when the bundle or a build-info file is missing', () => {
    freshTree();
    const info = join(root, 'packages', 'core', 'dist', '.tsbuildinfo');
    rmSync(info);
    expect(run(bin, ['run', 'x'], root)).toMatchObject({ code: 3, stdout: 'dist run x\n' });
    writeFileSync(info, '{}');
    freshTree();
    const bundle = cli('dist', 'llama.bundle.cjs');
    const source = readFileSync(bundle);
    rmSync(bundle);
    expect(run(bin, ['run', 'x'], root)).toMatchObject({ code: 3, stdout: 'dist run x\n' });
    writeFileSync(bundle, source);
  });

  it('writes a code cache, keeps one V8 accepts, and replaces a rejected or outdated one', () => {
    freshTree();
    const cache = cli('dist', 'llama.bundle.cache');
    rmSync(cache, { force: true });
    expect(run(bin, ['run', 'x'], root).code).toBe(4);
    expect(readFileSync(cache).length).toBeGreaterThan(0);
    setMtime(cache, 10);
    const acceptedAt = statSync(cache).mtimeMs;
    expect(run(bin, ['run', 'x'], root).code).toBe(4);
    expect(statSync(cache).mtimeMs).toBe(acceptedAt); // accepted: not written again

    writeFileSync(cache, 'not a V8 code cache');
    expect(run(bin, ['run', 'x'], root)).toMatchObject({ code: 4, stdout: 'bundle run x function\n', stderr: '' });
    expect(readFileSync(cache, 'utf8')).not.toBe('not a V8 code cache');
    expect(readFileSync(cache).length).toBeGreaterThan(0);

    setMtime(cache, 45); // older than the bundle: made for a previous build, never offered to V8
    expect(run(bin, ['run', 'x'], root).code).toBe(4);
    expect(statSync(cache).mtimeMs).toBeGreaterThan(acceptedAt);
  });
});

describe("the bundle's string-width answer for ASCII text", () => {
  // scripts/bundle-string-width.mjs answers ASCII without ESC itself; every installed copy of
  // string-width must agree with it, or the bundle would lay out help text differently.
  const copies = ['node_modules/string-width', 'node_modules/cliui/node_modules/string-width', 'node_modules/wrap-ansi/node_modules/string-width'];
  const measure = stringWidthAscii as (input: unknown) => number | undefined;

  it.each(copies)('matches %s on generated ASCII strings, and declines ESC and non-ASCII', async (copy) => {
    const stringWidth = ((await import(pathToFileURL(join(REPO, copy, 'index.js')).href)) as { default: (text: string, options?: object) => number }).default;
    let random = 12345;
    const next = () => (random = (random * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const samples = ['', 'a', '\n', '\r\n', '\t', '\x7f', 'Usage: llama run [options]', '  -F, --foreground  Stay in the foreground'];
    for (let i = 0; i < 3000; i++) samples.push(Array.from({ length: Math.floor(next() * 20) }, () => String.fromCharCode(next() < 0.15 ? Math.floor(next() * 32) : 32 + Math.floor(next() * 96))).join(''));
    for (const text of samples) {
      const width = measure(text);
      if (text.includes('\x1b')) expect(width).toBeUndefined();
      else expect(width, JSON.stringify(text)).toBe(stringWidth(text));
      expect(measure(text), JSON.stringify(text)).toBe(text.includes('\x1b') ? undefined : stringWidth(text, { ambiguousIsNarrow: false, countAnsiEscapeCodes: true }));
    }
    for (const text of ['\x1b[31mred\x1b[0m', 'caf\u00e9', '\u4e00', '\u{1F600}']) expect(measure(text)).toBeUndefined();
    expect(measure(42)).toBeUndefined();
  });
});
