import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { initHashing } from '../hash/hash.js';
import { Scheduler } from '../execute/scheduler.js';
import { makeEvent, pass, tempRun } from '../testing/harness.js';
import { loadRuleSpec } from './json-rules.js';
import type { Pipeline } from './pipeline.js';

await initHashing();

const chainSpec = (prepCommand = "grep -v '^#' raw.dat > prep.dat") => ({
  name: 'chain',
  rules: [
    { name: 'raw', output: 'raw.dat', external: true },
    { name: 'prep', output: 'prep.dat', inputs: ['raw'], command: prepCommand },
    // inputs may name a rule or its output file, and may be declared before the rule
    { name: 'count', output: 'count.txt', inputs: ['prep.dat', 'raw'], command: 'wc -l < prep.dat > count.txt; echo "$LLAMA_EVENT_ID $LLAMA_RULE" >> count.txt' },
  ],
});

function load(spec: unknown): Pipeline {
  const result = loadRuleSpec(spec, { baseDir: '/spec' });
  if (!result.ok) throw new Error(result.error.map((d) => d.message).join('\n'));
  return result.value;
}

function problems(spec: unknown): string[] {
  const result = loadRuleSpec(spec, { baseDir: '/spec' });
  expect(result.ok).toBe(false);
  return result.ok ? [] : result.error.map((d) => `${d.code}: ${d.message}`);
}

describe('loadRuleSpec: building a pipeline', () => {
  it('resolves inputs by rule name or filename, in dependency order', () => {
    const pipeline = load(chainSpec());
    expect(pipeline.name).toBe('chain');
    expect(pipeline.order).toEqual(['raw', 'prep', 'count']);
    const count = pipeline.rules.get('count');
    expect(count?.inputs.map((r) => r.name)).toEqual(['prep', 'raw']);
    expect(count?.inputs[0]).toBe(pipeline.rules.get('prep'));
    expect(pipeline.rules.get('raw')?.externallyTriggered).toBe(true);
    expect(Object.isFrozen(count)).toBe(true);
  });

  it('makes the command part of the rule version', () => {
    const a = load(chainSpec()).rules.get('prep')?.version;
    const b = load(chainSpec("grep -v '^# ' raw.dat > prep.dat")).rules.get('prep')?.version;
    expect(a).toMatch(/^1\+[0-9a-f]{12}$/);
    expect(b).not.toBe(a);
  });

  it('reports every problem at once: shape, unknown inputs, duplicates, cycles', () => {
    const found = problems({
      name: 'broken',
      extra: 1,
      rules: [
        { name: 'raw', output: 'raw.dat', external: true, command: 'true' },
        { name: 'a', output: 'a.txt', inputs: ['b', 'nowhere.txt'], command: 'cat b.txt > a.txt' },
        { name: 'b', output: 'b.txt', inputs: ['a'], command: 'cat a.txt > b.txt' },
        { name: 'c', output: 'a.txt', inputs: ['raw'], command: 'x' },
        { name: 'c', output: 'c2.txt', command: 'x' },
        { name: 'd', output: 'd.txt', timeout: -1, comand: 'typo' },
        'not an object',
      ],
    });
    const text = found.join('\n');
    expect(text).toContain('"extra" is not a known top-level field');
    expect(text).toMatch(/rules\[0\] \(raw\): command is not allowed on an external rule/);
    expect(text).toMatch(/unknown-input: rule a: input "nowhere.txt"/);
    expect(text).toMatch(/cycle: dependency cycle: a -> b -> a/);
    expect(text).toMatch(/duplicate-filename: rules a and c both write a.txt/);
    expect(text).toMatch(/duplicate-name: two different rules are named c/);
    expect(text).toMatch(/rules\[5\] \(d\): "comand" is not a known field/);
    expect(text).toMatch(/rules\[5\] \(d\): command must be a non-empty shell command/);
    expect(text).toMatch(/rules\[5\] \(d\): timeout must be a positive number/);
    expect(text).toMatch(/rules\[6\] must be an object/);
  });

  it('rejects what is not a rule description', () => {
    expect(problems(null)[0]).toContain('must be a JSON object');
    expect(problems({ name: 'x', rules: [] })[0]).toContain('"rules" must be a non-empty array');
    expect(problems({ rules: [{ name: 'bad name', output: 'x', command: 'true' }] }).join('\n')).toMatch(/"name" must be a non-empty string[\s\S]*bad-name/);
  });
});

describe('command rules in a pass', () => {
  it('run sh in the work dir with input snapshots, and cut off on a comment-only change', async () => {
    const pipeline = load(chainSpec());
    const event = makeEvent(tempRun(), 'E1', { 'raw.dat': '# c1\na\nb\n' });
    const first = await pass(pipeline, [event]);
    expect(first.ran).toEqual(['prep', 'count']);
    expect(readFileSync(join(event.eventDir, 'prep.dat'), 'utf8')).toBe('a\nb\n');
    expect(readFileSync(join(event.eventDir, 'count.txt'), 'utf8')).toBe('2\nE1 count\n');
    await sleep(60);
    writeFileSync(join(event.eventDir, 'raw.dat'), '# c2\na\nb\n');
    const second = await pass(pipeline, [event]);
    // count reads raw.dat too, so it reruns; a rule reading only prep.dat would be cut off
    expect(second.ran).toEqual(['prep', 'count']);
    expect(second.log.filter((e) => e.type === 'step-cutoff')).toEqual([]);
  });

  it('cuts off dependents whose inputs came out unchanged', async () => {
    const pipeline = load({
      name: 'cutoff',
      rules: [
        { name: 'raw', output: 'raw.dat', external: true },
        { name: 'prep', output: 'prep.dat', inputs: ['raw'], command: "grep -v '^#' raw.dat > prep.dat" },
        { name: 'top', output: 'top.dat', inputs: ['prep'], command: 'cksum prep.dat > top.dat' },
      ],
    });
    const event = makeEvent(tempRun(), 'E1', { 'raw.dat': '# c1\na\n' });
    await pass(pipeline, [event]);
    await sleep(60);
    writeFileSync(join(event.eventDir, 'raw.dat'), '# c2\na\n');
    const result = await pass(pipeline, [event]);
    expect(result.ran).toEqual(['prep']);
    expect(result.log.filter((e) => e.type === 'step-cutoff').map((e) => (e as { rule: string }).rule)).toEqual(['top']);
  });

  it('fails with the exit code and the end of stderr, and writes nothing', async () => {
    const pipeline = load({
      name: 'fail',
      rules: [
        { name: 'raw', output: 'raw.dat', external: true },
        { name: 'bad', output: 'bad.dat', inputs: ['raw'], command: 'echo partial > bad.dat; for i in 1 2 3 4 5 6 7; do echo "line $i" >&2; done; exit 3' },
        { name: 'silent', output: 'silent.dat', inputs: ['raw'], command: 'true' },
      ],
    });
    const event = makeEvent(tempRun(), 'E1', { 'raw.dat': 'x\n' });
    const result = await pass(pipeline, [event]);
    const failures = result.log.filter((e) => e.type === 'step-failed') as { rule: string; error: string }[];
    const bad = failures.find((f) => f.rule === 'bad');
    expect(bad?.error).toContain('rule bad (bad.dat) of event E1: command exited with code 3');
    expect(bad?.error).toContain('line 3\nline 4\nline 5\nline 6\nline 7');
    expect(bad?.error).not.toContain('line 2');
    expect(failures.find((f) => f.rule === 'silent')?.error).toContain('without writing silent.dat');
    expect(existsSync(join(event.eventDir, 'bad.dat'))).toBe(false);
  });

  it('runs awkward commands and many concurrent jobs the same through the shell helper and with direct spawns', async () => {
    const awkward = `printf '%s\\n' "it's \\"quoted\\"" '$HOME stays literal' > out.txt
cat raw.dat >> out.txt; echo "$LLAMA_EVENT_ID" >> out.txt; exit 0`;
    const pipeline = load({
      name: 'awkward',
      rules: [
        { name: 'raw', output: 'raw.dat', external: true },
        { name: 'out', output: 'out.txt', inputs: ['raw'], command: awkward },
        { name: 'fails', output: 'fails.txt', inputs: ['raw'], command: "echo \"it's broken\" >&2; exit 7" },
        { name: 'after', output: 'after.txt', inputs: ['out'], command: 'cksum out.txt > after.txt' },
      ],
    });
    const results: string[][] = [];
    for (const helper of ['on', 'off']) {
      const run = tempRun();
      const events = Array.from({ length: 12 }, (_, i) => makeEvent(run, `E${i}`, { 'raw.dat': `event ${i}\n` }));
      const result = await pass(pipeline, events, { env: { ...process.env, LLAMA_SHELL_HELPER: helper } });
      expect(result.ran.filter((r) => r === 'out')).toHaveLength(12);
      expect(result.ran.filter((r) => r === 'after')).toHaveLength(12);
      const failures = result.log.filter((e) => e.type === 'step-failed') as { error: string }[];
      expect(failures).toHaveLength(12);
      for (const f of failures) expect(f.error).toMatch(/command exited with code 7; stderr ends with:\nit's broken$/);
      results.push(events.map((e) => readFileSync(join(e.eventDir, 'out.txt'), 'utf8')));
    }
    expect(results[0]?.[3]).toBe('it\'s "quoted"\n$HOME stays literal\nevent 3\nE3\n');
    expect(results[0]).toEqual(results[1]);
  });

  it('kills the whole process group when the rule times out', async () => {
    const run = tempRun();
    const pidFile = join(run, 'child.pid');
    const pipeline = load({
      name: 'slow',
      rules: [
        { name: 'raw', output: 'raw.dat', external: true },
        { name: 'slow', output: 'slow.dat', inputs: ['raw'], timeout: 0.3, command: `sleep 30 & echo $! > ${pidFile}; wait` },
      ],
    });
    const event = makeEvent(run, 'E1', { 'raw.dat': 'x\n' });
    const result = await pass(pipeline, [event]);
    expect(result.log.find((e) => e.type === 'step-failed')).toMatchObject({ rule: 'slow', error: expect.stringContaining('timed out') });
    const pid = Number(readFileSync(pidFile, 'utf8'));
    // A killed orphan may linger as a zombie until init reaps it: that counts as dead.
    const alive = (): boolean => {
      try {
        return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 40 && alive(); i++) await sleep(50);
    expect(alive()).toBe(false);
  });

  it("writes a command's intent to outlive the longest wait behind another command plus its own deadline", async () => {
    const run = tempRun();
    const pipeline = load({
      name: 'intent',
      rules: [
        { name: 'raw', output: 'raw.dat', external: true },
        { name: 'long', output: 'long.dat', inputs: ['raw'], timeout: 50, command: 'true > long.dat' },
        { name: 'peek', output: 'peek.json', inputs: ['raw'], timeout: 5, command: 'cat "$LLAMA_EVENT_DIR/.$LLAMA_OUTPUT.intent.json" > "$LLAMA_OUTPUT"' },
      ],
    });
    const event = makeEvent(run, 'E1', { 'raw.dat': 'x\n' });
    const before = Date.now();
    await pass(pipeline, [event], { scheduler: new Scheduler(1) });
    const intent = JSON.parse(readFileSync(join(event.eventDir, 'peek.json'), 'utf8')) as { expiry: number };
    const expiresInMs = intent.expiry * 1000 - before;
    expect(expiresInMs).toBeGreaterThan(54_000);
    expect(expiresInMs).toBeLessThan(60_000);
  });

  it("never hands the work directory of a timed-out command that is still running to another job", async () => {
    const run = tempRun();
    // Independent rules run in name order: a_slow, then b_wait (prepared while a_slow runs, in a
    // work directory of its own), then c_next (prepared once a_slow was aborted: its work
    // directory comes from the pass's pool). A timed-out command's process group is killed as
    // soon as its helper shell dies, so nothing of it writes on (see run-pass.test.ts for rules
    // whose code ignores the deadline).
    const pipeline = load({
      name: 'late',
      rules: [
        { name: 'raw', output: 'raw.dat', external: true },
        // ignores SIGTERM, so it runs on for the kill grace (1 s) after its deadline
        { name: 'a_slow', output: 'slow.dat', inputs: ['raw'], timeout: 0.2, command: "trap '' TERM; sleep 0.5; echo late > late.txt; sleep 5" },
        { name: 'b_wait', output: 'wait.dat', inputs: ['raw'], command: 'sleep 0.6; : > wait.dat' },
        { name: 'c_next', output: 'next.dat', inputs: ['raw'], command: 'ls > next.dat' },
      ],
    });
    const event = makeEvent(run, 'E1', { 'raw.dat': 'x\n' });
    const result = await pass(pipeline, [event], { scheduler: new Scheduler(1) });
    expect(result.ran).toEqual(['b_wait', 'c_next']);
    expect(readFileSync(join(event.eventDir, 'next.dat'), 'utf8')).toBe('next.dat\nraw.dat\n'); // no late.txt
  });

  it('runs a command that waited behind a timed-out one as if nothing happened, with one job slot', async () => {
    const run = tempRun();
    const pipeline = load({
      name: 'queue',
      rules: [
        { name: 'raw', output: 'raw.dat', external: true },
        { name: 'slow', output: 'slow.dat', inputs: ['raw'], timeout: 0.3, command: 'sleep 30' },
        ...['a', 'b', 'c'].map((n) => ({ name: n, output: `${n}.dat`, inputs: ['raw'], command: `echo ${n} > ${n}.dat` })),
      ],
    });
    const event = makeEvent(run, 'E1', { 'raw.dat': 'x\n' });
    const result = await pass(pipeline, [event], { scheduler: new Scheduler(1) });
    expect(result.log.filter((e) => e.type === 'step-failed').map((e) => (e as { rule: string }).rule)).toEqual(['slow']);
    expect(result.ran.sort()).toEqual(['a', 'b', 'c']);
    for (const n of ['a', 'b', 'c']) expect(readFileSync(join(event.eventDir, `${n}.dat`), 'utf8')).toBe(`${n}\n`);
    expect(existsSync(join(event.eventDir, '.a.dat.cooldown.json'))).toBe(false);
  });
});
