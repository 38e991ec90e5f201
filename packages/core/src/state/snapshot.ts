import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { err, type Diagnostic, type Result } from '../errors.js';
import { FLAGS_FILENAME, validateFlags } from '../event/flags.js';
import { riderNames, TMP_DIRNAME } from '../event/paths.js';
import {
  parseCooldown,
  parseIntent,
  parseMetadataRider,
  type CooldownRider,
  type IntentRider,
  type RiderState,
} from '../event/riders.js';
import { RACY_MARGIN_MS, xxh64, type ContentHash, type HashCache } from '../hash/hash.js';
import type { Pipeline } from '../rule/pipeline.js';
import type { EventRef, Flags, Rule } from '../rule/types.js';
import { hostName, processAlive } from '../util/fs.js';
import { cooldownSeconds } from '../rule/cooldown.js';
import { putIdentity, statIdentity } from '../util/stat-identity.js';

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
  /** The stat fingerprint of what was read, when asked for and not racy (see `StateFingerprint`). */
  readonly fingerprint?: StateFingerprint;
  /** Scratch of dead processes removed from `.tmp.d/` while reading (option `sweep`). */
  readonly swept?: readonly string[];
}

/**
 * The files a snapshot of an event reads, in a fixed order: every rule of the pipeline, the
 * inputs it takes from outside the pipeline, then FLAGS.json. `key` identifies everything a plan
 * depends on besides the event's files: the rules' names, files, versions, edges, options and
 * veto code.
 */
export interface SnapshotLayout {
  readonly rules: readonly Rule[];
  readonly files: readonly string[];
  readonly key: string;
}

const layouts = new WeakMap<Pipeline, SnapshotLayout>();

export function snapshotLayout(pipeline: Pipeline): SnapshotLayout {
  let layout = layouts.get(pipeline);
  if (layout !== undefined) return layout;
  const rules: Rule[] = [];
  const seen = new Set<string>();
  const visit = (rule: Rule): void => {
    if (seen.has(rule.name)) return;
    seen.add(rule.name);
    rules.push(rule);
  };
  for (const rule of pipeline.rules.values()) {
    visit(rule);
    for (const input of rule.inputs) visit(input);
  }
  const described = rules.map((r) => [
    r.name,
    r.filename,
    r.version,
    pipeline.rules.has(r.name),
    r.inputs.map((i) => i.name),
    r.generateOnce,
    r.externallyTriggered,
    r.runsWhenEventVetoed,
    r.cooldown,
    r.vetoes.map((v) => [v.name, v.permanent === true, String(v.check)]),
  ]);
  const key = createHash('sha1').update(JSON.stringify([pipeline.order, described])).digest('hex').slice(0, 20);
  layout = { rules, files: [...rules.map((r) => r.filename), FLAGS_FILENAME], key };
  layouts.set(pipeline, layout);
  return layout;
}

/**
 * What a plan of an event was made from, as stat identities: the event directory's
 * (inode, size, mtime, ctime), then those of every layout file present. Riders are not in it:
 * the engine only ever replaces them by rename, which changes the directory's mtime, as does any
 * file appearing or disappearing; files edited in place change their own stat.
 */
export interface StateFingerprint {
  /** xxh64 of the identities. */
  readonly digest: string;
  /** One character per layout file: '1' present, '0' absent. */
  readonly present: string;
  /** An intent rider was present (its owner's liveness is not a file state). */
  readonly intent: boolean;
  /** When the plan's time-dependent decisions (cooldowns, provisional retries) may change. */
  readonly until: number | undefined;
}

/** Collects stat identities into one digest. */
class IdentityDigest {
  readonly #values: Float64Array;
  #count = 0;
  newest = 0;
  constructor(files: number) {
    this.#values = new Float64Array(4 * (files + 1));
  }
  add(stat: Stats): void {
    putIdentity(stat, this.#values, this.#count);
    this.#count += 4;
    const changed = stat.mtimeMs > stat.ctimeMs ? stat.mtimeMs : stat.ctimeMs;
    if (changed > this.newest) this.newest = changed;
  }
  /** Stat `path` straight into the digest; false (nothing added) when it does not exist. */
  addPath(path: string): boolean {
    if (!statIdentity(path, this.#values, this.#count)) return false;
    this.#count += 4;
    return true;
  }
  digest(): string {
    return xxh64(new Uint8Array(this.#values.buffer, 0, this.#count * 8));
  }
}

/**
 * Is the event still exactly as when `fingerprint` was taken? One stat of the directory and one
 * of each file that was present; no reads.
 */
export function unchangedSince(eventDir: string, layout: SnapshotLayout, fingerprint: Pick<StateFingerprint, 'digest' | 'present'>): boolean {
  const { files } = layout;
  const present = fingerprint.present;
  if (present.length !== files.length) return false;
  const digest = new IdentityDigest(files.length);
  if (!digest.addPath(eventDir)) return false;
  for (let i = 0; i < files.length; i++) {
    if (present.charCodeAt(i) !== 49 /* '1' */) continue;
    if (!digest.addPath(`${eventDir}/${files[i] as string}`)) return false;
  }
  return digest.digest() === fingerprint.digest;
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
 * With `fingerprint`, also take the state's stat fingerprint (see `unchangedSince`); `now` is the
 * plan's time (Unix ms), against which its cooldowns and retries are judged.
 */
export function loadEventSnapshot(
  event: EventRef,
  pipeline: Pipeline,
  cache: HashCache,
  options: {
    readonly fingerprint?: boolean;
    readonly now?: number;
    /**
     * Called when the event has a `.tmp.d/` (seen in the listing read anyway: no system call when
     * it has none) to sweep what dead processes left there; `changed`: it removed something.
     */
    readonly sweep?: (eventDir: string) => { readonly removed: readonly string[]; readonly changed: boolean };
  } = {},
): EventSnapshot {
  const warnings: string[] = [];
  const layout = snapshotLayout(pipeline);
  const startedAt = Date.now();
  let digest: IdentityDigest | undefined;
  let names: Set<string>;
  try {
    if (options.fingerprint === true) {
      digest = new IdentityDigest(layout.files.length);
      digest.add(statSync(event.eventDir));
    }
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
  let swept: readonly string[] | undefined;
  if (options.sweep !== undefined && names.has(TMP_DIRNAME)) {
    const sweep = options.sweep(event.eventDir);
    if (sweep.removed.length > 0) swept = sweep.removed;
    // The directory changed after its stat: no fingerprint this time (the next plan takes one).
    if (sweep.changed) digest = undefined;
  }
  const rules = new Map<string, RuleState>();
  const repairs: { path: string; why: string }[] = [];
  let present = '';
  for (const rule of layout.rules) {
    const state = loadRuleState(event, rule, names, cache, warnings, repairs, digest);
    rules.set(rule.name, state);
    present += state.output.exists ? '1' : '0';
  }
  let flagsStat: Stats | undefined;
  if (digest !== undefined && names.has(FLAGS_FILENAME)) {
    flagsStat = statOrUndefined(join(event.eventDir, FLAGS_FILENAME));
    if (flagsStat !== undefined) digest.add(flagsStat);
  }
  present += flagsStat === undefined ? '0' : '1';
  const flags = readFlags(event.eventDir, names);
  const snapshot: EventSnapshot = { event, flags, rules, warnings, repairs, ...(swept === undefined ? {} : { swept }) };
  // A file changed within the timestamp granularity of this read could change again unseen.
  if (digest === undefined || digest.newest >= startedAt - RACY_MARGIN_MS) return snapshot;
  let intent = false;
  let until: number | undefined;
  const planTime = options.now ?? startedAt;
  for (const rule of layout.rules) {
    const state = rules.get(rule.name) as RuleState;
    if (state.intent !== undefined) intent = true;
    if (state.cooldown !== undefined) {
      const end = state.cooldown.lastAttempt + cooldownSeconds(rule.cooldown, state.cooldown.numAttempts) * 1000;
      if (end > planTime) until = Math.min(until ?? Infinity, end);
    }
    const provisional = state.rider.kind === 'ok' ? state.rider.provisional : undefined;
    if (provisional !== undefined && provisional.retryAfter > planTime) until = Math.min(until ?? Infinity, provisional.retryAfter);
  }
  return { ...snapshot, fingerprint: { digest: digest.digest(), present, intent, until } };
}

function loadFile(path: string, present: boolean, cache: HashCache, digest: IdentityDigest | undefined): FileState {
  if (!present) return { exists: false };
  const stat = statOrUndefined(path);
  if (stat === undefined) return { exists: false };
  if (!stat.isFile()) return { exists: false, problem: `${path} is not a regular file` };
  try {
    const hash = cache.hash(path, stat);
    digest?.add(stat);
    return { exists: true, hash };
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
  digest: IdentityDigest | undefined,
): RuleState {
  const dir = event.eventDir;
  let rider = riderNameCache.get(rule);
  if (rider === undefined) riderNameCache.set(rule, (rider = riderNames(rule.filename)));
  const output = loadFile(`${dir}/${rule.filename}`, names.has(rule.filename), cache, digest);
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
      const sameHost = parsed.host === undefined || parsed.host === hostName();
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
