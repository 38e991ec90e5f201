import type { Diagnostic } from '../errors.js';
import type { ContentHash } from '../hash/hash.js';
import type { EventRef } from '../rule/types.js';

/** Why a rule runs. */
export type RunReason =
  | { readonly kind: 'missing' }
  | { readonly kind: 'input-changed'; readonly input: string; readonly old: ContentHash | null; readonly new: ContentHash }
  | { readonly kind: 'rule-version-changed'; readonly old: string; readonly new: string }
  | { readonly kind: 'upstream-rebuilt'; readonly inputs: readonly string[] }
  | { readonly kind: 'forced' }
  /** A previous generation died between replacing the output and recording it. */
  | { readonly kind: 'interrupted' }
  /** The metadata rider is corrupt; regenerating is the safe repair. */
  | { readonly kind: 'rider-invalid'; readonly problem: string }
  /** A partial result (e.g. an incomplete neutrino list) is due for a refresh. */
  | { readonly kind: 'provisional'; readonly note: string };

/** Why a rule does not run (now). */
export type SkipReason =
  | { readonly kind: 'vetoed'; readonly veto: string; readonly message: string }
  /**
   * `attempts`: failures so far (the cooldown file's num_attempts + 1); `num_attempts` as that file
   * records it; `last_error`, `last_error_time` (Unix ms): the last failure, when recorded.
   */
  | {
      readonly kind: 'cooling-down';
      readonly until: number;
      readonly attempts: number;
      readonly num_attempts: number;
      readonly last_error?: string;
      readonly last_error_time?: number;
    }
  | { readonly kind: 'intent-held'; readonly until: number; readonly pid?: number }
  | { readonly kind: 'inputs-missing'; readonly inputs: readonly string[] }
  | { readonly kind: 'awaits-trigger' }
  | { readonly kind: 'locked' }
  | { readonly kind: 'manual' }
  /** An input failed in this pass; `inputs`: the rules upstream whose failure blocks it. */
  | { readonly kind: 'blocked'; readonly inputs: readonly string[] }
  /** The output path is unusable (a directory, unreadable, …); never removed automatically. */
  | { readonly kind: 'bad-path'; readonly problem: string }
  /** Another process replaced the output after this pass planned it. */
  | { readonly kind: 'superseded' };

/** Why an existing output is kept. */
export type FreshReason =
  | { readonly kind: 'up-to-date' }
  | { readonly kind: 'generate-once' }
  | { readonly kind: 'triggered' }
  /** The output differs from what was generated: a hand edit, kept; dependents see the change. */
  | { readonly kind: 'edited-by-hand' }
  /** No metadata rider and no interrupted generation: a file placed by hand, kept. */
  | { readonly kind: 'no-rider' }
  /** A LLAMA 3.5.1 rider without content hashes: kept, as 3.5.1 would. */
  | { readonly kind: 'legacy-rider' };

export type Step =
  | { readonly rule: string; readonly action: 'run'; readonly reason: RunReason }
  | { readonly rule: string; readonly action: 'skip'; readonly reason: SkipReason }
  | { readonly rule: string; readonly action: 'fresh'; readonly reason: FreshReason }
  /** Write a permanent veto rider (3.5.1 `always_veto`). */
  | { readonly rule: string; readonly action: 'veto'; readonly reason: { readonly kind: 'vetoed'; readonly veto: string; readonly message: string } };

export type StepAction = Step['action'];

export interface EventPlan {
  readonly event: EventRef;
  /** One step per rule, in execution order (inputs first). */
  readonly steps: readonly Step[];
  /** Set when the event cannot be planned at all (e.g. an invalid FLAGS.json). */
  readonly error?: readonly Diagnostic[];
  readonly warnings: readonly string[];
  /**
   * Set when the pass did not plan the event again because nothing it depends on changed since a
   * plan found nothing to do (see `CleanEvents`); `steps` is then empty. `until`: when that plan's
   * cooldowns or provisional retries end (Unix ms).
   */
  readonly unchanged?: { readonly until: number | undefined };
}

export interface PlanOptions {
  /** Unix ms. */
  readonly now: number;
  /** Rules to regenerate even when fresh (`true`: all). */
  readonly force?: boolean | ReadonlySet<string>;
  /** Plan MANUAL events (an operator asked for them explicitly). */
  readonly allowManual?: boolean;
}
