import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import { updateEventFlags } from '../event/event.js';
import { parseFlagAssignments } from '../event/flags.js';
import { riderPaths, TMP_DIRNAME } from '../event/paths.js';
import { parseIntent, type VetoRider } from '../event/riders.js';
import type { Pipeline } from '../rule/pipeline.js';
import type { EventRef, Rule } from '../rule/types.js';
import { eventLockHolder } from '../status/status.js';
import { hostName, processAlive, writeFileAtomicSync } from '../util/fs.js';
import { commitAction } from './git.js';
import { withEventLock } from './lock.js';

/**
 * An operator's actions on an event: `llama event veto|unveto|lock|unlock|clear-cooldown|
 * clear-intent|clear-lock|replace` and the buttons of `llama serve` call the same functions. Each
 * is committed to the event's git history with a message of 3.5.1's kind ("From GUI: …" from the
 * page, as 3.5.1's GUI wrote; "From llama event: …" from the command line). Writes to riders
 * happen under the event lock, as the engine's do. Refusals are ConfigErrors: code
 * `action-conflict` when the event's state does not allow the action (e.g. the intent's owner is
 * alive), `action-invalid` for a bad request.
 */

/** Where an action came from: it names it in the commit message. */
export interface ActionOrigin {
  /** `From GUI` (3.5.1's words) or `From llama event`. */
  readonly prefix: string;
  /** `from browser` (3.5.1's words) or `from the command line`. */
  readonly where: string;
  readonly versioning: boolean;
}

export const FROM_GUI = { prefix: 'From GUI', where: 'from browser' } as const;
export const FROM_CLI = { prefix: 'From llama event', where: 'from the command line' } as const;

class Refused extends ConfigError {
  constructor(message: string, status: number) {
    super(message, { code: status === 409 ? 'action-conflict' : 'action-invalid' });
  }
}

export type ActionName = 'flags' | 'veto' | 'unveto' | 'lock' | 'unlock' | 'clear-cooldown' | 'clear-intent' | 'clear-event-lock' | 'regenerate' | 'upload';

/** The command each action equals (shown on the page beside its button). */
export const ACTION_COMMANDS: Readonly<Record<ActionName, string>> = {
  flags: 'llama flags EVENTDIR --flags K=V…',
  veto: 'llama event veto EVENTDIR RULE',
  unveto: 'llama event unveto EVENTDIR RULE',
  lock: 'llama event lock EVENTDIR RULE',
  unlock: 'llama event unlock EVENTDIR RULE',
  'clear-cooldown': 'llama event clear-cooldown EVENTDIR RULE',
  'clear-intent': 'llama event clear-intent EVENTDIR RULE',
  'clear-event-lock': 'llama event clear-lock EVENTDIR',
  regenerate: 'llama run EVENTDIR -o -F -f RULE --force',
  upload: 'llama event replace EVENTDIR RULE FILE',
};


export function ruleOf(pipeline: Pipeline, name: string | undefined): Rule {
  const rule = name === undefined ? undefined : pipeline.rules.get(name);
  if (rule === undefined) throw new Refused(`no rule ${JSON.stringify(name ?? '')} in pipeline ${pipeline.name}`, 400);
  return rule;
}

const commit = async (event: EventRef, origin: ActionOrigin, message: string): Promise<void> => {
  if (origin.versioning) await commitAction(event.eventDir, message);
};

function unlinkIfPresent(path: string): boolean {
  try {
    unlinkSync(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

export interface ActionResult {
  readonly message: string;
}

/** Set flags (a preset and/or K=V words) through the core flag functions. */
export async function setFlags(event: EventRef, words: readonly string[], origin: ActionOrigin): Promise<ActionResult> {
  if (words.length === 0) throw new Refused('no flags given', 400);
  const parsed = parseFlagAssignments(words);
  if (!parsed.ok) throw new Refused(`invalid flags: ${parsed.error.map((d) => d.message).join('; ')}`, 400);
  const text = words.join(' ');
  await withEventLock(event.eventDir, () => updateEventFlags(event.eventDir, parsed.value, origin.versioning ? { message: `${origin.prefix}: Set flags ${text}` } : { versioning: false }));
  return { message: `flags set: ${text}` };
}

export async function veto(event: EventRef, rule: Rule, origin: ActionOrigin): Promise<ActionResult> {
  const paths = riderPaths(event.eventDir, rule.filename);
  const rider: VetoRider = {
    manifest: [rule.filename],
    veto_uuid: randomUUID(),
    veto_time: new Date().toISOString(),
    veto_message: `vetoed by hand ${origin.where}`,
    veto_function: 'manual',
    veto_function_doc: 'A permanent veto set by an operator (llama event veto, or llama serve).',
  };
  await withEventLock(event.eventDir, async () => {
    writeFileAtomicSync(paths.veto, `${JSON.stringify(rider, null, 4)}\n`);
    await commit(event, origin, `${origin.prefix}: Permanently vetoed ${rule.name}\n\n.${rule.filename}.veto.json\n`);
  });
  return { message: `${rule.name} permanently vetoed` };
}

export async function unveto(event: EventRef, rule: Rule, origin: ActionOrigin): Promise<ActionResult> {
  const paths = riderPaths(event.eventDir, rule.filename);
  await withEventLock(event.eventDir, async () => {
    if (!unlinkIfPresent(paths.veto)) throw new Refused(`${rule.name} has no permanent veto`, 409);
    await commit(event, origin, `${origin.prefix}: Removed permanent veto on ${rule.name}\n\n.${rule.filename}.veto.json\n`);
  });
  return { message: `permanent veto on ${rule.name} removed` };
}

export async function lock(event: EventRef, rule: Rule, origin: ActionOrigin): Promise<ActionResult> {
  const paths = riderPaths(event.eventDir, rule.filename);
  await withEventLock(event.eventDir, async () => {
    if (existsSync(paths.lock)) throw new Refused(`${rule.name} is locked already`, 409);
    writeFileSync(paths.lock, '');
    await commit(event, origin, `Manually locked ${rule.name} ${origin.where}.`);
  });
  return { message: `${rule.name} locked` };
}

export async function unlock(event: EventRef, rule: Rule, origin: ActionOrigin): Promise<ActionResult> {
  const paths = riderPaths(event.eventDir, rule.filename);
  await withEventLock(event.eventDir, async () => {
    if (!unlinkIfPresent(paths.lock)) throw new Refused(`${rule.name} is not locked`, 409);
    await commit(event, origin, `Manually unlocked ${rule.name} ${origin.where}.`);
  });
  return { message: `${rule.name} unlocked` };
}

export async function clearCooldown(event: EventRef, rule: Rule, origin: ActionOrigin): Promise<ActionResult> {
  const paths = riderPaths(event.eventDir, rule.filename);
  await withEventLock(event.eventDir, async () => {
    if (!unlinkIfPresent(paths.cooldown)) throw new Refused(`${rule.name} has no cooldown`, 409);
    await commit(event, origin, `${origin.prefix}: Deleted cooldown file for ${rule.name}\n\n.${rule.filename}.cooldown.json\n`);
  });
  return { message: `cooldown of ${rule.name} cleared: it is retried on the next pass` };
}

/** Remove an intent rider whose generation is gone (dead owner, or expired); a live one is refused. */
export async function clearIntent(event: EventRef, rule: Rule, origin: ActionOrigin): Promise<ActionResult> {
  const paths = riderPaths(event.eventDir, rule.filename);
  await withEventLock(event.eventDir, async () => {
    let text: string;
    try {
      text = readFileSync(paths.intent, 'utf8');
    } catch {
      throw new Refused(`${rule.name} has no intent file`, 409);
    }
    const intent = parseIntent(text);
    if (intent !== undefined && intent.expiresAt > Date.now() && intent.pid !== undefined && (intent.host === undefined || intent.host === hostName()) && processAlive(intent.pid)) {
      throw new Refused(`${rule.name} is being generated by pid ${intent.pid} (alive); its intent is not stale`, 409);
    }
    unlinkIfPresent(paths.intent);
    await commit(event, origin, `${origin.prefix}: Deleted intent file for ${rule.name}\n\n.${rule.filename}.intent.json\n`);
  });
  return { message: `stale intent of ${rule.name} removed` };
}

/** Remove `.tmp.d/EVENTLOCK` when its holder is gone; a live holder is refused. */
export async function clearEventLock(event: EventRef, origin: ActionOrigin): Promise<ActionResult> {
  const holder = eventLockHolder(event.eventDir, Date.now());
  if (holder === undefined) throw new Refused(`${event.eventId} has no event lock`, 409);
  if (!holder.stale) throw new Refused(`the event lock is held by pid ${holder.pid ?? '?'} (alive); not stale`, 409);
  unlinkIfPresent(join(event.eventDir, TMP_DIRNAME, 'EVENTLOCK'));
  await commit(event, origin, `${origin.prefix}: Deleted stale event lock of pid ${holder.pid ?? '?'}`);
  return { message: 'stale event lock removed' };
}

/** Most a replacement upload may hold (skymaps are tens of MB). */
export const MAX_UPLOAD_BYTES = 512 * 1024 * 1024;

/**
 * Replace a rule's output with uploaded bytes. Its metadata rider stays: the output's hash then
 * differs from the recorded one, so the engine keeps it as a hand edit (`edited-by-hand`) and its
 * dependents rebuild.
 */
export async function replaceFile(event: EventRef, rule: Rule, bytes: Uint8Array, origin: ActionOrigin): Promise<ActionResult> {
  if (rule.externallyTriggered && bytes.length === 0) throw new Refused('an empty upload', 400);
  await withEventLock(event.eventDir, async () => {
    writeFileAtomicSync(join(event.eventDir, rule.filename), bytes);
    await commit(event, origin, `Manually uploaded ${rule.filename} ${origin.where}.`);
  });
  return { message: `${rule.filename} replaced (${bytes.length} bytes); its dependents rebuild on the next pass` };
}
