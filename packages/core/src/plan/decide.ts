import type { ContentHash } from '../hash/hash.js';
import { cooldownSeconds } from '../rule/cooldown.js';
import type { EventRef, Flags, Rule } from '../rule/types.js';
import type { RuleState } from '../state/snapshot.js';
import type { Step } from './types.js';

/** What a rule needs to know about one of its inputs. */
export interface InputStatus {
  readonly name: string;
  readonly exists: boolean;
  readonly hash?: ContentHash;
  /** The input will be (re)generated before this rule in the same pass. */
  readonly pending: boolean;
  /** The input's generation failed in this pass. */
  readonly failed: boolean;
}

export interface DecideContext {
  readonly event: EventRef;
  readonly flags: Flags;
  readonly now: number;
  readonly forced: boolean;
  readonly allowManual: boolean;
}

/**
 * Decide one rule's step from its own state and its inputs' status. Pure: the planner calls it
 * for every rule up front, and the executor calls it again when a rule's inputs have settled,
 * so that an upstream rebuild with unchanged bytes stops the cascade (early cutoff).
 */
export function decideStep(rule: Rule, state: RuleState, inputs: readonly InputStatus[], ctx: DecideContext): Step {
  const name = rule.name;
  const exists = state.output.exists;

  if (state.output.problem !== undefined) return { rule: name, action: 'skip', reason: { kind: 'bad-path', problem: state.output.problem } };
  if (rule.externallyTriggered) {
    return exists ? { rule: name, action: 'fresh', reason: { kind: 'triggered' } } : { rule: name, action: 'skip', reason: { kind: 'awaits-trigger' } };
  }
  if (ctx.flags['VETOED'] === 'true' && !rule.runsWhenEventVetoed) {
    return { rule: name, action: 'skip', reason: { kind: 'vetoed', veto: 'VETOED', message: 'the event is vetoed (flag VETOED=true)' } };
  }
  if (ctx.flags['MANUAL'] === 'true' && !ctx.allowManual) return { rule: name, action: 'skip', reason: { kind: 'manual' } };
  if (state.vetoFile) {
    return { rule: name, action: 'skip', reason: { kind: 'vetoed', veto: 'permanent', message: `permanently vetoed (.${rule.filename}.veto.json)` } };
  }
  for (const veto of rule.vetoes) {
    const message = veto.check({ flags: ctx.flags, event: ctx.event });
    if (message !== false) {
      return { rule: name, action: veto.permanent === true ? 'veto' : 'skip', reason: { kind: 'vetoed', veto: veto.name, message } };
    }
  }
  const failed = inputs.filter((i) => i.failed).map((i) => i.name);
  if (failed.length > 0) return { rule: name, action: 'skip', reason: { kind: 'blocked', inputs: failed } };
  const missing = inputs.filter((i) => !i.exists && !i.pending).map((i) => i.name);
  if (missing.length > 0) return { rule: name, action: 'skip', reason: { kind: 'inputs-missing', inputs: missing } };
  if (state.locked && exists) return { rule: name, action: 'skip', reason: { kind: 'locked' } };
  if (rule.generateOnce && exists && !ctx.forced) return { rule: name, action: 'fresh', reason: { kind: 'generate-once' } };

  const intent = state.intent;
  const intentLive = intent !== undefined && !intent.ours && intent.ownerAlive !== false && intent.expiresAt > ctx.now;
  if (intentLive) {
    return { rule: name, action: 'skip', reason: { kind: 'intent-held', until: intent.expiresAt, ...(intent.pid === undefined ? {} : { pid: intent.pid }) } };
  }
  if (state.cooldown !== undefined) {
    const until = state.cooldown.lastAttempt + cooldownSeconds(rule.cooldown, state.cooldown.numAttempts) * 1000;
    const { numAttempts, lastError, lastErrorTime } = state.cooldown;
    if (until > ctx.now) {
      return {
        rule: name,
        action: 'skip',
        reason: {
          kind: 'cooling-down',
          until,
          attempts: numAttempts + 1,
          num_attempts: numAttempts,
          ...(lastError === undefined ? {} : { last_error: lastError }),
          ...(lastErrorTime === undefined ? {} : { last_error_time: lastErrorTime }),
        },
      };
    }
  }
  if (ctx.forced) return { rule: name, action: 'run', reason: { kind: 'forced' } };
  if (!exists) return { rule: name, action: 'run', reason: { kind: 'missing' } };

  const pending = inputs.filter((i) => i.pending).map((i) => i.name);
  if (pending.length > 0) return { rule: name, action: 'run', reason: { kind: 'upstream-rebuilt', inputs: pending } };

  const rider = state.rider;
  switch (rider.kind) {
    case 'none':
      return intent !== undefined
        ? { rule: name, action: 'run', reason: { kind: 'interrupted' } }
        : { rule: name, action: 'fresh', reason: { kind: 'no-rider' } };
    case 'invalid':
      return { rule: name, action: 'run', reason: { kind: 'rider-invalid', problem: rider.problem } };
    case 'legacy':
      return { rule: name, action: 'fresh', reason: { kind: 'legacy-rider' } };
    case 'ok':
      break;
  }
  if (rider.ruleVersion !== rule.version) {
    return { rule: name, action: 'run', reason: { kind: 'rule-version-changed', old: rider.ruleVersion, new: rule.version } };
  }
  for (const input of inputs) {
    const recorded = rider.inputs[input.name];
    if (input.hash !== undefined && recorded !== input.hash) {
      return { rule: name, action: 'run', reason: { kind: 'input-changed', input: input.name, old: recorded ?? null, new: input.hash } };
    }
  }
  if (rider.provisional !== undefined && rider.provisional.retryAfter <= ctx.now) {
    return { rule: name, action: 'run', reason: { kind: 'provisional', note: rider.provisional.reason } };
  }
  if (state.output.hash !== rider.output) return { rule: name, action: 'fresh', reason: { kind: 'edited-by-hand' } };
  return { rule: name, action: 'fresh', reason: { kind: 'up-to-date' } };
}
