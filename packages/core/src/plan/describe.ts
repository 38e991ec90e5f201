import type { FreshReason, RunReason, SkipReason, Step } from './types.js';

/** Human text of a step's reason, shared by the plan printer, `llama status` and `llama serve`. */

const short = (hash: string | null): string => (hash === null ? 'none' : hash.slice(0, 8));
const time = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
/** A message on one plan line: newlines folded, long ones cut. */
const oneLine = (text: string): string => {
  const flat = text.replace(/\s*\n\s*/g, ' | ');
  return flat.length > 300 ? `${flat.slice(0, 299)}…` : flat;
};

export function describeRun(reason: RunReason): string {
  switch (reason.kind) {
    case 'missing': return 'missing';
    case 'input-changed': return `input-changed: ${reason.input} ${short(reason.old)} -> ${short(reason.new)}`;
    case 'rule-version-changed': return `rule-version-changed: ${reason.old} -> ${reason.new}`;
    case 'upstream-rebuilt': return `upstream-rebuilt: ${reason.inputs.join(', ')}`;
    case 'forced': return 'forced';
    case 'interrupted': return 'interrupted: a previous generation died before recording its output';
    case 'rider-invalid': return `rider-invalid: ${reason.problem}`;
    case 'provisional': return `provisional: ${reason.note}`;
  }
}

/** `brief`: leave out what a caller shows on lines of its own (a cooldown's last error, in `llama status`). */
export interface DescribeOptions {
  readonly brief?: boolean;
}

export function describeSkip(reason: SkipReason, options: DescribeOptions = {}): string {
  switch (reason.kind) {
    case 'vetoed': return `vetoed (${reason.veto}): ${reason.message}`;
    case 'cooling-down': {
      // The cooldown file counts from 0 (3.5.1 num_attempts): say both so they agree.
      const failures = `${reason.attempts} failure${reason.attempts === 1 ? '' : 's'} (num_attempts ${reason.num_attempts})`;
      if (options.brief === true) return `cooling-down until ${time(reason.until)} after ${failures}`;
      const last = reason.last_error === undefined ? '; last error not recorded' : `; last error${reason.last_error_time === undefined ? '' : ` at ${time(reason.last_error_time)}`}: ${oneLine(reason.last_error)}`;
      return `cooling-down until ${time(reason.until)} after ${failures}${last}`;
    }
    case 'intent-held': return `intent-held until ${time(reason.until)}${reason.pid === undefined ? '' : ` by pid ${reason.pid}`}`;
    case 'inputs-missing': return `inputs-missing: ${reason.inputs.join(', ')}`;
    case 'awaits-trigger': return 'awaits-trigger';
    case 'locked': return 'locked';
    case 'manual': return 'manual: the event is in MANUAL mode';
    case 'blocked': return `blocked: ${reason.inputs.join(', ')} failed`;
    case 'bad-path': return `bad-path: ${reason.problem}`;
    case 'superseded': return 'superseded: another process regenerated it first';
  }
}

export function describeFresh(reason: FreshReason): string {
  switch (reason.kind) {
    case 'up-to-date': return 'up-to-date';
    case 'generate-once': return 'generate-once';
    case 'triggered': return 'present (external trigger)';
    case 'edited-by-hand': return 'edited-by-hand (kept)';
    case 'no-rider': return 'no metadata rider (kept as placed by hand)';
    case 'legacy-rider': return 'LLAMA 3.5.1 rider (kept)';
  }
}

export function describeStep(step: Step, options: DescribeOptions = {}): string {
  switch (step.action) {
    case 'run': return describeRun(step.reason);
    case 'skip': return describeSkip(step.reason, options);
    case 'veto': return `vetoed (${step.reason.veto}): ${step.reason.message}`;
    case 'fresh': return describeFresh(step.reason);
  }
}
