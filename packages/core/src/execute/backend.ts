import type { EventPlan } from '../plan/types.js';
import type { EventRef } from '../rule/types.js';
import { runPass, type PassOptions } from './run-pass.js';

/**
 * Where the work of a pass runs. Planning, freshness and riders stay here, in the process that
 * plans: a backend is handed the plans of the events that have work and brings those events up
 * to date somewhere (this process, a batch system's nodes, …) with an ordinary `llama run` pass
 * per event, under the same per-event locks and intents. What happened is read back from the
 * event directories by planning them again, so a backend only has to say which events it lost.
 */
export interface ExecutionBackend {
  readonly name: string;
  /** Run these events' passes; resolves when every event has an outcome (or `signal` aborted them). */
  execute(plans: readonly EventPlan[], signal: AbortSignal): Promise<ReadonlyMap<string, EventOutcome>>;
}

/** How one event's pass ended on a backend, keyed by event directory in a backend's report. */
export type EventOutcome =
  /** The pass ran to its end; failed steps, if any, left their cooldowns in the event directory. */
  | { readonly kind: 'done'; readonly worker?: string }
  /** The pass itself failed (a configuration error on the worker, …): not retried. */
  | { readonly kind: 'failed'; readonly worker?: string; readonly message: string }
  /** The worker died (killed, out of memory, node lost): the event is as after a kill -9; retried. */
  | { readonly kind: 'lost'; readonly worker?: string; readonly message: string }
  /** Another submitter's worker already has this event: left to it. */
  | { readonly kind: 'elsewhere'; readonly worker: string }
  /** Not run: the dispatch was cancelled. */
  | { readonly kind: 'cancelled'; readonly worker?: string };

/** Does this plan write anything (a generation or a veto rider)? */
export function hasWork(plan: EventPlan): boolean {
  return plan.error === undefined && plan.steps.some((s) => s.action === 'run' || s.action === 'veto');
}

/** Today's executor as a backend: the events' passes run here, in this process. */
export class LocalBackend implements ExecutionBackend {
  readonly name = 'local';
  readonly #options: Omit<PassOptions, 'events'>;
  constructor(options: Omit<PassOptions, 'events'>) {
    this.#options = options;
  }

  async execute(plans: readonly EventPlan[], signal: AbortSignal): Promise<ReadonlyMap<string, EventOutcome>> {
    await runPass({ ...this.#options, events: plans.map((p) => p.event), stopNew: signal });
    return new Map(plans.map((p): [string, EventOutcome] => [p.event.eventDir, signal.aborted ? { kind: 'cancelled' } : { kind: 'done', worker: 'local' }]));
  }
}

export interface DispatchOptions {
  readonly events: readonly EventRef[];
  /** Plans the events, writing nothing (a dry-run pass). */
  readonly plan: (events: readonly EventRef[]) => Promise<readonly EventPlan[]>;
  readonly backend: ExecutionBackend;
  /** How many times events whose worker was lost are sent again (default 2). */
  readonly retries?: number;
  readonly signal: AbortSignal;
  /** Called before each round with the plans sent to the backend (round 0 is the first). */
  readonly onRound?: (round: number, plans: readonly EventPlan[]) => void;
}

export interface DispatchResult {
  /** The last outcome of every event sent to the backend. */
  readonly outcomes: ReadonlyMap<string, EventOutcome & { readonly attempts: number }>;
  /** Plans of the first round (every selected event), for reports. */
  readonly plans: readonly EventPlan[];
  /** Events still lost, or with work left, after the last retry. */
  readonly lost: readonly EventRef[];
}

/**
 * Plan here, run on the backend, then read the result back from the event directories: the
 * events of the round are planned again, and those whose worker was lost, or which ended with
 * work still to do (a worker stopped early by a signal), are sent again, up to `retries` times.
 * A lost worker's event is repaired by its next pass, as after a kill -9 of a local run (stale
 * locks, intents and temporary files are cleaned by the pass). Events whose pass failed, or that
 * another submitter has, are not sent again.
 */
export async function dispatch(options: DispatchOptions): Promise<DispatchResult> {
  const retries = options.retries ?? 2;
  const outcomes = new Map<string, EventOutcome & { attempts: number }>();
  let firstPlans: readonly EventPlan[] = [];
  let plans = await options.plan(options.events);
  firstPlans = plans;
  let lost: EventRef[] = [];
  for (let round = 0; !options.signal.aborted; round++) {
    const work = plans.filter(hasWork);
    if (work.length === 0) break;
    options.onRound?.(round, work);
    const report = await options.backend.execute(work, options.signal);
    const again: EventRef[] = [];
    for (const plan of work) {
      const dir = plan.event.eventDir;
      const outcome = report.get(dir) ?? ({ kind: 'lost', message: `the ${options.backend.name} backend gave no outcome` } as const);
      outcomes.set(dir, { ...outcome, attempts: (outcomes.get(dir)?.attempts ?? 0) + 1 });
      if (outcome.kind === 'lost' || outcome.kind === 'done') again.push(plan.event);
    }
    plans = again.length === 0 || options.signal.aborted ? [] : await options.plan(again);
    lost = [];
    for (const plan of plans.filter(hasWork)) {
      const previous = outcomes.get(plan.event.eventDir);
      if (previous?.kind === 'done') {
        outcomes.set(plan.event.eventDir, { kind: 'lost', message: 'its pass ended with work left to do (stopped early?)', attempts: previous.attempts, ...(previous.worker === undefined ? {} : { worker: previous.worker }) });
      }
      lost.push(plan.event);
    }
    if (round >= retries) break;
  }
  return { outcomes, plans: firstPlans, lost };
}
