import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HashCache, initHashing } from '../hash/hash.js';
import { definePipeline } from '../rule/pipeline.js';
import type { EventRef } from '../rule/types.js';
import type { EventPlan } from '../plan/types.js';
import { catRule, externalRule, makeEvent, tempRun } from '../testing/harness.js';
import { dispatch, hasWork, LocalBackend, type EventOutcome, type ExecutionBackend } from './backend.js';
import { runPass, Scheduler } from './run-pass.js';

await initHashing();

function setup(count: number) {
  const src = externalRule('Src', 'raw.dat');
  const prep = catRule('Prep', [src]);
  const top = catRule('Top', [prep]);
  const pipeline = definePipeline('T', [src, prep, top]);
  const run = tempRun();
  const events = Array.from({ length: count }, (_, i) => makeEvent(run, `S${i}`, { 'raw.dat': `event ${i}\n` }));
  const cache = new HashCache();
  const passOptions = { pipeline, cache, scheduler: new Scheduler(2), emit: () => undefined, versioning: false, durable: false };
  const plan = async (list: readonly EventRef[]): Promise<readonly EventPlan[]> => (await runPass({ ...passOptions, events: list, dryRun: true })).plans;
  return { pipeline, events, passOptions, plan };
}

describe('dispatch: plan here, execute on a backend, read the result back from the event directories', () => {
  it('the local backend brings every event with work up to date in one round', async () => {
    const { events, passOptions, plan } = setup(3);
    const rounds: number[] = [];
    const result = await dispatch({ events, plan, backend: new LocalBackend(passOptions), signal: new AbortController().signal, onRound: (r, work) => rounds.push(r * 10 + work.length) });
    expect(rounds).toEqual([3]);
    expect([...result.outcomes.values()].map((o) => o.kind)).toEqual(['done', 'done', 'done']);
    expect(result.lost).toEqual([]);
    for (const e of events) expect(existsSync(join(e.eventDir, 'top.txt'))).toBe(true);
    expect((await plan(events)).filter(hasWork)).toEqual([]);
  });

  it('sends again the events of a lost worker, and of a worker that ended with work left, within the retry limit', async () => {
    const { events, passOptions, plan } = setup(4);
    const local = new LocalBackend(passOptions);
    let calls = 0;
    const sent: string[][] = [];
    // First call: S0 is lost without running, S1 "done" without running; the rest run.
    const flaky: ExecutionBackend = {
      name: 'flaky',
      async execute(plans, signal) {
        sent.push(plans.map((p) => p.event.eventId));
        const first = calls++ === 0;
        const run = first ? plans.filter((p) => p.event.eventId !== 'S0' && p.event.eventId !== 'S1') : plans;
        const out = new Map(await local.execute(run, signal));
        if (first) {
          out.set(events[0]!.eventDir, { kind: 'lost', message: 'node lost' });
          out.set(events[1]!.eventDir, { kind: 'done' });
        }
        return out;
      },
    };
    const result = await dispatch({ events, plan, backend: flaky, retries: 2, signal: new AbortController().signal });
    expect(sent).toEqual([['S0', 'S1', 'S2', 'S3'], ['S0', 'S1']]);
    expect(result.outcomes.get(events[0]!.eventDir)).toMatchObject({ kind: 'done', attempts: 2 });
    expect(result.outcomes.get(events[2]!.eventDir)).toMatchObject({ kind: 'done', attempts: 1 });
    expect(result.lost).toEqual([]);
    for (const e of events) expect(readFileSync(join(e.eventDir, 'top.txt'), 'utf8')).toContain('Prep');
  });

  it('gives up after the retry limit and reports the events still lost', async () => {
    const { events, plan } = setup(2);
    const sent: number[] = [];
    const dead: ExecutionBackend = {
      name: 'dead',
      async execute(plans) {
        sent.push(plans.length);
        return new Map(plans.map((p): [string, EventOutcome] => [p.event.eventDir, { kind: 'lost', message: 'killed' }]));
      },
    };
    const result = await dispatch({ events, plan, backend: dead, retries: 1, signal: new AbortController().signal });
    expect(sent).toEqual([2, 2]);
    expect(result.lost.map((e) => e.eventId)).toEqual(['S0', 'S1']);
    expect(result.outcomes.get(events[1]!.eventDir)).toMatchObject({ kind: 'lost', attempts: 2 });
  });

  it('does not send again events whose pass failed or that another submitter has', async () => {
    const { events, plan } = setup(2);
    let calls = 0;
    const backend: ExecutionBackend = {
      name: 'other',
      async execute(plans) {
        calls++;
        return new Map(plans.map((p, i): [string, EventOutcome] => [p.event.eventDir, i === 0 ? { kind: 'failed', message: 'exit 2' } : { kind: 'elsewhere', worker: 'job 7_0' }]));
      },
    };
    const result = await dispatch({ events, plan, backend, signal: new AbortController().signal });
    expect(calls).toBe(1);
    expect([...result.outcomes.values()].map((o) => o.kind)).toEqual(['failed', 'elsewhere']);
  });
});
