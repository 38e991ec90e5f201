import { readdirSync, readFileSync, statSync, type Stats } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { err, type Diagnostic, type Result } from '../errors.js';
import { FLAGS_FILENAME, validateFlags } from '../event/flags.js';
import { riderNames } from '../event/paths.js';
import {
  parseCooldown,
  parseIntent,
  parseMetadataRider,
  type CooldownRider,
  type IntentRider,
  type RiderState,
} from '../event/riders.js';
import type { ContentHash, HashCache } from '../hash/hash.js';
import type { Pipeline } from '../rule/pipeline.js';
import type { EventRef, Flags, Rule } from '../rule/types.js';
import { processAlive } from '../util/fs.js';

/** What the planner knows about one file. */
export interface FileState {
  readonly exists: boolean;
  readonly hash?: ContentHash;
  /** Why the path cannot be used (a directory, unreadable, …). */
  readonly problem?: string;
}

export interface RuleState {
  readonly output: FileState;
  readonly rider: RiderState;
  readonly intent?: IntentRider & { readonly ownerAlive: boolean | undefined; readonly ours: boolean };
  readonly cooldown?: CooldownRider;
  readonly vetoFile: boolean;
  readonly locked: boolean;
}

/** Everything the pure planner needs about one event, read in one go. */
export interface EventSnapshot {
  readonly event: EventRef;
  readonly flags: Result<Flags, Diagnostic[]>;
  /** Every rule of the pipeline plus the inputs it reads from outside the pipeline. */
  readonly rules: ReadonlyMap<string, RuleState>;
  readonly warnings: readonly string[];
  /** Corrupt files that are safe to delete (the executor removes them unless dry-running). */
  readonly repairs: readonly { readonly path: string; readonly why: string }[];
}

function readFlags(eventDir: string, names: ReadonlySet<string>): Result<Flags, Diagnostic[]> {
  if (!names.has(FLAGS_FILENAME)) return validateFlags({});
  let text: string;
  try {
    text = readFileSync(join(eventDir, FLAGS_FILENAME), 'utf8');
  } catch (error) {
    return err([{ code: 'flags-unreadable', subject: FLAGS_FILENAME, message: `FLAGS.json cannot be read: ${(error as Error).message}` }]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return err([{ code: 'flags-invalid-json', subject: FLAGS_FILENAME, message: `FLAGS.json is not valid JSON: ${(error as Error).message}` }]);
  }
  return validateFlags(raw);
}

function statOrUndefined(path: string): Stats | undefined {
  return statSync(path, { throwIfNoEntry: false });
}

/**
 * Read one event's state: a directory listing, a stat of each output and metadata rider
 * (hashes and parsed riders come from the cache unless the stat changed), and the rarely
 * present cooldown / intent / veto / lock riders. Synchronous on purpose: the no-op pass is
 * dominated by stat calls, and sync stat is an order of magnitude faster than awaited stat.
 */
export function loadEventSnapshot(event: EventRef, pipeline: Pipeline, cache: HashCache): EventSnapshot {
  const warnings: string[] = [];
  let names: Set<string>;
  try {
    names = new Set(readdirSync(event.eventDir));
  } catch (error) {
    return {
      event,
      flags: err([{ code: 'event-unreadable', message: `event directory cannot be read: ${(error as Error).message}` }]),
      rules: new Map(),
      warnings,
      repairs: [],
    };
  }
  const rules = new Map<string, RuleState>();
  const repairs: { path: string; why: string }[] = [];
  const visit = (rule: Rule): void => {
    if (rules.has(rule.name)) return;
    rules.set(rule.name, loadRuleState(event, rule, names, cache, warnings, repairs));
  };
  for (const rule of pipeline.rules.values()) {
    visit(rule);
    for (const input of rule.inputs) visit(input);
  }
  return { event, flags: readFlags(event.eventDir, names), rules, warnings, repairs };
}

function loadFile(path: string, present: boolean, cache: HashCache): FileState {
  if (!present) return { exists: false };
  const stat = statOrUndefined(path);
  if (stat === undefined) return { exists: false };
  if (!stat.isFile()) return { exists: false, problem: `${path} is not a regular file` };
  try {
    return { exists: true, hash: cache.hash(path, stat) };
  } catch (error) {
    return { exists: false, problem: `${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
  }
}

/** Rider names per rule, computed once: the no-op pass is a hot loop. */
const riderNameCache = new WeakMap<Rule, ReturnType<typeof riderNames>>();

function loadRuleState(
  event: EventRef,
  rule: Rule,
  names: ReadonlySet<string>,
  cache: HashCache,
  warnings: string[],
  repairs: { path: string; why: string }[],
): RuleState {
  const dir = event.eventDir;
  let rider = riderNameCache.get(rule);
  if (rider === undefined) riderNameCache.set(rule, (rider = riderNames(rule.filename)));
  const output = loadFile(`${dir}/${rule.filename}`, names.has(rule.filename), cache);
  if (output.problem !== undefined) warnings.push(`${rule.name}: ${output.problem}`);

  let riderState: RiderState = { kind: 'none' };
  if (names.has(rider.metadata)) {
    const path = `${dir}/${rider.metadata}`;
    const stat = statOrUndefined(path);
    if (stat?.isFile() === true) {
      try {
        riderState = cache.parsed(path, stat, parseMetadataRider);
      } catch (error) {
        riderState = { kind: 'invalid', problem: `cannot be read: ${(error as Error).message}` };
      }
    } else if (stat !== undefined) {
      riderState = { kind: 'invalid', problem: 'is not a regular file' };
    }
    if (riderState.kind === 'invalid') warnings.push(`${rule.name}: metadata rider ${rider.metadata} ${riderState.problem}`);
  }

  let intent: RuleState['intent'];
  if (names.has(rider.intent)) {
    const parsed = readSmall(join(dir, rider.intent), parseIntent);
    if (parsed === undefined) {
      warnings.push(`${rule.name}: intent file ${rider.intent} is unreadable; treating it as stale`);
      intent = { expiresAt: 0, ownerAlive: false, ours: false };
    } else {
      const sameHost = parsed.host === undefined || parsed.host === hostname();
      const ownerAlive = parsed.pid !== undefined && sameHost ? processAlive(parsed.pid) : undefined;
      intent = { ...parsed, ownerAlive, ours: parsed.pid === process.pid && sameHost };
    }
  }

  let cooldown: CooldownRider | undefined;
  if (names.has(rider.cooldown)) {
    cooldown = readSmall(join(dir, rider.cooldown), parseCooldown);
    if (cooldown === undefined) {
      warnings.push(`${rule.name}: cooldown file ${rider.cooldown} is invalid; removing it (at worst one early retry)`);
      repairs.push({ path: join(dir, rider.cooldown), why: 'invalid cooldown file' });
    }
  }

  return { output, rider: riderState, intent, cooldown, vetoFile: names.has(rider.veto), locked: names.has(rider.lock) };
}

function readSmall<T>(path: string, parse: (text: string) => T | undefined): T | undefined {
  try {
    return parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}
