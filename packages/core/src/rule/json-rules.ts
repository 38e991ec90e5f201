import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { GenerationError, err, ok, type Diagnostic, type Result } from '../errors.js';
import { commandFailure, HelperPool, Tail, terminateGroup } from '../util/shell-helper.js';
import { defineRule } from './define.js';
import { createPipeline, type Pipeline } from './pipeline.js';
import type { GenerateContext, Rule, ShellCommand } from './types.js';

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
 * spec file's directory) and LLAMA_PID besides the engine's environment. They are evaluated in
 * a subshell of a reused helper shell (`ShellHelper`, cheaper than a spawn per job; the engine
 * hands commands to helpers ahead, see `CommandRunner`); LLAMA_SHELL_HELPER=off spawns
 * `sh -c COMMAND` for each instead.
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

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The command is part of the version: a changed command is a changed rule. */
function effectiveVersion(version: string, command: string): string {
  return `${version}+${createHash('sha256').update(command).digest('hex').slice(0, 12)}`;
}

/** The shell command of a JSON rule, as the engine runs it (see `ShellCommand`). */
export function shellCommand(ruleName: string, outputFilename: string, text: string, specDir: string): ShellCommand {
  return {
    text,
    vars: (event) => ({
      LLAMA_RULE: ruleName,
      LLAMA_OUTPUT: outputFilename,
      LLAMA_EVENT_ID: event.eventId,
      LLAMA_EVENT_DIR: event.eventDir,
      LLAMA_SPEC_DIR: specDir,
      /** The llama process that runs the generation (commands run under a helper shell). */
      LLAMA_PID: String(process.pid),
    }),
    where: (event) => `rule ${ruleName} (${outputFilename}) of event ${event.eventId}`,
  };
}

/**
 * Can this command run in a helper shell? Not with LLAMA_SHELL_HELPER=off, nor with NUL bytes (a
 * shell script cannot carry them) in the command, its variables or `dir`, the directory it runs
 * in (or the event directory that will hold it).
 */
export function helperCanRun(command: ShellCommand, vars: Readonly<Record<string, string>>, dir: string, env: Readonly<Record<string, string | undefined>>): boolean {
  if (env['LLAMA_SHELL_HELPER'] === 'off') return false;
  return ![command.text, dir, ...Object.values(vars)].some((f) => f.includes('\u0000'));
}

/** A command's exit code as a failure, quoting the end of its stderr. */
export function commandExitError(where: string, code: number, stderr: string): GenerationError {
  return failure(where, code, code > 128 ? `signal ${code - 128}` : null, stderr);
}

function failure(where: string, code: number | null, signal: string | null, tail: string): GenerationError {
  return new GenerationError(commandFailure(where, code, signal, tail));
}

/** `sh -c command` spawned by Node itself (used when no shell helper can take the job). */
function spawnDirect(ctx: GenerateContext, command: ShellCommand, vars: Record<string, string>, where: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(ctx.env)) if (value !== undefined) env[key] = value;
    Object.assign(env, vars);
    // A process group of its own, so an abort kills the shell and everything it started.
    const child = spawn('sh', ['-c', command.text], { cwd: ctx.workDir, env, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    const stderr = new Tail();
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      if (child.pid !== undefined) killTimer = terminateGroup(child.pid);
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

/** Idle helpers, per environment object (a helper runs every job with the environment it started with). */
const helperPools = new WeakMap<object, HelperPool>();

/** Run the command in an idle helper shell (see `ShellHelper`), one job at a time per helper. */
async function runInHelper(ctx: GenerateContext, command: ShellCommand, vars: Record<string, string>, where: string): Promise<void> {
  let pool = helperPools.get(ctx.env);
  if (pool === undefined) {
    pool = new HelperPool(ctx.env);
    helperPools.set(ctx.env, pool);
  }
  const helper = pool.idle();
  const stderr = new Tail();
  const onAbort = (): void => helper.terminate();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  try {
    const code = await new Promise<number>((resolvePromise, reject) => {
      helper.send({
        workDir: ctx.workDir,
        vars,
        command: command.text,
        stderr,
        started: () => undefined,
        ended: resolvePromise,
        failed: reject,
        orphaned: () => reject(new Error('the sh helper exited before the command started')),
      });
    });
    if (code !== 0) throw commandExitError(where, code, stderr.lines());
  } catch (error) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    if (error instanceof GenerationError) throw error;
    throw new GenerationError(`${where}: ${(error as Error).message}`, { cause: error });
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    if (helper.dead || ctx.signal.aborted) pool.drop(helper);
  }
}

/** Run `sh -c command` for one generation; rejects with a GenerationError on failure or abort. */
export async function runCommandRule(ctx: GenerateContext, command: ShellCommand): Promise<void> {
  if (ctx.signal.aborted) throw ctx.signal.reason;
  const where = command.where(ctx.event);
  const vars = command.vars(ctx.event);
  if (!helperCanRun(command, vars, ctx.workDir, ctx.env)) return spawnDirect(ctx, command, vars, where);
  return runInHelper(ctx, command, vars, where);
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
    const shell = def.external === true ? undefined : shellCommand(def.name, def.output, command, specDir);
    const inputs: Rule[] = [];
    const base = defineRule({
      name: def.name,
      filename: def.output,
      version: def.external === true ? (def.version ?? '1') : effectiveVersion(def.version ?? '1', command),
      description: def.description ?? (def.external === true ? `external file ${def.output}` : command),
      externallyTriggered: def.external === true,
      ...(def.timeout === undefined ? {} : { timeoutSeconds: def.timeout }),
      ...(shell === undefined ? {} : { generate: (ctx: GenerateContext) => runCommandRule(ctx, shell), command: shell }),
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
