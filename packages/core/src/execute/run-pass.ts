import { rmSync } from 'node:fs';
import pLimit from 'p-limit';
import type { Scheduler } from './scheduler.js';
import { describeError } from '../errors.js';
import { initHashing, RACY_MARGIN_MS, type ContentHash, type HashCache } from '../hash/hash.js';
import { decideStep, type InputStatus } from '../plan/decide.js';
import { isForced, planEvent } from '../plan/plan.js';
import type { EventPlan, PlanOptions, Step } from '../plan/types.js';
import type { Pipeline } from '../rule/pipeline.js';
import type { EventRef, Flags, Rule } from '../rule/types.js';
import type { CleanEvents, CleanRecord } from '../state/clean-events.js';
import { loadEventSnapshot, snapshotLayout, unchangedSince, type EventSnapshot, type RuleState, type SnapshotLayout } from '../state/snapshot.js';
import type { EventFiles, ParallelStat } from '../state/parallel-stat.js';
import type { Emit, PassSummary } from './events.js';
import { EventScratch, generateRule, ScratchPool, sweepScratch, sweepTmpDir, writePermanentVeto, type GenerationSettings } from './generate.js';
import { ensureGitRepo } from './git.js';

export { DEFAULT_CONCURRENCY, Scheduler } from './scheduler.js';

export interface PassOptions {
  readonly pipeline: Pipeline;
  readonly events: readonly EventRef[];
  readonly cache: HashCache;
  readonly scheduler: Scheduler;
  readonly emit: Emit;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Unix ms; tests inject a fixed clock. */
  readonly now?: () => number;
  /** When aborted, no new generation starts; running ones go on. */
  readonly stopNew?: AbortSignal;
  /** When aborted, running generations are aborted too (no cooldown is recorded for them). */
  readonly shutdown?: AbortSignal;
  readonly force?: PlanOptions['force'];
  readonly allowManual?: boolean;
  readonly versioning?: boolean;
  readonly durable?: boolean;
  /** Plan and report, write nothing. */
  readonly dryRun?: boolean;
  readonly engineVersion?: string;
  /**
   * Events known to have nothing to do: an event whose files are all as when it was last found
   * clean is not planned again (its plan is `unchanged`). Not used when dry-running or forcing,
   * which ask for every step's reason.
   */
  readonly clean?: CleanEvents;
  /**
   * How long a clean record is trusted (ms; default CLEAN_RECORD_TTL_MS). Records see only the
   * stats of outputs, inputs, FLAGS.json and the directory: a rider edited in place (by hand, or
   * left empty by a power cut before its data reached the disk) is noticed when the event is
   * planned again, at the latest this long after it was recorded.
   */
  readonly cleanRecordTtlMs?: number;
  /** Stats the files of events with clean records on two threads (see `ParallelStat`). */
  readonly stats?: ParallelStat;
}

/** Default lifetime of a clean record: every event is planned in full at least this often. */
export const CLEAN_RECORD_TTL_MS = 10 * 60 * 1000;

/** How a rule ended in this pass, as its dependents see it. */
interface Outcome {
  readonly exists: boolean;
  readonly hash?: ContentHash;
  /** Failed in this pass, or blocked by an upstream failure: dependents are blocked in turn. */
  readonly failed: boolean;
  /** When blocked: the rules whose failure in this pass blocked it. */
  readonly blockedBy?: readonly string[];
}

export interface PassResult {
  readonly plans: readonly EventPlan[];
  readonly summary: PassSummary;
}

/**
 * One pass over the selected events: snapshot, plan, then run each event's plan as a DAG in
 * which a rule starts as soon as its inputs have settled, so a whole cascade completes within
 * the pass. Every rule is attempted at most once per pass.
 */
export async function runPass(options: PassOptions): Promise<PassResult> {
  await initHashing();
  const now = options.now ?? Date.now;
  const started = now();
  const counts = { succeeded: 0, failed: 0, blocked: 0, skipped: 0, cutoff: 0, vetoed: 0, eventErrors: 0 };
  const emit: Emit = (e) => {
    switch (e.type) {
      case 'step-succeeded': counts.succeeded++; break;
      case 'step-failed': counts.failed++; break;
      case 'step-skipped': if (e.reason.kind === 'blocked') counts.blocked++; else counts.skipped++; break;
      case 'step-cutoff': counts.cutoff++; break;
      case 'step-vetoed': counts.vetoed++; break;
      case 'event-error': counts.eventErrors++; break;
      default: break;
    }
    options.emit(e);
  };
  emit({ type: 'pass-started', events: options.events.length, at: started });
  const settings: GenerationSettings = {
    cache: options.cache,
    emit,
    env: options.env ?? process.env,
    now,
    ...(options.shutdown === undefined ? {} : { shutdown: options.shutdown }),
    versioning: options.versioning ?? true,
    durable: options.durable ?? true,
    engineVersion: options.engineVersion ?? '0.0.0',
    commands: {
      runner: options.scheduler.commands(options.env ?? process.env),
      prepare: (task) => options.scheduler.prepare(task),
      maxWaitMs: 1000 * Math.max(0, ...[...options.pipeline.rules.values()].map((rule) => rule.timeoutSeconds)),
    },
  };
  const plans: EventPlan[] = [];
  const work: Promise<void>[] = [];
  const stopping = (): boolean => options.stopNew?.aborted === true || options.shutdown?.aborted === true;
  const allowManual = options.allowManual ?? false;
  const layout = snapshotLayout(options.pipeline);
  const cleanKey = `${layout.key}${allowManual ? '+manual' : ''}`;
  const clean = options.dryRun === true ? undefined : options.clean;
  const reuse = clean !== undefined && options.force === undefined;
  const recordTtl = options.cleanRecordTtlMs ?? CLEAN_RECORD_TTL_MS;
  /** A record still to be trusted: its time-dependent decisions hold and it is not too old. */
  const usable = (record: CleanRecord, at: number): boolean => (record.until === undefined || record.until > at) && at - record.recorded < recordTtl;
  const planOptions: PlanOptions = { now: 0, ...(options.force === undefined ? {} : { force: options.force }), allowManual };
  /** Events executing at once: enough to keep every slot busy, few enough to bound memory. */
  const eventSlots = pLimit(Math.max(16, 8 * options.scheduler.concurrency));
  /** Work directories and spare files shared by this pass's events (removed when it ends). */
  const pool = new ScratchPool();
  /**
   * An event that had work is looked at once more when it is done, so that the next pass can skip
   * it if it is now clean: once its newest files are past the racy window (files changed within it
   * are never recorded), while other events still run. The pass does not wait for that: events
   * that finish last are planned in full by the next pass instead.
   */
  const settling = new Set<NodeJS.Timeout>();
  const recordWhenSettled =
    clean !== undefined && reuse
      ? (event: EventRef): void => {
          const timer = setTimeout(() => {
            settling.delete(timer);
            if (stopping()) return;
            try {
              // Reads only what this pass did not write itself (see HashCache.vouch).
              const planTime = now();
              const snapshot = loadEventSnapshot(event, options.pipeline, options.cache, { fingerprint: true, now: planTime });
              noteClean(clean, cleanKey, snapshot, planEvent(options.pipeline, snapshot, { ...planOptions, now: planTime }), planTime);
            } catch {
              // not recorded: the next pass plans the event
            } finally {
              options.cache.forgetVouched(event.eventDir);
            }
          }, RACY_MARGIN_MS + 10);
          settling.add(timer);
        }
      : undefined;
  const digests = reuse && options.stats !== undefined ? currentDigests(options.events, clean, cleanKey, layout, options.stats, (record) => usable(record, now())) : undefined;
  // Whatever happens while planning, the events already started finish before the pass
  // removes its scratch files.
  try {
    for (const event of options.events) {
      if (stopping()) break;
      if (reuse) {
        const record = clean.get(cleanKey, event.eventDir);
        const current = digests?.get(event.eventDir);
        if (
          record !== undefined &&
          usable(record, now()) &&
          (current === undefined ? unchangedSince(event.eventDir, layout, record) : current === record.digest)
        ) {
          const plan: EventPlan = { event, steps: [], warnings: [], unchanged: { until: record.until } };
          plans.push(plan);
          emit({ type: 'event-planned', plan });
          continue;
        }
      }
      const planTime = now();
      const snapshot = loadEventSnapshot(event, options.pipeline, options.cache, { fingerprint: reuse, now: planTime, ...(options.dryRun === true ? {} : { sweep }) });
      if (snapshot.swept !== undefined) emit({ type: 'warning', event, message: `removed ${describeSwept(snapshot.swept)} from .tmp.d (left by a process that died)` });
      const plan = planEvent(options.pipeline, snapshot, { ...planOptions, now: planTime });
      // A forced plan says nothing about the unforced one; what it changes, the stats will show.
      if (reuse) noteClean(clean, cleanKey, snapshot, plan, planTime);
      plans.push(plan);
      emit({ type: 'event-planned', plan });
      for (const warning of plan.warnings) emit({ type: 'warning', event, message: warning });
      if (plan.error !== undefined) {
        emit({ type: 'event-error', event, diagnostics: plan.error });
        continue;
      }
      if (options.dryRun === true) continue;
      for (const repair of snapshot.repairs) {
        try {
          rmSync(repair.path, { force: true });
        } catch (error) {
          emit({ type: 'warning', event, message: `could not remove ${repair.why} ${repair.path}: ${describeError(error)}` });
        }
      }
      if (!plan.steps.some((s) => s.action === 'run' || s.action === 'veto')) continue;
      // A cold build of thousands of events would hold every event's snapshot and pending jobs at
      // once; a bounded number of events run at a time instead. One that has to wait for its turn
      // is read again then (other processes may have moved it on); one that starts at once keeps
      // the snapshot just taken.
      const startsNow = eventSlots.activeCount + eventSlots.pendingCount < eventSlots.concurrency;
      const planned = startsNow ? { snapshot, plan } : undefined;
      work.push(
        eventSlots(async () => {
          if (stopping()) return;
          const current = planned?.snapshot ?? loadEventSnapshot(event, options.pipeline, options.cache, { now: now() });
          const currentPlan = planned?.plan ?? planEvent(options.pipeline, current, { ...planOptions, now: now() });
          if (currentPlan.error !== undefined) {
            emit({ type: 'event-error', event, diagnostics: currentPlan.error });
            return;
          }
          await executeEventPlan(currentPlan, current, options, settings, stopping, pool);
        })
          .catch((error: unknown) => {
            emit({ type: 'event-error', event, diagnostics: [{ code: 'internal', message: describeError(error) }] });
          })
          .then(() => recordWhenSettled?.(event)),
      );
    }
  } finally {
    try {
      await Promise.all(work);
    } finally {
      pool.close();
      for (const timer of settling) clearTimeout(timer);
      options.cache.forgetVouched();
    }
  }
  const summary: PassSummary = { events: options.events.length, ...counts, durationMs: now() - started };
  emit({ type: 'pass-finished', summary });
  return { plans, summary };
}

/** Sweep a planned event's `.tmp.d/` (dead processes' scratch), and remove it when empty. */
function sweep(eventDir: string): { removed: readonly string[]; changed: boolean } {
  const { removed, emptied } = sweepScratch(eventDir);
  return { removed, changed: emptied || removed.length > 0 };
}

function describeSwept(names: readonly string[]): string {
  const shown = names.slice(0, 3).join(', ');
  return names.length <= 3 ? shown : `${names.length} entries (${shown}, …)`;
}

/**
 * The identity digests of every event that has a usable clean record, stat'ed on two threads; an
 * event whose files are gone or unreadable maps to '' (changed: it is planned).
 */
function currentDigests(
  events: readonly EventRef[],
  clean: CleanEvents,
  key: string,
  layout: SnapshotLayout,
  stats: ParallelStat,
  usable: (record: CleanRecord) => boolean,
): Map<string, string> {
  const checked: EventFiles[] = [];
  for (const event of events) {
    const record = clean.get(key, event.eventDir);
    if (record === undefined || !usable(record) || record.present.length !== layout.files.length) continue;
    checked.push({ dir: event.eventDir, present: record.present });
  }
  const digests = stats.digests(checked, layout.files);
  return new Map(checked.map((e, i) => [e.dir, digests[i] ?? '']));
}

/**
 * Record the event as clean when its plan has nothing to write, no warning, no intent of another
 * run and its files were read without a race; otherwise drop any record of it.
 */
function noteClean(clean: CleanEvents, key: string, snapshot: EventSnapshot, plan: EventPlan, recorded: number): void {
  const fingerprint = snapshot.fingerprint;
  const isClean =
    fingerprint !== undefined &&
    !fingerprint.intent &&
    plan.error === undefined &&
    plan.warnings.length === 0 &&
    snapshot.repairs.length === 0 &&
    plan.steps.every((s) => s.action === 'fresh' || s.action === 'skip');
  if (isClean) clean.set(key, snapshot.event.eventDir, fingerprint, recorded);
  else clean.delete(key, snapshot.event.eventDir);
}

async function executeEventPlan(
  plan: EventPlan,
  snapshot: EventSnapshot,
  options: PassOptions,
  settings: GenerationSettings,
  stopping: () => boolean,
  pool: ScratchPool,
): Promise<void> {
  const { pipeline } = options;
  const event = plan.event;
  const flags = (snapshot.flags as { ok: true; value: Flags }).value;
  if (settings.versioning) {
    try {
      await ensureGitRepo(event.eventDir);
    } catch (error) {
      settings.emit({ type: 'warning', event, message: `cannot prepare the event's git repository (generations go on, commits may fail): ${describeError(error)}` });
    }
  }
  for (const leftover of sweepTmpDir(event.eventDir)) {
    settings.emit({ type: 'warning', event, message: `removed ${leftover} from .tmp.d (left by a process that died)` });
  }
  const steps = new Map(plan.steps.map((s) => [s.rule, s]));
  const outcomes = new Map<string, Promise<Outcome>>();
  const scratch = new EventScratch(event.eventDir, pool);
  const stateOf = (name: string): RuleState | undefined => snapshot.rules.get(name);
  const settled = (name: string): Outcome => {
    const output = stateOf(name)?.output;
    return { exists: output?.exists ?? false, ...(output?.hash === undefined ? {} : { hash: output.hash }), failed: false };
  };

  const outcomeOf = (input: Rule): Promise<Outcome> => outcomes.get(input.name) ?? Promise.resolve(settled(input.name));

  for (const name of pipeline.order) {
    const rule = pipeline.rules.get(name) as Rule;
    const planned = steps.get(name) as Step;
    if (planned.action === 'fresh' || planned.action === 'skip') {
      outcomes.set(name, Promise.resolve(settled(name)));
      continue;
    }
    outcomes.set(
      name,
      (async (): Promise<Outcome> => {
        try {
          const inputOutcomes = await Promise.all(rule.inputs.map(outcomeOf));
          const inputs: InputStatus[] = rule.inputs.map((input, i) => {
            const o = inputOutcomes[i] as Outcome;
            return { name: input.name, exists: o.exists, ...(o.hash === undefined ? {} : { hash: o.hash }), pending: false, failed: o.failed };
          });
          const state = stateOf(name) as RuleState;
          const step = decideStep(rule, state, inputs, {
            event,
            flags,
            now: settings.now(),
            forced: isForced({ now: 0, ...(options.force === undefined ? {} : { force: options.force }) }, name),
            allowManual: options.allowManual ?? false,
          });
          if (step.action === 'fresh') {
            if (planned.action === 'run' && planned.reason.kind === 'upstream-rebuilt') settings.emit({ type: 'step-cutoff', event, rule: name });
            return settled(name);
          }
          if (step.action === 'skip' && step.reason.kind === 'blocked') {
            // Name the rules that failed, not the blocked ones between; and block this rule's
            // dependents too: they must not pass for fresh (an "early cutoff") behind a failure.
            const roots = [...new Set(step.reason.inputs.flatMap((input) => inputOutcomes[rule.inputs.findIndex((i) => i.name === input)]?.blockedBy ?? [input]))];
            settings.emit({ type: 'step-skipped', event, rule: name, reason: { kind: 'blocked', inputs: roots } });
            return { ...settled(name), failed: true, blockedBy: roots };
          }
          if (step.action === 'skip') {
            settings.emit({ type: 'step-skipped', event, rule: name, reason: step.reason });
            return settled(name);
          }
          if (step.action === 'veto') {
            await writePermanentVeto(event, rule, step.reason.veto, step.reason.message, settings);
            return settled(name);
          }
          if (stopping()) return settled(name);
          const previous = state.output.hash;
          // Inputs this pass did not rebuild whose bytes are not what their rider recorded.
          const editedInputs = rule.inputs
            .filter((input) => {
              const inputStep = steps.get(input.name);
              if (inputStep !== undefined && (inputStep.action === 'run' || inputStep.action === 'veto')) return false;
              const inputState = stateOf(input.name);
              return inputState?.rider.kind === 'ok' && inputState.output.exists && inputState.output.hash !== inputState.rider.output;
            })
            .map((input) => ({ rule: input.name, filename: input.filename }));
          const result = await generateRule(event, rule, flags, step.reason, previous, {
            ...settings,
            ...(editedInputs.length === 0 ? {} : { editedInputs }),
            slot: (task) => options.scheduler.run(rule, task),
            scratch,
            stopping,
          });
          switch (result.status) {
            case 'succeeded':
              return { exists: true, hash: result.hash, failed: false };
            case 'superseded':
              settings.emit({ type: 'step-skipped', event, rule: name, reason: { kind: 'superseded' } });
              return { exists: result.hash !== undefined, ...(result.hash === undefined ? {} : { hash: result.hash }), failed: false };
            case 'intent-held':
              settings.emit({ type: 'step-skipped', event, rule: name, reason: { kind: 'intent-held', until: result.until, ...(result.pid === undefined ? {} : { pid: result.pid }) } });
              return settled(name);
            case 'failed':
              return { ...settled(name), failed: true };
            case 'stopped':
              return { ...settled(name), failed: true };
          }
        } catch (error) {
          // Whatever went wrong (a full disk while writing a veto rider, …) is this rule's failure;
          // its siblings go on and the pass waits for all of them.
          settings.emit({ type: 'step-failed', event, rule: name, reason: planned.action === 'run' ? planned.reason : { kind: 'missing' }, error: describeError(error), durationMs: 0 });
          return { ...settled(name), failed: true };
        }
      })(),
    );
  }
  await Promise.allSettled(outcomes.values());
}
