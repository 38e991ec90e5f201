import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { err, ok, type Diagnostic, type Result } from '../errors.js';
import { firstCommitTime } from '../execute/git.js';
import type { Pipeline } from '../rule/pipeline.js';
import type { EventRef } from '../rule/types.js';
import { eventRef, readEventFlagsSync } from './event.js';
import { riderPaths } from './paths.js';
import { statIdentity } from '../util/stat-identity.js';

export type DownselectValue = string | number | boolean;
/** One downselection layer (3.5.1 `Run.downselect(**kw)`): all checks must pass. */
export type DownselectLayer = Readonly<Record<string, DownselectValue>>;

type ValueType = 'bool' | 'str' | 'float' | 'int';

/** Every option, as `--print-downselections` lists them (3.5.1 `Run.downselect` docstring). */
export const DOWNSELECT_OPTIONS: ReadonlyArray<{ readonly name: string; readonly type: ValueType; readonly doc: string }> = [
  { name: 'invert', type: 'bool', doc: 'Invert the selection: keep events that fail at least one check of this layer (default False).' },
  { name: 'eventid_filter', type: 'str', doc: 'UNIX glob the eventid must match (set implicitly by the `run` argument).' },
  { name: 'fileexists', type: 'str', doc: 'Keep events in which a file with this name exists.' },
  { name: 'fhnameexists', type: 'str', doc: 'Keep events in which the output of this rule (FileHandler name, e.g. PAstro) exists.' },
  { name: 'fhnamemeta', type: 'str', doc: 'Keep events in which this rule\'s metadata rider exists.' },
  { name: 'vetoed', type: 'bool', doc: 'Keep events whose VETOED flag equals this value.' },
  { name: 'manual', type: 'bool', doc: 'Keep events whose MANUAL flag equals this value (llama run default: manual=False).' },
  { name: 'modbefore', type: 'float', doc: 'Keep events whose directory was last modified before this UNIX time.' },
  { name: 'modafter', type: 'float', doc: 'Keep events whose directory was last modified at or after this UNIX time.' },
  { name: 'sec_since_mod_gt', type: 'float', doc: 'Keep events whose directory was modified more than this many seconds ago.' },
  { name: 'sec_since_mod_lt', type: 'float', doc: 'Keep events whose directory was modified less than this many seconds ago.' },
  { name: 'v0before', type: 'float', doc: 'Keep events whose first git commit is before this UNIX time (unversioned events are dropped).' },
  { name: 'v0after', type: 'float', doc: 'Keep events whose first git commit is at or after this UNIX time (unversioned events are dropped).' },
  { name: 'sec_since_v0_gt', type: 'float', doc: 'Keep events whose first git commit is more than this many seconds old.' },
  { name: 'sec_since_v0_lt', type: 'float', doc: 'Keep events whose first git commit is less than this many seconds old.' },
  { name: 'sortkey', type: 'str', doc: 'Sort the events by mtime, ctime, v0time or eventid before `limit`.' },
  { name: 'reverse', type: 'bool', doc: 'Sort in descending order.' },
  { name: 'limit', type: 'int', doc: 'Keep only the first N events (after sorting).' },
];

const OPTION_TYPES = new Map(DOWNSELECT_OPTIONS.map((o) => [o.name, o.type]));
const SORT_KEYS = ['mtime', 'ctime', 'v0time', 'eventid'];

/** 3.5.1 value parsing: True/False, then int, then float, else the string. */
export function parseDownselectValue(text: string): DownselectValue {
  if (text === 'True') return true;
  if (text === 'False') return false;
  if (/^[+-]?\d+$/.test(text)) return Number.parseInt(text, 10);
  if (text.trim() !== '' && Number.isFinite(Number(text))) return Number(text);
  return text;
}

/** Parse `k=v,k=v` (an empty string means no downselection). */
export function parseDownselect(text: string): Result<DownselectLayer, Diagnostic[]> {
  const layer: Record<string, DownselectValue> = {};
  const problems: Diagnostic[] = [];
  for (const part of text.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) {
      problems.push({ code: 'downselect-syntax', subject: part, message: `"${part}" is not key=value (e.g. --downselect manual=False,fhnameexists=PAstro)` });
      continue;
    }
    const key = part.slice(0, eq).trim();
    const value = parseDownselectValue(part.slice(eq + 1).trim());
    const type = OPTION_TYPES.get(key);
    if (type === undefined) {
      problems.push({ code: 'downselect-unknown', subject: key, message: `unknown downselection "${key}" (see --print-downselections)` });
      continue;
    }
    const good =
      (type === 'bool' && typeof value === 'boolean') ||
      (type === 'int' && typeof value === 'number' && Number.isInteger(value) && value >= 0) ||
      (type === 'float' && typeof value === 'number') ||
      (type === 'str' && value !== '');
    if (!good) {
      problems.push({ code: 'downselect-type', subject: key, message: `downselection ${key} needs ${type === 'bool' ? 'True or False' : type === 'int' ? 'a non-negative integer' : type === 'float' ? 'a number' : 'a value'}, got "${part.slice(eq + 1)}"` });
      continue;
    }
    if (key === 'sortkey' && !SORT_KEYS.includes(String(value))) {
      problems.push({ code: 'downselect-sortkey', subject: key, message: `sortkey must be one of ${SORT_KEYS.join(', ')}` });
      continue;
    }
    layer[key] = type === 'str' ? String(value) : value;
  }
  return problems.length > 0 ? err(problems) : ok(layer);
}

/** Every event directory of a run matching a glob (hidden directories are never events). */
export function discoverEvents(runDir: string, glob = '*'): EventRef[] {
  const root = resolve(runDir);
  if (!existsSync(root)) return [];
  const names = glob === '*' ? everyDirectory(root) : fastGlob().sync(glob, { cwd: root, onlyDirectories: true, deep: 1, dot: false, followSymbolicLinks: true, unique: true });
  return names.filter((n) => !n.includes('/')).sort().map((n) => eventRef(root, n));
}

/** What fast-glob's `*` gives (directories, or links to them, not hidden), without loading it. */
function everyDirectory(root: string): string[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => !d.name.startsWith('.') && (d.isDirectory() || (d.isSymbolicLink() && statSync(join(root, d.name), { throwIfNoEntry: false })?.isDirectory() === true)))
    .map((d) => d.name);
}

/** fast-glob, loaded on first use: the default glob `*` does not need it, and it costs start-up. */
let fastGlobModule: typeof import('fast-glob') | undefined;
function fastGlob(): typeof import('fast-glob') {
  fastGlobModule ??= createRequire(import.meta.url)('fast-glob') as typeof import('fast-glob');
  return fastGlobModule;
}

/** Is there a regular file here? Any error (a name too long, a loop of links, …) means no. */
function isFile(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false })?.isFile() === true;
  } catch {
    return false;
  }
}

interface Facts {
  mtime?: number;
  ctime?: number;
  v0?: number | null;
}

function dirStat(event: EventRef, facts: Facts): void {
  if (facts.mtime !== undefined) return;
  const identity = new Float64Array(4);
  let found = false;
  try {
    found = statIdentity(event.eventDir, identity, 0);
  } catch {
    // unreadable: sorts first, as a missing one
  }
  facts.mtime = found ? (identity[2] as number) / 1000 : 0;
  facts.ctime = found ? (identity[3] as number) / 1000 : 0;
}

async function v0(event: EventRef, facts: Facts): Promise<number | null> {
  if (facts.v0 === undefined) facts.v0 = (await firstCommitTime(event.eventDir)) ?? null;
  return facts.v0;
}

const globs = new Map<string, RegExp>();
function globToRegExp(glob: string): RegExp {
  let re = globs.get(glob);
  if (re !== undefined) return re;
  let source = '';
  for (const ch of glob) {
    if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else source += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  re = new RegExp(`^${source}$`, 's');
  globs.set(glob, re);
  return re;
}

/** Keys that need an event's first-commit time (a git call each): checked last, for the events the other keys kept. */
const V0_KEYS = new Set(['v0before', 'v0after', 'sec_since_v0_gt', 'sec_since_v0_lt']);

/**
 * Apply the layers in order (each sees only what the previous ones kept). Reading flags, stats
 * and first-commit times happens only for the checks that are asked for; everything but the
 * first-commit times is synchronous (a pass over thousands of events selects them first).
 */
export async function downselectEvents(
  events: readonly EventRef[],
  layers: readonly DownselectLayer[],
  context: { now: number; pipeline?: Pipeline },
): Promise<EventRef[]> {
  const facts = new Map<string, Facts>();
  const factsOf = (e: EventRef): Facts => {
    let f = facts.get(e.eventDir);
    if (f === undefined) facts.set(e.eventDir, (f = {}));
    return f;
  };
  let current = [...events];
  for (const layer of layers) {
    const invert = layer['invert'] === true;
    const needsV0 = Object.keys(layer).some((k) => V0_KEYS.has(k));
    const plain = current.map((event) => passesLayer(event, layer, factsOf(event), context, 'plain'));
    if (needsV0) await Promise.all(current.map((event, i) => (plain[i] === true ? v0(event, factsOf(event)) : undefined)));
    const kept = current.filter((event, i) => (plain[i] === true && (!needsV0 || passesLayer(event, layer, factsOf(event), context, 'v0'))) !== invert);
    const sortkey = layer['sortkey'];
    if (typeof sortkey === 'string') {
      if (sortkey === 'v0time') await Promise.all(kept.map((e) => v0(e, factsOf(e))));
      const keyed = kept.map((e) => {
        const f = factsOf(e);
        if (sortkey === 'mtime' || sortkey === 'ctime') dirStat(e, f);
        const key = sortkey === 'mtime' ? f.mtime ?? 0 : sortkey === 'ctime' ? f.ctime ?? 0 : sortkey === 'v0time' ? f.v0 ?? 0 : 0;
        return { e, key };
      });
      keyed.sort((a, b) => (sortkey === 'eventid' ? a.e.eventId.localeCompare(b.e.eventId) : a.key - b.key));
      kept.splice(0, kept.length, ...keyed.map((k) => k.e));
    }
    if (layer['reverse'] === true) kept.reverse();
    const limit = layer['limit'];
    current = typeof limit === 'number' ? kept.slice(0, limit) : kept;
  }
  return current;
}

/** Does the event pass the layer's `plain` keys, or (with its first-commit time already read) its `v0` keys? */
function passesLayer(event: EventRef, layer: DownselectLayer, facts: Facts, context: { now: number; pipeline?: Pipeline }, keys: 'plain' | 'v0'): boolean {
  const nowS = context.now / 1000;
  for (const [key, value] of Object.entries(layer)) {
    if (V0_KEYS.has(key) !== (keys === 'v0')) continue;
    switch (key) {
      case 'invert':
      case 'sortkey':
      case 'reverse':
      case 'limit':
        break;
      case 'eventid_filter':
        if (!globToRegExp(String(value)).test(event.eventId)) return false;
        break;
      case 'fileexists':
        if (!isFile(join(event.eventDir, String(value)))) return false;
        break;
      case 'fhnameexists':
      case 'fhnamemeta': {
        const rule = context.pipeline?.rules.get(String(value));
        if (rule === undefined) return false;
        const path = key === 'fhnameexists' ? join(event.eventDir, rule.filename) : riderPaths(event.eventDir, rule.filename).metadata;
        if (!existsSync(path)) return false;
        break;
      }
      case 'vetoed':
      case 'manual': {
        const flags = readEventFlagsSync(event.eventDir);
        const flag = flags.ok ? flags.value[key === 'vetoed' ? 'VETOED' : 'MANUAL'] : undefined;
        // An event with unreadable flags is kept so the run can report it (never silently dropped).
        if (flags.ok && (flag === 'true') !== value) return false;
        break;
      }
      case 'modbefore':
      case 'modafter':
      case 'sec_since_mod_gt':
      case 'sec_since_mod_lt': {
        dirStat(event, facts);
        const mtime = facts.mtime ?? 0;
        const v = Number(value);
        if (key === 'modbefore' && !(mtime < v)) return false;
        if (key === 'modafter' && !(mtime >= v)) return false;
        if (key === 'sec_since_mod_gt' && !(nowS - mtime > v)) return false;
        if (key === 'sec_since_mod_lt' && !(nowS - mtime < v)) return false;
        break;
      }
      case 'v0before':
      case 'v0after':
      case 'sec_since_v0_gt':
      case 'sec_since_v0_lt': {
        const t = facts.v0 ?? null;
        if (t === null) return false;
        const v = Number(value);
        if (key === 'v0before' && !(t < v)) return false;
        if (key === 'v0after' && !(t >= v)) return false;
        if (key === 'sec_since_v0_gt' && !(nowS - t > v)) return false;
        if (key === 'sec_since_v0_lt' && !(nowS - t < v)) return false;
        break;
      }
      default:
        return false;
    }
  }
  return true;
}
