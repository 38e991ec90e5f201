import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseDownselect } from '@llama/core';
import { main } from '@llama/cli';
import { describe, expect, it } from 'vitest';
import { hasStackTrace, llama, makeEvent, sandbox, writeSpec } from './harness.js';

/**
 * Bad command-line input: random and mutated `--downselect` strings, run globs and numeric
 * options. Never a stack trace; a usage problem is exit code 2 with a message naming it.
 * Bounded: a fixed number of cases from a seeded generator (LLAMA_FUZZ_SEED replays one run).
 */
const SEED = Number(process.env['LLAMA_FUZZ_SEED'] ?? Date.now() % 1_000_000);
const CASES = Number(process.env['LLAMA_FUZZ_CASES'] ?? 40);

function random(seed: number): () => number {
  let x = seed >>> 0 || 7;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}
const rand = random(SEED);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;

const KEYS = ['manual', 'vetoed', 'limit', 'sortkey', 'reverse', 'invert', 'fileexists', 'fhnameexists', 'modafter', 'sec_since_v0_lt', 'eventid_filter', 'bogus', 'MANUAL', '', ' limit', 'lim it'];
const VALUES = ['True', 'False', 'true', '0', '1', '-3', '2.5', '1e999', 'NaN', 'Infinity', 'mtime', 'eventid', 'abc', '', ' ', '=', '==', '%s%n', '\u0000', 'ünïcödé', '../../etc', 'x'.repeat(300), '[', '*'];
const GLOB_PARTS = ['*', '?', '[', ']', '[!a]', '{a,b}', '{', '}', '!(x)', '@(a|b)', '+(a)', '**', '\\', '..', '.', 'ev', 'S19', 'ünï', ' ', '%', '\u0007', '#', '~', '$HOME'];

function randomDownselect(): string {
  const parts: string[] = [];
  const n = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < n; i++) {
    const shape = rand();
    if (shape < 0.7) parts.push(`${pick(KEYS)}=${pick(VALUES)}`);
    else if (shape < 0.85) parts.push(pick(KEYS));
    else parts.push(pick(VALUES));
  }
  return parts.join(pick([',', ',', ',,', ', ', ';']));
}

function randomGlob(): string {
  let glob = '';
  const n = 1 + Math.floor(rand() * 5);
  for (let i = 0; i < n; i++) glob += pick(GLOB_PARTS);
  return glob;
}

/** Call the CLI's main() in this process (no start-up cost per case) and capture its output. */
async function inProcess(argv: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  const previousExitCode = process.exitCode;
  try {
    const code = await main(argv);
    return { code, stdout, stderr };
  } catch (error) {
    return { code: -1, stdout, stderr: `${stderr}\nTHREW: ${error instanceof Error ? error.stack : String(error)}` };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    process.exitCode = previousExitCode;
  }
}

describe(`bad command-line input (seed ${SEED})`, () => {
  const box = sandbox('llama-fuzz-');
  const spec = writeSpec(box.root, [
    { name: 'raw', output: 'raw.dat', external: true },
    { name: 'copy', output: 'copy.txt', inputs: ['raw'], command: 'cat raw.dat > copy.txt' },
  ]);
  for (const id of ['ev1', 'ev2', 'S190425z']) makeEvent(box.run, id, { 'raw.dat': `${id}\n` });
  mkdirSync(join(box.root, 'home'), { recursive: true });
  Object.assign(process.env, box.env);
  const base = (target: string, extra: string[]): string[] => ['run', target, '-D', '--rules', spec, '--dry-run-dirs', ...extra];

  it(`${CASES} random --downselect strings: exit 0 when they parse, else exit 2 naming the problem`, async () => {
    for (let i = 0; i < CASES; i++) {
      const text = randomDownselect();
      const result = await inProcess(base(`${box.run}/`, [`--downselect=${text}`]));
      const parsed = parseDownselect(text);
      const seen = { text, code: result.code, trace: hasStackTrace(result.stderr) };
      if (parsed.ok) {
        // A layer that parses may still be unusable (e.g. fileexists with a NUL byte): then a
        // one-line usage error is right too.
        expect({ ...seen, usage: result.code === 0 || /^llama: \S/.test(result.stderr) }, result.stderr).toEqual({ text, code: seen.code, trace: false, usage: true });
        expect([0, 2], result.stderr).toContain(result.code);
      } else {
        expect(seen, result.stderr).toEqual({ text, code: 2, trace: false });
        expect(result.stderr).toContain('invalid --downselect');
        expect(result.stderr).toContain((parsed.error[0] as { message: string }).message);
      }
    }
  });

  it(`${CASES} random run globs and mutated numeric options: exit 0 or 2, never a crash`, async () => {
    for (let i = 0; i < CASES; i++) {
      const glob = randomGlob();
      const target = pick([`${box.run}/${glob}`, `${box.run}/${glob}/`, glob, `/${glob}`, `//${glob}`, `${box.run}/${glob}/ev1`]);
      const extra = pick([[], ['-n', pick(['0', '-1', '1.5', 'x', '1e9', '3'])], ['--jobs', pick(['0', 'two', '2'])], ['--downselect', '']]);
      const result = await inProcess(base(target, extra));
      const seen = { target, extra, trace: hasStackTrace(result.stderr), usage: result.code === 0 || result.code === 2 };
      expect(seen, result.stderr).toEqual({ target, extra, trace: false, usage: true });
      if (result.code === 2) expect(result.stderr.trim(), target).toMatch(/^llama: \S/);
    }
  });

  it('the real command, spawned: usage errors exit 2 with a message and no stack trace', async () => {
    const cases = [
      ['--downselect=limit=-1,nonsense'],
      ['--downselect=sortkey=banana'],
      ['-n', 'many'],
    ];
    for (const extra of cases) {
      const result = await llama(box, ['run', `${box.run}/`, '-F', '-o', '-D', '--rules', spec, '-l', '/dev/null', ...extra]);
      expect({ extra, code: result.code, trace: hasStackTrace(result.stderr) }).toEqual({ extra, code: 2, trace: false });
      expect(result.stderr).toMatch(/^llama: /);
    }
  });
});
