import { existsSync, readFileSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { GenerationError } from '../errors.js';
import { HashCache, initHashing } from '../hash/hash.js';
import { defineRule } from '../rule/define.js';
import { definePipeline } from '../rule/pipeline.js';
import { catRule, externalRule, makeEvent, pass, tempRun } from '../testing/harness.js';
import { Scheduler } from './run-pass.js';

/** The entries of an event's `.tmp.d/`; none when the pass removed it (it does when it is left empty). */
const tmpEntries = (eventDir: string): string[] => (existsSync(join(eventDir, '.tmp.d')) ? readdirSync(join(eventDir, '.tmp.d')) : []);


await initHashing();

function chain() {
  const src = externalRule('Src', 'raw.dat');
  // Prep drops comment lines, so a comment-only change stops the cascade after it.
  const prep = catRule('Prep', [src], { transform: (t) => t.split('\n').filter((l) => !l.startsWith('#')).join('\n') });
  const mid = catRule('Mid', [prep]);
  const top = catRule('Top', [mid, prep]);
  const pipeline = definePipeline('T', [src, prep, mid, top]);
  return { src, prep, mid, top, pipeline };
}

describe('a pass over temp event directories', () => {
  it('runs a whole cascade in one pass, then nothing', async () => {
    const { pipeline } = chain();
    const run = tempRun();
    const event = makeEvent(run, 'S1', { 'raw.dat': '# v1\nalpha\n' });
    const cache = new HashCache();
    const first = await pass(pipeline, [event], { cache });
    expect(first.ran.sort()).toEqual(['Mid', 'Prep', 'Top']);
    expect(readFileSync(join(event.eventDir, 'top.txt'), 'utf8')).toContain('Mid');
    const rider = JSON.parse(readFileSync(join(event.eventDir, '.top.txt.metadata.json'), 'utf8'));
    expect(rider.llama.inputs).toHaveProperty('Mid');
    expect(rider).toHaveProperty('wall_time');
    await sleep(60);
    const second = await pass(pipeline, [event], { cache });
    expect(second.ran).toEqual([]);
  });

  it('touching a file without changing it rebuilds nothing', async () => {
    const { pipeline } = chain();
    const run = tempRun();
    const event = makeEvent(run, 'S1', { 'raw.dat': 'alpha\n' });
    await pass(pipeline, [event]);
    const later = new Date(Date.now() + 5000);
    utimesSync(join(event.eventDir, 'raw.dat'), later, later);
    utimesSync(join(event.eventDir, 'prep.txt'), later, later);
    expect((await pass(pipeline, [event])).ran).toEqual([]);
  });

  it('stops the cascade when a rebuilt output is unchanged (early cutoff)', async () => {
    const { pipeline } = chain();
    const run = tempRun();
    const event = makeEvent(run, 'S1', { 'raw.dat': '# v1\nalpha\n' });
    await pass(pipeline, [event]);
    writeFileSync(join(event.eventDir, 'raw.dat'), '# v2 comment only\nalpha\n');
    const result = await pass(pipeline, [event]);
    expect(result.ran).toEqual(['Prep']);
    expect(result.log.filter((e) => e.type === 'step-cutoff').map((e) => (e as { rule: string }).rule).sort()).toEqual(['Mid', 'Top']);
  });

  it('keeps a file edited by hand and rebuilds its dependents', async () => {
    const { pipeline } = chain();
    const run = tempRun();
    const event = makeEvent(run, 'S1', { 'raw.dat': 'alpha\n' });
    await pass(pipeline, [event]);
    writeFileSync(join(event.eventDir, 'mid.txt'), 'edited by an astronomer\n');
    const result = await pass(pipeline, [event]);
    expect(result.ran).toEqual(['Top']);
    expect(readFileSync(join(event.eventDir, 'mid.txt'), 'utf8')).toBe('edited by an astronomer\n');
    expect(readFileSync(join(event.eventDir, 'top.txt'), 'utf8')).toContain('edited by an astronomer');
  });

  it('a generation reads its inputs as they were when it started (hard-linked snapshots)', async () => {
    const src = externalRule('Src', 'raw.dat');
    let seen: { text: string; sameInode: boolean } | undefined;
    const reader = defineRule({
      name: 'Reader',
      filename: 'reader.txt',
      inputs: [src],
      generate: async (ctx) => {
        const original = statSync(join(ctx.event.eventDir, 'raw.dat')).ino;
        // A new version lands while this rule runs (ingest renames it into place).
        writeFileSync(join(ctx.event.eventDir, '.raw.dat.new'), 'second version\n');
        renameSync(join(ctx.event.eventDir, '.raw.dat.new'), join(ctx.event.eventDir, 'raw.dat'));
        const text = readFileSync(ctx.inputs['Src'] as string, 'utf8');
        seen ??= { text, sameInode: statSync(ctx.inputs['Src'] as string).ino === original };
        writeFileSync(ctx.outputPath, text);
      },
    });
    const pipeline = definePipeline('R', [src, reader]);
    const event = makeEvent(tempRun(), 'S1', { 'raw.dat': 'first version\n' });
    await pass(pipeline, [event]);
    expect(seen).toEqual({ text: 'first version\n', sameInode: true });
    expect(readFileSync(join(event.eventDir, 'reader.txt'), 'utf8')).toBe('first version\n');
    // The rider recorded the version it read, so the next pass sees the new one as a change.
    const next = await pass(pipeline, [event]);
    expect(next.plans[0]?.steps.find((s) => s.rule === 'Reader')?.reason.kind).toBe('input-changed');
    expect(tmpEntries(event.eventDir).filter((n) => n.startsWith('work-'))).toEqual([]);
  });

  it('rebuilds when a rule version changes', async () => {
    const { src, prep, pipeline } = chain();
    const run = tempRun();
    const event = makeEvent(run, 'S1', { 'raw.dat': 'alpha\n' });
    await pass(pipeline, [event]);
    const prep2 = defineRule({ ...prep, version: '2' });
    const v2 = definePipeline('T2', [src, prep2]);
    const result = await pass(v2, [event]);
    const planned = result.plans[0]?.steps.find((s) => s.rule === 'Prep');
    expect(planned?.reason).toEqual({ kind: 'rule-version-changed', old: '1', new: '2' });
  });

  it('many generations at once under one shutdown signal: no listener-leak warning, and shutdown still aborts them', async () => {
    const src = externalRule('Src', 'raw.dat');
    const slow = Array.from({ length: 24 }, (_, i) =>
      defineRule({
        name: `Slow${i}`,
        filename: `slow${i}.txt`,
        inputs: [src],
        generate: async (ctx) => {
          await new Promise((resolve) => setTimeout(resolve, 200));
          if (ctx.signal.aborted) return;
          writeFileSync(ctx.outputPath, 'done\n');
        },
      }),
    );
    const pipeline = definePipeline('W', [src, ...slow]);
    const event = makeEvent(tempRun(), 'S1', { 'raw.dat': 'x\n' });
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(w);
    };
    process.on('warning', onWarning);
    try {
      const shutdown = new AbortController();
      setTimeout(() => shutdown.abort(new Error('test shutdown')), 50);
      const result = await pass(pipeline, [event], { scheduler: new Scheduler(24), shutdown: shutdown.signal });
      await sleep(10); // warnings are emitted on the next tick
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
      expect(result.ran).toEqual([]);
      expect(result.log.filter((e) => e.type === 'step-failed')).toHaveLength(24);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('discards a result whose intent file was removed or replaced by another process while generating', async () => {
    const src = externalRule('Src', 'raw.dat');
    const intruder = (mode: 'remove' | 'replace') =>
      defineRule({
        name: mode === 'remove' ? 'Removed' : 'Replaced',
        filename: `${mode}.txt`,
        inputs: [src],
        generate: async (ctx) => {
          const intent = join(ctx.event.eventDir, `.${mode}.txt.intent.json`);
          expect(JSON.parse(readFileSync(intent, 'utf8')).pid).toBe(process.pid);
          if (mode === 'remove') rmSync(intent);
          else {
            // What a process that judged the intent stale does: write its own and rename it into place.
            writeFileSync(`${intent}.other`, JSON.stringify({ expiry: Date.now() / 1000 + 60, pid: process.pid, host: hostname() }));
            renameSync(`${intent}.other`, intent);
          }
          writeFileSync(ctx.outputPath, 'never seen\n');
        },
      });
    const pipeline = definePipeline('I', [src, intruder('remove'), intruder('replace')]);
    const event = makeEvent(tempRun(), 'S1', { 'raw.dat': 'x\n' });
    const result = await pass(pipeline, [event]);
    const failures = result.log.filter((e) => e.type === 'step-failed') as { rule: string; error: string }[];
    expect(failures.map((f) => f.rule).sort()).toEqual(['Removed', 'Replaced']);
    for (const f of failures) expect(f.error).toMatch(/intent file was removed or taken over/);
    expect(existsSync(join(event.eventDir, 'remove.txt'))).toBe(false);
    expect(existsSync(join(event.eventDir, 'replace.txt'))).toBe(false);
  });

  it('a failure cools down and blocks only its dependents; other rules and events go on', async () => {
    const src = externalRule('Src', 'raw.dat');
    const bad = defineRule({ name: 'Bad', filename: 'bad.txt', inputs: [src], generate: async () => { throw new GenerationError('raw.dat: the sky is falling'); } });
    const afterBad = catRule('AfterBad', [bad]);
    const good = catRule('Good', [src]);
    const pipeline = definePipeline('F', [src, bad, afterBad, good]);
    const run = tempRun();
    const e1 = makeEvent(run, 'S1', { 'raw.dat': 'x\n' });
    const e2 = makeEvent(run, 'S2', { 'raw.dat': 'y\n' });
    const result = await pass(pipeline, [e1, e2]);
    expect(result.ran.sort()).toEqual(['Good', 'Good']);
    const failed = result.log.filter((e) => e.type === 'step-failed');
    expect(failed).toHaveLength(2);
    expect(failed[0]).toMatchObject({ rule: 'Bad', error: 'raw.dat: the sky is falling', cooldownSeconds: 0 });
    const blocked = result.log.filter((e) => e.type === 'step-skipped');
    expect(blocked.map((e) => (e as { reason: { kind: string } }).reason.kind)).toEqual(['blocked', 'blocked']);
    const cooldown = JSON.parse(readFileSync(join(e1.eventDir, '.bad.txt.cooldown.json'), 'utf8'));
    expect(cooldown.num_attempts).toBe(0);
    // Second failure: num_attempts 1 → 60 s cooldown, so the third pass skips it.
    await pass(pipeline, [e1]);
    const third = await pass(pipeline, [e1]);
    expect(third.plans[0]?.steps.find((s) => s.rule === 'Bad')?.reason.kind).toBe('cooling-down');
    expect(existsSync(join(e1.eventDir, 'bad.txt'))).toBe(false);
    expect(tmpEntries(e1.eventDir).filter((n) => n.startsWith('Bad-') || n.startsWith('work-'))).toEqual([]);
  });

  it('an invalid FLAGS.json is an error for that event only', async () => {
    const { pipeline } = chain();
    const run = tempRun();
    const bad = makeEvent(run, 'S1', { 'raw.dat': 'x\n', 'FLAGS.json': '{"ROLE": "astronaut"}' });
    const good = makeEvent(run, 'S2', { 'raw.dat': 'x\n' });
    const result = await pass(pipeline, [bad, good]);
    const error = result.log.find((e) => e.type === 'event-error');
    expect(error).toMatchObject({ event: { eventId: 'S1' } });
    expect(JSON.stringify(error)).toContain('ROLE');
    expect(result.ran.sort()).toEqual(['Mid', 'Prep', 'Top']);
  });

  it('aborts a rule that runs past its timeout and records a cooldown', async () => {
    const src = externalRule('Src', 'raw.dat');
    const slow = defineRule({ name: 'Slow', filename: 'slow.txt', inputs: [src], timeoutSeconds: 0.2, generate: (ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))) });
    const run = tempRun();
    const event = makeEvent(run, 'S1', { 'raw.dat': 'x\n' });
    const result = await pass(definePipeline('S', [src, slow]), [event]);
    expect(result.log.find((e) => e.type === 'step-failed')).toMatchObject({ rule: 'Slow', error: expect.stringContaining('timed out') });
    expect(existsSync(join(event.eventDir, '.slow.txt.cooldown.json'))).toBe(true);
  });

  it('never recycles the work directory of a generation that ignored its deadline and writes on', async () => {
    const src = externalRule('Src', 'raw.dat');
    // Independent rules run in name order, one at a time: ASlow times out but writes a file into
    // its work directory later; BNext starts after, in a work directory from the pass's pool.
    const slow = defineRule({
      name: 'ASlow',
      filename: 'slow.txt',
      inputs: [src],
      timeoutSeconds: 0.1,
      generate: async (ctx) => {
        await sleep(300); // ignores ctx.signal
        writeFileSync(join(ctx.workDir, 'late.txt'), 'late\n');
      },
    });
    const next = defineRule({
      name: 'BNext',
      filename: 'next.txt',
      inputs: [src],
      generate: async (ctx) => {
        await sleep(400);
        writeFileSync(ctx.outputPath, readdirSync(ctx.workDir).sort().join('\n'));
      },
    });
    const run = tempRun();
    const event = makeEvent(run, 'S1', { 'raw.dat': 'x\n' });
    const result = await pass(definePipeline('L', [src, slow, next]), [event], { scheduler: new Scheduler(1) });
    expect(result.ran).toEqual(['BNext']);
    expect(readFileSync(join(event.eventDir, 'next.txt'), 'utf8')).toBe('raw.dat');
  });

  it('never runs more generations at once than the concurrency limit', async () => {
    let running = 0;
    let peak = 0;
    const src = externalRule('Src', 'raw.dat');
    const rules = [src];
    for (let i = 0; i < 6; i++) {
      rules.push(defineRule({ name: `W${i}`, filename: `w${i}.txt`, inputs: [src], generate: async (ctx) => {
        running++;
        peak = Math.max(peak, running);
        await sleep(20);
        running--;
        writeFileSync(ctx.outputPath, 'done');
      } }));
    }
    const run = tempRun();
    const events = [makeEvent(run, 'A', { 'raw.dat': '1' }), makeEvent(run, 'B', { 'raw.dat': '2' })];
    const result = await pass(definePipeline('W', rules), events, { scheduler: new Scheduler(3) });
    expect(result.ran).toHaveLength(12);
    expect(peak).toBe(3);
  });

  it('writes a permanent veto rider for always-vetoed rules and leaves the output alone', async () => {
    const src = externalRule('Src', 'raw.dat');
    const ztf = defineRule({ name: 'Ztf', filename: 'ztf.json', inputs: [src], vetoes: [{ name: 'always_veto', permanent: true, check: () => 'manual only' }], generate: async () => { throw new Error('must not run'); } });
    const run = tempRun();
    const event = makeEvent(run, 'S1', { 'raw.dat': 'x\n' });
    const pipeline = definePipeline('Z', [src, ztf]);
    await pass(pipeline, [event]);
    const veto = JSON.parse(readFileSync(join(event.eventDir, '.ztf.json.veto.json'), 'utf8'));
    expect(veto).toMatchObject({ veto_function: 'always_veto', veto_message: 'manual only', manifest: ['ztf.json'] });
    const again = await pass(pipeline, [event]);
    expect(again.plans[0]?.steps.find((s) => s.rule === 'Ztf')).toMatchObject({ action: 'skip', reason: { kind: 'vetoed', veto: 'permanent' } });
  });

  it('refreshes provisional outputs when due and cuts off when unchanged', async () => {
    const src = externalRule('Src', 'raw.dat');
    let calls = 0;
    const list = defineRule({ name: 'List', filename: 'list.json', inputs: [src], generate: async (ctx) => {
      calls++;
      writeFileSync(ctx.outputPath, '{"complete": false}');
      ctx.setProvisional('window still open', 0);
    } });
    const user = catRule('User', [list]);
    const run = tempRun();
    const event = makeEvent(run, 'S1', { 'raw.dat': 'x\n' });
    const pipeline = definePipeline('P', [src, list, user]);
    await pass(pipeline, [event]);
    const second = await pass(pipeline, [event]);
    expect(calls).toBe(2);
    expect(second.plans[0]?.steps.find((s) => s.rule === 'List')?.reason.kind).toBe('provisional');
    expect(second.ran).toEqual(['List']);
  });

  it('does not redo an output another process made after the plan (superseded)', async () => {
    const src = externalRule('Src', 'raw.dat');
    let bRuns = 0;
    // A stands in for a second llama process: while this pass waits, it writes B's output.
    const a = defineRule({ name: 'A', filename: 'a.txt', inputs: [src], generate: async (ctx) => {
      writeFileSync(join(ctx.event.eventDir, 'b.txt'), 'made elsewhere\n');
      writeFileSync(ctx.outputPath, 'a\n');
    } });
    const b = defineRule({ name: 'B', filename: 'b.txt', inputs: [src], generate: async (ctx) => { bRuns++; writeFileSync(ctx.outputPath, 'b\n'); } });
    const run = tempRun();
    const event = makeEvent(run, 'S1', { 'raw.dat': 'x\n' });
    const result = await pass(definePipeline('S', [src, a, b]), [event], { scheduler: new Scheduler(1) });
    expect(bRuns).toBe(0);
    expect(result.log.find((e) => e.type === 'step-skipped')).toMatchObject({ rule: 'B', reason: { kind: 'superseded' } });
    expect(readFileSync(join(event.eventDir, 'b.txt'), 'utf8')).toBe('made elsewhere\n');
  });

  it('commits each generation with the 3.5.1 message when versioning is on', async () => {
    const { pipeline } = chain();
    const run = tempRun();
    const event = makeEvent(run, 'S1', { 'raw.dat': 'alpha\n' });
    await pass(pipeline, [event], { versioning: true });
    const { execFileSync } = await import('node:child_process');
    const log = execFileSync('git', ['log', '--format=%s'], { cwd: event.eventDir, encoding: 'utf8' });
    expect(log).toContain('Done regenerating Top. Files added from manifest:');
    const ignored = readFileSync(join(event.eventDir, '.gitignore'), 'utf8');
    expect(ignored).toContain('.tmp.d');
    mkdirSync(join(event.eventDir, 'x'), { recursive: true });
  });
});
