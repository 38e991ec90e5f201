import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { ConfigError, FLAG_NAMES, FLAG_PRESETS, FLAGS_FILENAME, readEventFlags, updateEventFlags, validateEventId, validateFlags, type Flags } from '@llama/core';
import type { Argv, CommandModule } from 'yargs';
import { FLAGS_OPTION, flagUpdateFromWords, reportError } from './flag-options.js';

interface FlagsArgs {
  eventdirs?: string[];
  flags?: string[];
  'dry-run-flags'?: boolean;
  'flag-presets'?: boolean;
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n') + '\n';
}

function flagNames(...sets: readonly Flags[]): string[] {
  const extra = new Set(sets.flatMap((s) => Object.keys(s)).filter((k) => !(FLAG_NAMES as string[]).includes(k)));
  return [...FLAG_NAMES, ...[...extra].sort()];
}

/** Refuse to write FLAGS.json into an arbitrary directory (e.g. a mistyped path or the cwd). */
function looksLikeEventDir(dir: string): boolean {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return false;
  return [FLAGS_FILENAME, 'skymap_info.json', '.git'].some((name) => existsSync(join(dir, name)));
}

/** FLAGS.json's string values as they are (for the BEFORE column of a repair). */
function rawFlags(eventDir: string): Flags {
  try {
    const raw: unknown = JSON.parse(readFileSync(join(eventDir, FLAGS_FILENAME), 'utf8'));
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return {};
    return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
  } catch {
    return {};
  }
}

function presetTable(): string {
  const names = Object.keys(FLAG_PRESETS) as (keyof typeof FLAG_PRESETS)[];
  return table([['FLAG', ...names], ...FLAG_NAMES.map((flag) => [flag, ...names.map((p) => FLAG_PRESETS[p][flag])])]);
}

export const flagsCommand: CommandModule<object, FlagsArgs> = {
  command: 'flags [eventdirs..]',
  describe: 'Show or set event flags (FLAGS.json): a table before and after the change',
  builder: (y) =>
    y
      .positional('eventdirs', { type: 'string', array: true, describe: 'Event directories (default: the current directory)' })
      .option('flags', FLAGS_OPTION)
      .option('dry-run-flags', { type: 'boolean', default: false, describe: 'Show what --flags would change without writing' })
      .option('flag-presets', { type: 'boolean', default: false, describe: 'Print the flag presets and exit' })
      .example('$0 flags S250924di --flags RERUN VETOED=true', 'apply a preset and a veto') as Argv<FlagsArgs>,
  handler: async (argv) => {
    if (argv['flag-presets'] === true) {
      process.stdout.write(presetTable());
      process.exitCode = 0;
      return;
    }
    let update: Record<string, string> | undefined;
    try {
      update = flagUpdateFromWords(argv.flags);
    } catch (error) {
      reportError('llama flags', error);
      return;
    }
    const dirs = argv.eventdirs !== undefined && argv.eventdirs.length > 0 ? argv.eventdirs : ['.'];
    process.exitCode = 0;
    for (const dir of dirs) {
      const eventDir = resolve(dir);
      try {
        const badId = validateEventId(basename(eventDir));
        if (badId !== undefined) throw new ConfigError(`${dir}: ${badId}`, { code: 'bad-event-id' });
        if (!looksLikeEventDir(eventDir)) {
          throw new ConfigError(`${dir} is not an event directory (no FLAGS.json, skymap_info.json or .git; create one with llama event init)`);
        }
        const read = await readEventFlags(eventDir);
        if (!read.ok && update === undefined) {
          throw new ConfigError(`cannot read the flags of ${eventDir}; repair them with llama flags ${dir} --flags FLAG=VALUE (or a preset)`, { diagnostics: read.error });
        }
        // A FLAGS.json with bad values is shown as it is, so that setting them repairs it.
        const before: Flags = read.ok ? read.value : rawFlags(eventDir);
        process.stdout.write(`${eventDir}\n`);
        if (update === undefined) {
          process.stdout.write(table([['FLAG', 'VALUE'], ...flagNames(before).map((k) => [k, before[k] ?? ''])]));
          continue;
        }
        const dryRun = argv['dry-run-flags'] === true;
        let after: Flags;
        if (dryRun) {
          const unfixed = read.ok ? [] : read.error.filter((d) => d.subject === undefined || !Object.hasOwn(update as object, d.subject));
          const merged = validateFlags({ ...before, ...update });
          if (unfixed.length > 0 || !merged.ok) throw new ConfigError(`invalid flags for ${eventDir}`, { diagnostics: merged.ok ? unfixed : merged.error });
          after = merged.value;
        } else {
          after = await updateEventFlags(eventDir, update, { message: `Set flags with llama flags: ${Object.entries(update).map(([k, v]) => `${k}=${v}`).join(' ')}` });
        }
        const rows = flagNames(before, after).map((k) => {
          const pre = before[k] ?? '';
          const post = after[k] ?? '';
          return [k, pre, post, pre === post ? '' : 'changed'];
        });
        process.stdout.write(table([['FLAG', 'BEFORE', dryRun ? 'AFTER (dry run)' : 'AFTER', ''], ...rows]));
      } catch (error) {
        reportError('llama flags', error);
      }
    }
  },
};
