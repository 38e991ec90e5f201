import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { GenerationError, err, ok, type Diagnostic, type Result } from '../errors.js';
import { defineRule } from './define.js';
import { createPipeline, type Pipeline } from './pipeline.js';
import type { GenerateContext, Rule } from './types.js';

/**
 * A pipeline declared as JSON, so that simple command rules need no TypeScript:
 *
 * ```json
 * { "name": "bench",
 *   "rules": [
 *     { "name": "raw", "output": "raw.dat", "external": true },
 *     { "name": "prep", "output": "prep.dat", "inputs": ["raw"],
 *       "command": "grep -v '^#' raw.dat > prep.dat", "version": "1", "timeout": 20 } ] }
 * ```
 *
 * An input names another rule, by rule name or by output filename. A command runs as
 * `sh -c COMMAND` in the rule's private work directory, where every input is a read-only
 * snapshot under its own filename and the output must be written under its filename.
 * The command text is part of the rule's version, so editing a command rebuilds its outputs.
 * Commands see LLAMA_RULE, LLAMA_OUTPUT, LLAMA_EVENT_ID, LLAMA_EVENT_DIR, LLAMA_SPEC_DIR (the
 * spec file's directory) and LLAMA_PID besides the engine's environment. They run under a
 * reused helper shell (cheaper than a Node spawn per job); LLAMA_SHELL_HELPER=off spawns each
 * command directly instead.
 */
export interface JsonRuleSpec {
  readonly name: string;
  readonly description?: string;
  readonly rules: readonly JsonRule[];
}

export interface JsonRule {
  readonly name: string;
  readonly output: string;
  readonly inputs?: readonly string[];
  /** Required unless `external`. */
  readonly command?: string;
  readonly version?: string;
  /** Seconds. */
  readonly timeout?: number;
  /** Placed in the event directory by someone else (an ingest command, a user); never generated. */
  readonly external?: boolean;
  readonly description?: string;
}

export interface LoadRuleSpecOptions {
  /** Directory of the spec file; commands see it as $LLAMA_SPEC_DIR (for scripts kept next to it). */
  readonly baseDir: string;
}

const TOP_KEYS = new Set(['name', 'description', 'rules']);
const RULE_KEYS = new Set(['name', 'output', 'inputs', 'command', 'version', 'timeout', 'external', 'description']);
/** How much of a failing command's stderr the error message quotes. */
const STDERR_TAIL_LINES = 5;
const STDERR_TAIL_BYTES = 4096;
/** After SIGTERM on abort, the process group gets this long before SIGKILL. */
const KILL_GRACE_MS = 1000;

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The command is part of the version: a changed command is a changed rule. */
function effectiveVersion(version: string, command: string): string {
  return `${version}+${createHash('sha256').update(command).digest('hex').slice(0, 12)}`;
}

/** Keep the last bytes of a stream, for quoting the end of stderr in an error. */
class Tail {
  #text = '';
  push(chunk: Buffer): void {
    this.#text = (this.#text + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
  }
  lines(): string {
    return this.#text.trimEnd().split('\n').slice(-STDERR_TAIL_LINES).join('\n');
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group has already exited
  }
}

function commandEnv(ctx: GenerateContext, outputFilename: string, specDir: string): Record<string, string> {
  return {
    LLAMA_RULE: ctx.rule,
    LLAMA_OUTPUT: outputFilename,
    LLAMA_EVENT_ID: ctx.event.eventId,
    LLAMA_EVENT_DIR: ctx.event.eventDir,
    LLAMA_SPEC_DIR: specDir,
    /** The llama process that runs the generation (commands run under a helper shell). */
    LLAMA_PID: String(process.pid),
  };
}

function failure(where: string, code: number | null, signal: string | null, tail: string): GenerationError {
  const how = signal === null ? `exited with code ${code ?? '?'}` : `was killed by ${signal}`;
  return new GenerationError(`${where}: command ${how}${tail === '' ? ' (no stderr)' : `; stderr ends with:\n${tail}`}`);
}

/** `sh -c command` spawned by Node itself (used when no shell helper can take the job). */
function spawnDirect(ctx: GenerateContext, command: string, outputFilename: string, specDir: string, where: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(ctx.env)) if (value !== undefined) env[key] = value;
    Object.assign(env, commandEnv(ctx, outputFilename, specDir));
    // A process group of its own, so an abort kills the shell and everything it started.
    const child = spawn('sh', ['-c', command], { cwd: ctx.workDir, env, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    const stderr = new Tail();
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      if (child.pid === undefined) return;
      killGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => killGroup(child.pid as number, 'SIGKILL'), KILL_GRACE_MS);
      killTimer.unref();
    };
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    child.on('error', (error) => {
      ctx.signal.removeEventListener('abort', onAbort);
      reject(new GenerationError(`${where}: cannot start sh: ${error.message}`, { cause: error }));
    });
    child.on('close', (code, signal) => {
      ctx.signal.removeEventListener('abort', onAbort);
      if (killTimer !== undefined) clearTimeout(killTimer);
      if (ctx.signal.aborted) reject(ctx.signal.reason);
      else if (code === 0) resolvePromise();
      else reject(failure(where, code, signal, stderr.lines()));
    });
  });
}

const sq = (text: string): string => `'${text.replaceAll("'", "'\\''")}'`;
const END_MARK = '\u001eLLAMA-JOB-END';

/**
 * A long-lived `sh` that runs one command rule at a time. Node's spawn forks the whole engine
 * process on its main thread (about 3 ms each on the project machine, the largest cost of a
 * cold build); a small shell forks in a fraction of that, and off our thread. Each job runs in
 * a subshell, so `exit` in a command ends only the job. The subshell evaluates the command itself,
 * as `sh -c` would, instead of executing a new `sh` for it: starting a shell costs ~0.8 ms of CPU
 * here, the fork of the subshell ~0.13 ms. The helper has a process group of its own: aborting a
 * job kills the group (the helper too) and the helper is replaced.
 */
class ShellHelper {
  readonly #child: ChildProcess;
  #busy: { resolve: (r: { code: number }) => void; reject: (e: Error) => void; stderr: Tail; code?: number; ended: boolean } | undefined;
  #stdoutBuffer = '';
  #stderrBuffer = '';
  dead = false;

  constructor(env: Record<string, string>) {
    this.#child = spawn('sh', ['-s'], { env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child.on('error', () => this.#die(new Error('cannot start the sh helper')));
    this.#child.on('exit', () => this.#die(new Error('the sh helper exited')));
    this.#child.stdin?.on('error', () => this.#die(new Error('the sh helper closed its input')));
    this.#child.stdout?.on('data', (chunk: Buffer) => {
      this.#stdoutBuffer += chunk.toString('utf8');
      let nl: number;
      while ((nl = this.#stdoutBuffer.indexOf('\n')) >= 0) {
        const line = this.#stdoutBuffer.slice(0, nl);
        this.#stdoutBuffer = this.#stdoutBuffer.slice(nl + 1);
        const m = /^D (\d+)$/.exec(line);
        if (m !== null && this.#busy !== undefined) {
          this.#busy.code = Number(m[1]);
          this.#settle();
        }
      }
    });
    this.#child.stderr?.on('data', (chunk: Buffer) => {
      this.#stderrBuffer += chunk.toString('utf8');
      const at = this.#stderrBuffer.indexOf(END_MARK);
      if (at < 0) {
        // keep a possible partial marker at the end
        const keep = this.#stderrBuffer.slice(-END_MARK.length);
        this.#busy?.stderr.push(Buffer.from(this.#stderrBuffer.slice(0, -END_MARK.length || undefined)));
        this.#stderrBuffer = keep;
        return;
      }
      this.#busy?.stderr.push(Buffer.from(this.#stderrBuffer.slice(0, at)));
      this.#stderrBuffer = this.#stderrBuffer.slice(at + END_MARK.length).replace(/^\n/, '');
      if (this.#busy !== undefined) {
        this.#busy.ended = true;
        this.#settle();
      }
    });
    this.#idle();
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Idle helpers must not keep the process alive. */
  #idle(): void {
    this.#child.unref();
    for (const s of [this.#child.stdin, this.#child.stdout, this.#child.stderr]) (s as unknown as { unref?: () => void } | null)?.unref?.();
  }

  #active(): void {
    this.#child.ref();
    for (const s of [this.#child.stdin, this.#child.stdout, this.#child.stderr]) (s as unknown as { ref?: () => void } | null)?.ref?.();
  }

  #settle(): void {
    const job = this.#busy;
    if (job === undefined || job.code === undefined || !job.ended) return;
    this.#busy = undefined;
    this.#idle();
    job.resolve({ code: job.code });
  }

  #die(error: Error): void {
    if (this.dead) return;
    this.dead = true;
    const job = this.#busy;
    this.#busy = undefined;
    job?.reject(error);
  }

  run(workDir: string, vars: Record<string, string>, command: string, stderr: Tail): Promise<{ code: number }> {
    return new Promise((resolvePromise, reject) => {
      this.#busy = { resolve: resolvePromise, reject, stderr, ended: false };
      this.#active();
      const exports = Object.entries(vars).map(([k, v]) => `${k}=${sq(v)}`).join(' ');
      const script = `( cd -- ${sq(workDir)} || exit 127; export ${exports}; eval ${sq(command)} ) </dev/null >/dev/null & wait $!; echo "D $?"; printf '${END_MARK}\\n' >&2\n`;
      this.#child.stdin?.write(script);
    });
  }

  kill(signal: NodeJS.Signals): void {
    if (this.#child.pid !== undefined) killGroup(this.#child.pid, signal);
  }

  /** Let the helper finish and be reaped (so its jobs' CPU time is accounted to us). */
  close(): void {
    if (this.dead) return;
    this.#child.ref();
    this.#child.stdin?.end();
  }
}

const liveHelpers = new Set<ShellHelper>();
let exitHookInstalled = false;

/**
 * When nothing else is left to do, close the idle helpers and wait for them, instead of
 * leaving them to exit after us: then `time llama run …` counts their work.
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('beforeExit', () => {
    for (const helper of liveHelpers) helper.close();
    liveHelpers.clear();
  });
}

/** Idle helpers, per environment object (a helper runs every job with the environment it started with). */
const idleHelpers = new WeakMap<object, ShellHelper[]>();

async function runInHelper(ctx: GenerateContext, command: string, outputFilename: string, specDir: string, where: string): Promise<void> {
  const pool = idleHelpers.get(ctx.env) ?? [];
  idleHelpers.set(ctx.env, pool);
  let helper = pool.pop();
  while (helper?.dead === true) helper = pool.pop();
  if (helper === undefined) {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(ctx.env)) if (value !== undefined) env[key] = value;
    helper = new ShellHelper(env);
    liveHelpers.add(helper);
    installExitHook();
  }
  const stderr = new Tail();
  const current = helper;
  let killTimer: NodeJS.Timeout | undefined;
  const onAbort = (): void => {
    current.kill('SIGTERM');
    killTimer = setTimeout(() => current.kill('SIGKILL'), KILL_GRACE_MS);
    killTimer.unref();
  };
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  try {
    const { code } = await current.run(ctx.workDir, commandEnv(ctx, outputFilename, specDir), command, stderr);
    if (code !== 0) throw failure(where, code, code > 128 ? `signal ${code - 128}` : null, stderr.lines());
  } catch (error) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    if (error instanceof GenerationError) throw error;
    throw new GenerationError(`${where}: ${(error as Error).message}`, { cause: error });
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    if (killTimer !== undefined) clearTimeout(killTimer);
    if (!current.dead && !ctx.signal.aborted) pool.push(current);
    else {
      current.kill('SIGKILL');
      liveHelpers.delete(current);
    }
  }
}

/** Run `sh -c command` for one generation; rejects with a GenerationError on failure or abort. */
export async function runCommandRule(ctx: GenerateContext, command: string, outputFilename: string, specDir: string): Promise<void> {
  if (ctx.signal.aborted) throw ctx.signal.reason;
  const where = `rule ${ctx.rule} (${outputFilename}) of event ${ctx.event.eventId}`;
  const fields = [command, ctx.workDir, ...Object.values(commandEnv(ctx, outputFilename, specDir))];
  // NUL bytes cannot pass through a shell script; LLAMA_SHELL_HELPER=off opts out entirely.
  if (ctx.env['LLAMA_SHELL_HELPER'] === 'off' || fields.some((f) => f.includes('\u0000'))) {
    return spawnDirect(ctx, command, outputFilename, specDir, where);
  }
  return runInHelper(ctx, command, outputFilename, specDir, where);
}

/** Check the shape of one rule entry; returns the problems found (all of them). */
function checkRule(raw: unknown, index: number): Diagnostic[] {
  const at = `rules[${index}]`;
  if (!isRecord(raw)) return [{ code: 'spec-rule-shape', subject: at, message: `${at} must be an object` }];
  const problems: Diagnostic[] = [];
  const label = typeof raw['name'] === 'string' ? `${at} (${raw['name']})` : at;
  const bad = (field: string, message: string): void => {
    problems.push({ code: 'spec-field', subject: typeof raw['name'] === 'string' ? raw['name'] : at, message: `${label}: ${field} ${message}` });
  };
  for (const key of Object.keys(raw)) {
    if (!RULE_KEYS.has(key)) bad(`"${key}"`, `is not a known field (known: ${[...RULE_KEYS].join(', ')})`);
  }
  if (typeof raw['name'] !== 'string') bad('name', 'must be a string');
  if (typeof raw['output'] !== 'string') bad('output', 'must be a string (a filename in the event directory)');
  const inputs = raw['inputs'];
  if (inputs !== undefined && (!Array.isArray(inputs) || !inputs.every((i) => typeof i === 'string'))) bad('inputs', 'must be an array of rule names or output filenames');
  const external = raw['external'];
  if (external !== undefined && typeof external !== 'boolean') bad('external', 'must be true or false');
  const command = raw['command'];
  if (external === true) {
    if (command !== undefined) bad('command', 'is not allowed on an external rule (external files are never generated)');
  } else if (typeof command !== 'string' || command.trim() === '') {
    bad('command', 'must be a non-empty shell command (or set "external": true)');
  }
  if (raw['version'] !== undefined && typeof raw['version'] !== 'string') bad('version', 'must be a string');
  if (raw['description'] !== undefined && typeof raw['description'] !== 'string') bad('description', 'must be a string');
  const timeout = raw['timeout'];
  if (timeout !== undefined && (typeof timeout !== 'number' || !(timeout > 0) || !Number.isFinite(timeout))) bad('timeout', 'must be a positive number of seconds');
  return problems;
}

/**
 * Build a pipeline from a JSON rule description (already parsed). Every problem — malformed
 * fields, unknown inputs, duplicate names or outputs, cycles — is reported at once.
 */
export function loadRuleSpec(spec: unknown, options: LoadRuleSpecOptions): Result<Pipeline, Diagnostic[]> {
  const problems: Diagnostic[] = [];
  if (!isRecord(spec)) return err([{ code: 'spec-shape', message: 'the rule description must be a JSON object with "name" and "rules"' }]);
  for (const key of Object.keys(spec)) {
    if (!TOP_KEYS.has(key)) problems.push({ code: 'spec-field', subject: key, message: `"${key}" is not a known top-level field (known: ${[...TOP_KEYS].join(', ')})` });
  }
  const name = spec['name'];
  if (typeof name !== 'string' || name === '') problems.push({ code: 'spec-field', subject: 'name', message: '"name" must be a non-empty string' });
  const rawRules = spec['rules'];
  if (!Array.isArray(rawRules) || rawRules.length === 0) {
    problems.push({ code: 'spec-field', subject: 'rules', message: '"rules" must be a non-empty array' });
    return err(problems);
  }

  const specDir = resolve(options.baseDir);
  const entries: { def: JsonRule; rule: Rule; inputs: Rule[] }[] = [];
  rawRules.forEach((raw: unknown, index) => {
    const found = checkRule(raw, index);
    problems.push(...found);
    if (found.length > 0) return;
    const def = raw as JsonRule;
    const command = def.command ?? '';
    const inputs: Rule[] = [];
    const base = defineRule({
      name: def.name,
      filename: def.output,
      version: def.external === true ? (def.version ?? '1') : effectiveVersion(def.version ?? '1', command),
      description: def.description ?? (def.external === true ? `external file ${def.output}` : command),
      externallyTriggered: def.external === true,
      ...(def.timeout === undefined ? {} : { timeoutSeconds: def.timeout }),
      ...(def.external === true ? {} : { generate: (ctx: GenerateContext) => runCommandRule(ctx, command, def.output, specDir) }),
    });
    // Inputs are filled in below, once every rule exists (inputs may be declared later in the file).
    entries.push({ def, rule: { ...base, inputs }, inputs });
  });

  const byName = new Map<string, Rule>();
  const byFile = new Map<string, Rule>();
  for (const { rule } of entries) {
    if (!byName.has(rule.name)) byName.set(rule.name, rule);
    if (!byFile.has(rule.filename)) byFile.set(rule.filename, rule);
  }
  for (const { def, inputs } of entries) {
    for (const ref of def.inputs ?? []) {
      const input = byName.get(ref) ?? byFile.get(ref);
      if (input === undefined) {
        problems.push({ code: 'unknown-input', subject: def.name, message: `rule ${def.name}: input "${ref}" is neither a rule name nor the output of a rule (declare external files with "external": true)` });
      } else {
        inputs.push(input);
      }
    }
  }

  const pipeline = createPipeline(typeof name === 'string' && name !== '' ? name : 'invalid', entries.map((e) => e.rule), { closed: true });
  if (!pipeline.ok) problems.push(...pipeline.error);
  if (problems.length > 0 || !pipeline.ok) return err(problems);
  for (const entry of entries) {
    Object.freeze(entry.inputs);
    Object.freeze(entry.rule);
  }
  return ok(pipeline.value);
}
