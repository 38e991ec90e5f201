import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { HashCache, initHashing } from '../hash/hash.js';
import { definePipeline } from '../rule/pipeline.js';
import { catRule, externalRule, makeEvent, pass, tempRun } from '../testing/harness.js';
import { planEvent } from '../plan/plan.js';
import { loadEventSnapshot } from '../state/snapshot.js';
import { eventStatus, runStatus, stateOfStep, statusDocument } from './status.js';

beforeAll(initHashing);

function chain() {
  const raw = externalRule('Raw');
  const prep = catRule('Prep', [raw]);
  const done = catRule('Done', [prep]);
  return definePipeline('chain', [raw, prep, done]);
}

describe('status: states named from the planner’s steps', () => {
  it('agrees with the plan step for step, and counts every rule once', async () => {
    const pipeline = chain();
    const run = tempRun();
    const event = makeEvent(run, 'S1', { 'raw.txt': 'x\n' });
    await pass(pipeline, [event]);
    makeEvent(run, 'S2', { 'raw.txt': 'y\n' });
    const now = Date.now();
    const [s2, s1] = runStatus([event, { ...event, eventId: 'S2', eventDir: join(run, 'S2') }], pipeline, new HashCache(), { now });
    expect(s1?.event.eventId).toBe('S1');
    expect(s2?.event.eventId).toBe('S2'); // newest first
    const plan = planEvent(pipeline, loadEventSnapshot(event, pipeline, new HashCache()), { now });
    expect(s1?.rules.map((r) => r.step)).toEqual(plan.steps);
    expect(s1?.counts.fresh).toBe(3);
    expect(s2?.rules.map((r) => r.state)).toEqual(['fresh', 'to-run', 'to-run']);
    expect(Object.values(s2?.counts ?? {}).reduce((a, b) => a + b, 0)).toBe(3);
  });

  it('reports a failure with its message, time and next attempt, and a held intent', () => {
    const pipeline = chain();
    const run = tempRun();
    const event = makeEvent(run, 'S1', { 'raw.txt': 'x\n' });
    const last = Date.now() - 1000;
    // Third failure (num_attempts 2): the default cooldown, 60 s + (2 − 1) · 60 s = 120 s.
    writeFileSync(join(event.eventDir, '.prep.txt.cooldown.json'), JSON.stringify({ num_attempts: 2, last_attempt: new Date(last).toISOString(), last_error: 'exit code 3' }));
    const status = eventStatus(event, pipeline, new HashCache(), { now: Date.now() });
    const prep = status.rules.find((r) => r.rule === 'Prep');
    expect(prep?.state).toBe('cooling-down');
    expect(prep?.failure).toEqual({ failures: 3, lastAttempt: last, nextAttempt: last + 120_000, lastError: 'exit code 3' });
    expect(status.rules.find((r) => r.rule === 'Done')?.waitsOn).toEqual(['Prep']);

    // A live intent of this process's parent: running.
    writeFileSync(join(event.eventDir, '.done.txt.intent.json'), JSON.stringify({ expiry: Date.now() / 1000 + 600, pid: process.ppid }));
    mkdirSync(join(event.eventDir, '.tmp.d'), { recursive: true });
    writeFileSync(join(event.eventDir, '.tmp.d', 'EVENTLOCK'), JSON.stringify({ pid: 2 ** 22 + 7, host: 'elsewhere.example', time: 0 }));
    const held = eventStatus(event, pipeline, new HashCache(), { now: Date.now() });
    const done = held.rules.find((r) => r.rule === 'Done');
    expect(done?.intent?.pid).toBe(process.ppid);
    expect(done?.intent?.stale).toBe(false);
    expect(held.eventLock).toMatchObject({ pid: 2 ** 22 + 7, host: 'elsewhere.example', alive: undefined });
    const doc = statusDocument([held], true, 0) as { schema: string; events: { rules: { rule: string; failure: unknown }[] }[] };
    expect(doc.schema).toBe('llama.status/1');
    expect(doc.events[0]?.rules.find((r) => r.rule === 'Prep')?.failure).toMatchObject({ failures: 3, last_error: 'exit code 3' });
  });

  it('an invalid FLAGS.json is the event’s error, not an exception', () => {
    const pipeline = chain();
    const run = tempRun();
    const event = makeEvent(run, 'S1', { 'FLAGS.json': '{ nope' });
    const status = eventStatus(event, pipeline, new HashCache(), { now: Date.now() });
    expect(status.error?.[0]).toContain('FLAGS.json');
    expect(status.rules).toEqual([]);
  });

  it('maps each kind of step to one state', () => {
    expect(stateOfStep({ rule: 'R', action: 'run', reason: { kind: 'missing' } }, false)).toBe('to-run');
    expect(stateOfStep({ rule: 'R', action: 'run', reason: { kind: 'missing' } }, true)).toBe('failed');
    expect(stateOfStep({ rule: 'R', action: 'skip', reason: { kind: 'intent-held', until: 0 } }, false)).toBe('running');
    expect(stateOfStep({ rule: 'R', action: 'skip', reason: { kind: 'cooling-down', until: 0, attempts: 1 } }, true)).toBe('cooling-down');
    expect(stateOfStep({ rule: 'R', action: 'veto', reason: { kind: 'vetoed', veto: 'v', message: 'm' } }, false)).toBe('vetoed');
    expect(stateOfStep({ rule: 'R', action: 'skip', reason: { kind: 'inputs-missing', inputs: ['X'] } }, false)).toBe('waiting');
    expect(stateOfStep({ rule: 'R', action: 'fresh', reason: { kind: 'edited-by-hand' } }, false)).toBe('fresh');
  });
});
