import type { Diagnostic } from '../errors.js';
import type { ContentHash } from '../hash/hash.js';
import type { EventPlan, RunReason, SkipReason } from '../plan/types.js';
import type { EventRef } from '../rule/types.js';

/** The typed events the engine emits; the CLI's reporters turn them into text or JSON. */
export type EngineEvent =
  | { readonly type: 'pass-started'; readonly events: number; readonly at: number }
  | { readonly type: 'event-planned'; readonly plan: EventPlan }
  | { readonly type: 'event-error'; readonly event: EventRef; readonly diagnostics: readonly Diagnostic[] }
  | { readonly type: 'warning'; readonly event?: EventRef; readonly rule?: string; readonly message: string }
  | { readonly type: 'step-started'; readonly event: EventRef; readonly rule: string; readonly reason: RunReason }
  | {
      readonly type: 'step-succeeded';
      readonly event: EventRef;
      readonly rule: string;
      readonly reason: RunReason;
      readonly hash: ContentHash;
      /** False when the new bytes equal the old ones (early cutoff for dependents). */
      readonly changed: boolean;
      readonly durationMs: number;
      readonly provisional?: string;
    }
  | {
      readonly type: 'step-failed';
      readonly event: EventRef;
      readonly rule: string;
      readonly reason: RunReason;
      readonly error: string;
      readonly durationMs: number;
      /** Seconds before the next attempt; undefined when no cooldown was recorded (shutdown). */
      readonly cooldownSeconds?: number;
      /**
       * Inputs whose bytes differ from what their rider says was generated (edited by hand, or
       * damaged after they were made): kept as hand edits, they may be why this rule failed.
       */
      readonly editedInputs?: readonly { readonly rule: string; readonly filename: string }[];
    }
  | { readonly type: 'step-skipped'; readonly event: EventRef; readonly rule: string; readonly reason: SkipReason }
  /** A rule planned because an input was to be rebuilt turned out fresh: the rebuild left its input's bytes unchanged. */
  | { readonly type: 'step-cutoff'; readonly event: EventRef; readonly rule: string }
  | { readonly type: 'step-vetoed'; readonly event: EventRef; readonly rule: string; readonly veto: string; readonly message: string }
  | {
      readonly type: 'log';
      readonly level: 'debug' | 'info' | 'warn' | 'error';
      readonly event: EventRef;
      readonly rule: string;
      readonly message: string;
      readonly fields?: Record<string, unknown>;
    }
  | { readonly type: 'pass-finished'; readonly summary: PassSummary };

export interface PassSummary {
  readonly events: number;
  readonly eventErrors: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Rules not attempted because an input failed in this pass (their `step-skipped` reason is `blocked`; not in `skipped`). */
  readonly blocked: number;
  readonly skipped: number;
  readonly cutoff: number;
  readonly vetoed: number;
  readonly durationMs: number;
}

export type Emit = (event: EngineEvent) => void;
