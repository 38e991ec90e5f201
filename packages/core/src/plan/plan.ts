import type { Pipeline } from '../rule/pipeline.js';
import type { Rule } from '../rule/types.js';
import type { EventSnapshot, RuleState } from '../state/snapshot.js';
import { decideStep, type InputStatus } from './decide.js';
import type { EventPlan, PlanOptions, Step } from './types.js';

const ABSENT: RuleState = { output: { exists: false }, rider: { kind: 'none' }, vetoFile: false, locked: false };

export function isForced(options: PlanOptions, rule: string): boolean {
  return options.force === true || (options.force instanceof Set && options.force.has(rule));
}

/** The status of `input` for a rule planned after it, given the steps planned so far. */
export function inputStatus(input: Rule, snapshot: EventSnapshot, planned: ReadonlyMap<string, Step>): InputStatus {
  const state = snapshot.rules.get(input.name) ?? ABSENT;
  const step = planned.get(input.name);
  return {
    name: input.name,
    exists: state.output.exists,
    ...(state.output.hash === undefined ? {} : { hash: state.output.hash }),
    pending: step?.action === 'run',
    failed: false,
  };
}

/**
 * Plan one event: a step with an action and a structured reason for every rule, inputs first.
 * Pure: the snapshot holds everything read from disk.
 */
export function planEvent(pipeline: Pipeline, snapshot: EventSnapshot, options: PlanOptions): EventPlan {
  if (!snapshot.flags.ok) return { event: snapshot.event, steps: [], error: snapshot.flags.error, warnings: snapshot.warnings };
  const flags = snapshot.flags.value;
  const planned = new Map<string, Step>();
  const steps: Step[] = [];
  for (const name of pipeline.order) {
    const rule = pipeline.rules.get(name) as Rule;
    const inputs = rule.inputs.map((input) => inputStatus(input, snapshot, planned));
    const step = decideStep(rule, snapshot.rules.get(name) ?? ABSENT, inputs, {
      event: snapshot.event,
      flags,
      now: options.now,
      forced: isForced(options, name),
      allowManual: options.allowManual ?? false,
    });
    planned.set(name, step);
    steps.push(step);
  }
  return { event: snapshot.event, steps, warnings: snapshot.warnings };
}

/** Steps that will write something (runs and permanent vetoes). */
export function pendingSteps(plan: EventPlan): Step[] {
  return plan.steps.filter((s) => s.action === 'run' || s.action === 'veto');
}
