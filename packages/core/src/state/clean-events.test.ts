import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { GenerationError } from '../errors.js';
import { serializeIntent } from '../event/riders.js';
import { HashCache, initHashing } from '../hash/hash.js';
import { defineRule } from '../rule/define.js';
import { definePipeline } from '../rule/pipeline.js';
import { catRule, externalRule, makeEvent, pass, tempRun } from '../testing/harness.js';
import { CleanEvents } from './clean-events.js';
import { snapshotLayout } from './snapshot.js';

await initHashing();

/** Let the racy window (files changed within 50 ms of being read are never trusted) pass. */
const settle = (): Promise<void> => sleep(70);

function chain(topVersion = '1') {
  const src = externalRule('Src', 'raw.dat');
  const prep = catRule('Prep', [src]);
  const mid = catRule('Mid', [prep]);
  const top = catRule('Top', [mid], { version: topVersion });
  return definePipeline('T', [src, prep, mid, top]);
}

/** A fully built, settled event and a clean index that knows it. */
async function builtEvent(pipeline = chain()) {
  const run = tempRun('llama-clean-');
  const event = makeEvent(run, 'S1', { 'raw.dat': 'alpha\n' });
  const cache = new HashCache();
  const clean = new CleanEvents();
  expect((await pass(pipeline, [event], { cache, clean })).ran).toEqual(['Prep', 'Mid', 'Top']);
  // The pass ended before its new files were past the racy window: it could not record the event.
  expect(clean.get(snapshotLayout(pipeline).key, event.eventDir)).toBeUndefined();
  await settle();
  const planned = await pass(pipeline, [event], { cache, clean });
  expect(planned.plans[0]?.unchanged).toBeUndefined();
  expect(planned.ran).toEqual([]);
  expect(clean.get(snapshotLayout(pipeline).key, event.eventDir)).toBeDefined();
  return { run, event, cache, clean, pipeline };
}

describe('clean events: a no-op pass skips events whose files did not change', () => {
  it('reuses the plan of an unchanged event, and plans it again after an in-place edit', async () => {
    const { event, cache, clean, pipeline } = await builtEvent();
    const reused = await pass(pipeline, [event], { cache, clean });
    expect(reused.plans[0]?.unchanged).toEqual({ until: undefined });
    expect(reused.plans[0]?.steps).toEqual([]);
    expect(reused.ran).toEqual([]);

    // Same size, same directory entry: only the file's own stat tells.
    writeFileSync(join(event.eventDir, 'raw.dat'), 'omega\n');
    const edited = await pass(pipeline, [event], { cache, clean });
    expect(edited.plans[0]?.unchanged).toBeUndefined();
    expect(edited.ran).toEqual(['Prep', 'Mid', 'Top']);
    expect(readFileSync(join(event.eventDir, 'top.txt'), 'utf8')).toContain('omega');
  });

  it('plans again when a file appears or disappears', async () => {
    const pipeline = chain();
    const run = tempRun('llama-clean-');
    const event = makeEvent(run, 'S1');
    const cache = new HashCache();
    const clean = new CleanEvents();
    await settle();
    const waiting = await pass(pipeline, [event], { cache, clean });
    expect(waiting.plans[0]?.steps.find((s) => s.rule === 'Src')?.reason.kind).toBe('awaits-trigger');
    expect((await pass(pipeline, [event], { cache, clean })).plans[0]?.unchanged).toBeDefined();

    writeFileSync(join(event.eventDir, 'raw.dat'), 'alpha\n');
    expect((await pass(pipeline, [event], { cache, clean })).ran).toEqual(['Prep', 'Mid', 'Top']);
    await settle();
    await pass(pipeline, [event], { cache, clean });
    rmSync(join(event.eventDir, 'mid.txt'));
    expect((await pass(pipeline, [event], { cache, clean })).ran).toEqual(['Mid']);
  });

  it('plans again when FLAGS.json is edited in place', async () => {
    const pipeline = chain();
    const run = tempRun('llama-clean-');
    const event = makeEvent(run, 'S1', { 'raw.dat': 'alpha\n', 'FLAGS.json': '{"VETOED": "false"}' });
    const cache = new HashCache();
    const clean = new CleanEvents();
    await pass(pipeline, [event], { cache, clean });
    await settle();
    await pass(pipeline, [event], { cache, clean });
    expect((await pass(pipeline, [event], { cache, clean })).plans[0]?.unchanged).toBeDefined();
    writeFileSync(join(event.eventDir, 'FLAGS.json'), '{"VETOED": "true"}');
    const vetoed = await pass(pipeline, [event], { cache, clean });
    expect(vetoed.plans[0]?.unchanged).toBeUndefined();
    expect(vetoed.plans[0]?.steps.find((s) => s.rule === 'Top')?.reason.kind).toBe('vetoed');
  });

  it('plans again when the rule set changes (a rule version bump)', async () => {
    const { event, cache, clean } = await builtEvent();
    const bumped = await pass(chain('2'), [event], { cache, clean });
    expect(bumped.plans[0]?.unchanged).toBeUndefined();
    expect(bumped.ran).toEqual(['Top']);
    expect(snapshotLayout(chain('2')).key).not.toBe(snapshotLayout(chain('1')).key);
  });

  it('plans again when a cooldown ends', async () => {
    let fail = true;
    const src = externalRule('Src', 'raw.dat');
    const flaky = defineRule({
      name: 'Flaky',
      filename: 'flaky.txt',
      inputs: [src],
      cooldown: { base: 60, increment: 0, maximum: 60 },
      generate: async (ctx) => {
        if (fail) throw new GenerationError('not yet');
        writeFileSync(ctx.outputPath, 'done\n');
      },
    });
    const pipeline = definePipeline('F', [src, flaky]);
    const run = tempRun('llama-clean-');
    const event = makeEvent(run, 'S1', { 'raw.dat': 'alpha\n' });
    const cache = new HashCache();
    const clean = new CleanEvents();
    const t0 = Date.now();
    // First failure: retried at once (3.5.1 cooldown 0 after the first attempt); second: 60 s.
    await pass(pipeline, [event], { cache, clean, now: () => t0 });
    await pass(pipeline, [event], { cache, clean, now: () => t0 });
    await settle();
    const cooling = await pass(pipeline, [event], { cache, clean, now: () => t0 + 1000 });
    expect(cooling.plans[0]?.steps.find((s) => s.rule === 'Flaky')?.reason.kind).toBe('cooling-down');
    const reused = await pass(pipeline, [event], { cache, clean, now: () => t0 + 2000 });
    expect(reused.plans[0]?.unchanged?.until).toBe(t0 + 60_000);
    fail = false;
    const retried = await pass(pipeline, [event], { cache, clean, now: () => t0 + 61_000 });
    expect(retried.plans[0]?.unchanged).toBeUndefined();
    expect(retried.ran).toEqual(['Flaky']);
  });

  it('never records an event while another run holds an intent on it', async () => {
    const { event, cache, clean, pipeline } = await builtEvent();
    writeFileSync(join(event.eventDir, 'mid.txt'), 'changed\n');
    writeFileSync(join(event.eventDir, '.top.txt.intent.json'), serializeIntent({ expiresAt: Date.now() + 3_600_000, pid: process.ppid }));
    await settle();
    for (let i = 0; i < 2; i++) {
      const held = await pass(pipeline, [event], { cache, clean });
      expect(held.plans[0]?.unchanged).toBeUndefined();
      expect(held.plans[0]?.steps.find((s) => s.rule === 'Top')?.reason.kind).toBe('intent-held');
    }
  });

  it('dry runs and forced runs plan every event', async () => {
    const { event, cache, clean, pipeline } = await builtEvent();
    const dry = await pass(pipeline, [event], { cache, clean, dryRun: true });
    expect(dry.plans[0]?.unchanged).toBeUndefined();
    expect(dry.plans[0]?.steps.every((s) => s.action === 'fresh')).toBe(true);
    const forced = await pass(pipeline, [event], { cache, clean, force: new Set(['Top']) });
    expect(forced.ran).toEqual(['Top']);
  });

  it('a forced pass leaves the records of events it did not change', async () => {
    const pipeline = chain();
    const run = tempRun('llama-clean-');
    const waiting = makeEvent(run, 'S2'); // no raw.dat: nothing can run, forced or not
    const { event, cache, clean } = await builtEvent(pipeline);
    await pass(pipeline, [waiting], { cache, clean });
    expect((await pass(pipeline, [event, waiting], { cache, clean })).plans.map((p) => p.unchanged !== undefined)).toEqual([true, true]);
    const forced = await pass(pipeline, [event, waiting], { cache, clean, force: new Set(['Prep']) });
    expect(forced.ran).toEqual(['Prep']);
    await settle();
    const after = await pass(pipeline, [event, waiting], { cache, clean });
    expect(after.plans.map((p) => p.unchanged !== undefined)).toEqual([false, true]);
  });

  it('trusts a record for a limited time: an in-place edit of a rider is noticed when it expires', async () => {
    const { event, cache, clean, pipeline } = await builtEvent();
    const rider = join(event.eventDir, '.top.txt.metadata.json');
    writeFileSync(rider, readFileSync(rider, 'utf8').slice(0, 50)); // truncated in place: no stat'ed file changes
    const recorded = (clean.get(snapshotLayout(pipeline).key, event.eventDir) as { recorded: number }).recorded;
    const trusted = await pass(pipeline, [event], { cache, clean, now: () => recorded + 60_000, cleanRecordTtlMs: 120_000 });
    expect(trusted.plans[0]?.unchanged).toBeDefined();
    const expired = await pass(pipeline, [event], { cache, clean, now: () => recorded + 180_000, cleanRecordTtlMs: 120_000 });
    expect(expired.plans[0]?.unchanged).toBeUndefined();
    expect(expired.plans[0]?.warnings.join('\n')).toMatch(/\.top\.txt\.metadata\.json/);
    expect(expired.ran).toEqual(['Top']);
    expect(JSON.parse(readFileSync(rider, 'utf8')).llama.rule).toBe('Top');
  });

  it('records an event whose work ended early in the pass, once past the racy window, without waiting at the end', async () => {
    const src = externalRule('Src', 'raw.dat');
    const slow = defineRule({
      name: 'Slow',
      filename: 'slow.txt',
      inputs: [src],
      generate: async (ctx) => {
        if (ctx.event.eventId === 'Late') await sleep(300);
        writeFileSync(ctx.outputPath, 'done\n');
      },
    });
    const pipeline = definePipeline('S', [src, slow]);
    const run = tempRun('llama-clean-');
    const early = makeEvent(run, 'Early', { 'raw.dat': 'a\n' });
    const late = makeEvent(run, 'Late', { 'raw.dat': 'b\n' });
    const clean = new CleanEvents();
    await pass(pipeline, [early, late], { clean });
    // The late event would be recorded too if the pass waited out its racy window.
    const key = snapshotLayout(pipeline).key;
    expect(clean.get(key, early.eventDir)).toBeDefined();
    expect(clean.get(key, late.eventDir)).toBeUndefined();
  });

  it('does not trust files changed within the racy window', async () => {
    const { event, cache, clean, pipeline } = await builtEvent();
    const key = snapshotLayout(pipeline).key;
    // Touched just now (same bytes): nothing to do, but a change within the timestamps'
    // granularity could follow unseen, so the pass drops the record instead of renewing it.
    const now = new Date();
    utimesSync(join(event.eventDir, 'raw.dat'), now, now);
    const touched = await pass(pipeline, [event], { cache, clean });
    expect(touched.ran).toEqual([]);
    expect(clean.get(key, event.eventDir)).toBeUndefined();
    await settle();
    await pass(pipeline, [event], { cache, clean });
    expect(clean.get(key, event.eventDir)).toBeDefined();
  });

  it('persists its records; a damaged file is an empty index', async () => {
    const { event, clean, pipeline } = await builtEvent();
    const dir = mkdtempSync(join(tmpdir(), 'llama-clean-index-'));
    const file = join(dir, 'clean.json');
    clean.save(file);
    const loaded = CleanEvents.load(file);
    const key = snapshotLayout(pipeline).key;
    expect(loaded.get(key, event.eventDir)).toEqual(clean.get(key, event.eventDir));
    expect((await pass(pipeline, [event], { clean: loaded })).plans[0]?.unchanged).toBeDefined();
    writeFileSync(file, '{"v":1,"layouts":');
    expect(CleanEvents.load(file).count(key)).toBe(0);
  });
});
