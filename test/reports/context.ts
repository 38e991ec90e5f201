/** Helpers to call a rule's generate function directly on a temporary event directory. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { FLAG_PRESETS, type Flags, type GenerateContext, type Rule } from '@llama/core';

/** Temporary directories of this test file, removed after its tests (vitest isolates files). */
const temporaries: string[] = [];
afterAll(() => {
  for (const dir of temporaries.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function temporary(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temporaries.push(dir);
  return dir;
}

export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields?: Record<string, unknown>;
}

export interface TempEvent {
  readonly runDir: string;
  readonly eventDir: string;
  readonly eventId: string;
  write(filename: string, content: string | Buffer): string;
  git(...args: string[]): string;
  commit(message: string, ...files: string[]): string;
}

/** A run directory with one event directory, a git repository (as every LLAMA event directory is). */
export function makeEvent(eventId = 'S250101ab', options: { git?: boolean } = {}): TempEvent {
  // The prefix must not contain "test", "scratch", "manual" or "injection": those words veto uploads.
  const runDir = temporary('llama-reports-');
  const eventDir = join(runDir, eventId);
  mkdirSync(eventDir);
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: eventDir,
      encoding: 'utf8',
      env: { ...process.env, GIT_AUTHOR_NAME: 'llama', GIT_AUTHOR_EMAIL: 'llama@localhost', GIT_COMMITTER_NAME: 'llama', GIT_COMMITTER_EMAIL: 'llama@localhost' },
    });
  if (options.git !== false) git('init', '-q');
  return {
    runDir,
    eventDir,
    eventId,
    write(filename, content) {
      const path = join(eventDir, filename);
      writeFileSync(path, content);
      return path;
    },
    git,
    commit(message, ...files) {
      git('add', '--', ...files);
      git('commit', '-q', '-m', message);
      return git('rev-parse', 'HEAD').trim();
    },
  };
}

export interface RunResult {
  readonly ctx: GenerateContext;
  readonly logs: LogLine[];
  readonly outputPath: string;
}

/** Build the context the engine would hand to `rule.generate`, with inputs taken from the event dir. */
export function contextFor(
  rule: Rule,
  event: TempEvent,
  options: { env?: Record<string, string | undefined>; flags?: Flags; inputs?: Record<string, string>; signal?: AbortSignal; now?: Date } = {},
): RunResult {
  const workDir = temporary('llama-work-');
  const outputPath = join(workDir, rule.filename);
  const logs: LogLine[] = [];
  const log = (level: LogLine['level']) => (message: string, fields?: Record<string, unknown>) => {
    logs.push(fields === undefined ? { level, message } : { level, message, fields });
  };
  const inputs: Record<string, string> = {};
  for (const input of rule.inputs) inputs[input.name] = join(event.eventDir, input.filename);
  Object.assign(inputs, options.inputs ?? {});
  const ctx: GenerateContext = {
    rule: rule.name,
    event: { eventId: event.eventId, runDir: event.runDir, eventDir: event.eventDir },
    flags: options.flags ?? FLAG_PRESETS.TRIGGERED_PUBLIC,
    inputs,
    outputPath,
    workDir,
    signal: options.signal ?? new AbortController().signal,
    log: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    env: options.env ?? {},
    now: () => options.now ?? new Date('2025-01-01T12:00:00Z'),
    setProvisional: () => undefined,
  };
  return { ctx, logs, outputPath };
}

export const SKYMAP_INFO = {
  event_time_iso: '2025-01-01T10:00:00.000',
  graceid: 'S250101ab',
  far: 1.5e-9,
  notice_time_iso: '2025-01-01T10:01:30.000',
  pipeline: 'GSTLAL',
  skymap_filename: 'bayestar.multiorder.fits,1',
  alert_type: 'igwn-alert',
};
