import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import xxhash from 'xxhash-wasm';

/** Helpers for the fault tests: temp runs, JSON rule specs, and the real CLI in a child process. */

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const LLAMA = join(REPO, 'packages', 'cli', 'bin', 'llama.js');

const { h64Raw } = await xxhash();
/** xxh64 (seed 0) as llama riders record it: 16 lowercase hex digits. */
export function xxh64Hex(bytes: Uint8Array): string {
  return h64Raw(bytes).toString(16).padStart(16, '0');
}

export interface Sandbox {
  readonly root: string;
  readonly run: string;
  readonly env: Record<string, string>;
}

/** A temp directory with a run directory, and an environment that keeps llama's state inside it. */
export function sandbox(prefix = 'llama-fault-'): Sandbox {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const run = join(root, 'run');
  mkdirSync(run);
  const env = {
    HOME: join(root, 'home'),
    LLAMA_CACHEDIR: join(root, 'cache'),
    LLAMA_OUTPUT_DIR: join(root, 'out'),
    LLAMA_VERSIONING: 'off',
  };
  return { root, run, env };
}

export interface SpecRule {
  readonly name: string;
  readonly output: string;
  readonly inputs?: readonly string[];
  readonly command?: string;
  readonly external?: boolean;
  readonly timeout?: number;
}

export function writeSpec(dir: string, rules: readonly SpecRule[], name = 'faults'): string {
  const path = join(dir, 'spec.json');
  writeFileSync(path, `${JSON.stringify({ name, rules }, null, 2)}\n`);
  return path;
}

/**
 * A small DAG with fan-out and fan-in whose commands take a few ms and write their output in
 * several steps (so a torn output would show), deterministic in the inputs.
 */
export function stepwiseRules(): SpecRule[] {
  const rules: SpecRule[] = [{ name: 'raw', output: 'raw.dat', external: true }];
  for (let i = 1; i <= 4; i++) {
    rules.push({ name: `s${i}`, output: `s${i}.txt`, inputs: ['raw'], command: `for k in 1 2 3 4 5 6; do cat raw.dat; echo "s${i} $k"; done > s${i}.txt` });
  }
  rules.push({ name: 'merge', output: 'merge.txt', inputs: ['s1', 's2', 's3', 's4'], command: 'cat s1.txt s2.txt > merge.txt; cat s3.txt s4.txt | cksum >> merge.txt; cat s4.txt >> merge.txt' });
  rules.push({ name: 't1', output: 't1.txt', inputs: ['merge'], command: 'sort merge.txt > t1.txt; wc -c merge.txt >> t1.txt' });
  rules.push({ name: 't2', output: 't2.txt', inputs: ['merge', 's1'], command: 'cat s1.txt merge.txt | cksum > t2.txt; cat merge.txt >> t2.txt' });
  rules.push({ name: 'done', output: 'done.txt', inputs: ['t1', 't2'], command: 'cat t1.txt t2.txt | cksum > done.txt' });
  return rules;
}

export const outputsOf = (rules: readonly SpecRule[]): string[] => rules.filter((r) => r.external !== true).map((r) => r.output);

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Start `llama ARGS` (the built CLI) with the sandbox environment. */
export function startLlama(box: Sandbox, args: readonly string[], extraEnv: Record<string, string> = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [LLAMA, ...args], { cwd: box.root, env: { ...process.env, ...box.env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<CliResult>((resolvePromise) => {
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

export function llama(box: Sandbox, args: readonly string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
  return startLlama(box, args, extraEnv).done;
}

/** `llama run RUN/ -F -o` with the spec, quiet logs, every event, dev mode (the tree may have local edits). */
export function runOnceArgs(target: string, spec: string, extra: readonly string[] = []): string[] {
  return ['run', target, '-F', '-o', '-D', '--rules', spec, '-n', '100000', '-l', '/dev/null', '-v', 'warning', ...extra];
}

export function makeEvent(run: string, id: string, files: Record<string, string>): string {
  const dir = join(run, id);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

export interface RiderCheck {
  /** Riders whose llama.output does not match the bytes on disk (or whose file is missing). */
  readonly lying: string[];
  /** Riders that are not valid JSON (torn). */
  readonly torn: string[];
}

/** Every metadata rider in the event must describe exactly the bytes of its file. */
export function checkRiders(eventDir: string): RiderCheck {
  const lying: string[] = [];
  const torn: string[] = [];
  for (const name of readdirSync(eventDir)) {
    const m = /^\.(.+)\.metadata\.json$/.exec(name);
    if (m === null) continue;
    const file = join(eventDir, m[1] as string);
    let rider: { llama?: { output?: string } };
    try {
      rider = JSON.parse(readFileSync(join(eventDir, name), 'utf8')) as typeof rider;
    } catch {
      torn.push(join(eventDir, name));
      continue;
    }
    const claimed = rider.llama?.output;
    if (!existsSync(file) || claimed !== xxh64Hex(readFileSync(file))) lying.push(`${file} (rider says ${claimed ?? 'nothing'})`);
  }
  return { lying, torn };
}

/** Content of every listed output that exists, by name. */
export function outputBytes(eventDir: string, outputs: readonly string[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const name of outputs) {
    const path = join(eventDir, name);
    if (existsSync(path)) found.set(name, xxh64Hex(readFileSync(path)));
  }
  return found;
}

/** What a rider records about the generation: the input hashes and the rule version. */
export function riderInputs(eventDir: string, output: string): unknown {
  const path = join(eventDir, `.${output}.metadata.json`);
  if (!existsSync(path)) return undefined;
  const rider = JSON.parse(readFileSync(path, 'utf8')) as { llama?: { inputs?: unknown; rule_version?: unknown; output?: unknown } };
  return { inputs: rider.llama?.inputs, version: rider.llama?.rule_version, output: rider.llama?.output };
}

/** No Node stack frames and no "internal error" in a CLI's stderr. */
export function hasStackTrace(stderr: string): boolean {
  return /\n\s+at .+:\d+:\d+\)?/.test(stderr) || /internal error/i.test(stderr);
}
