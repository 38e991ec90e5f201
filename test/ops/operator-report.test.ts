import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { llama, LLAMA, makeEvent, REPO, sandbox, startLlama, writeSpec, type SpecRule } from '../faults/harness.js';
import { hasSystemPython, runInPty, screenRows } from './screen.js';

/**
 * What `llama run` tells an operator (issue 13): blocked steps, missing inputs, paths that exist,
 * damaged outputs, scratch of killed processes, cooldown errors, the terminal, UTC, the plan.
 * Every case runs the built CLI as an operator would.
 */

const FLAGS = JSON.stringify({ BLINDED_NEUTRINOS: 'false', ICECUBE_UPLOAD: 'false', MANUAL: 'false', ONLINE: 'true', ROLE: 'observation', UPLOAD: 'false', VETOED: 'false' });

/** raw (placed by hand) → a → b → c: `a` fails unless raw.dat says "ok". */
const CHAIN: SpecRule[] = [
  { name: 'raw', output: 'raw.dat', external: true },
  { name: 'a', output: 'a.txt', inputs: ['raw'], command: 'grep -q ok raw.dat && cp raw.dat a.txt' },
  { name: 'b', output: 'b.txt', inputs: ['a'], command: 'cp a.txt b.txt' },
  { name: 'c', output: 'c.txt', inputs: ['b'], command: 'cp b.txt c.txt' },
];

const run = (box: ReturnType<typeof sandbox>, spec: string, extra: readonly string[] = [], env: Record<string, string> = {}) =>
  llama(box, ['run', `${box.run}/`, '-F', '-o', '-D', '--rules', spec, '-l', '/dev/null', ...extra], env);

/** A pid that no process has now (a process that ran and exited). */
function deadPid(): number {
  const r = spawnSync('sh', ['-c', 'echo $$']);
  return Number(r.stdout.toString().trim());
}

describe('after an upstream failure', () => {
  it('dependents are logged at INFO and counted as BLOCKED, naming the failed rule, not as cut off', async () => {
    const box = sandbox();
    const spec = writeSpec(box.root, CHAIN);
    makeEvent(box.run, 'e1', { 'raw.dat': 'ok\n' });
    expect((await run(box, spec)).code).toBe(0);
    writeFileSync(join(box.run, 'e1', 'raw.dat'), 'corrupt\n');
    const r = await run(box, spec);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\|WARNING\|[^|]*\|pid:\d+\|e1 a\| FAILED: /);
    expect(r.stderr).toMatch(/\|INFO\|[^|]*\|pid:\d+\|e1 b\| BLOCKED: not attempted because a \(a\.txt\) failed in this pass/);
    expect(r.stderr).toMatch(/\|INFO\|[^|]*\|pid:\d+\|e1 c\| BLOCKED: not attempted because a \(a\.txt\) failed in this pass/);
    expect(r.stderr).not.toContain('early cutoff');
    expect(r.stderr).toContain('0 generated, 1 failed, 2 blocked, 0 cut off');
    // Nothing was replaced behind the failure.
    expect(readFileSync(join(box.run, 'e1', 'c.txt'), 'utf8')).toBe('ok\n');
  });
});

describe('a missing input with -f', () => {
  it('says at INFO which rule waits for which missing input (llama run . -o -f RULE -F)', async () => {
    const box = sandbox();
    const spec = writeSpec(box.root, CHAIN);
    const dir = makeEvent(box.run, 'e1', { 'FLAGS.json': FLAGS });
    // The operator's form: from inside the event directory.
    const here = spawnSync(process.execPath, [LLAMA, 'run', '.', '-o', '-f', 'a', '-F', '-D', '--rules', spec, '-l', '/dev/null'], {
      cwd: dir,
      env: { ...process.env, ...box.env },
      encoding: 'utf8',
    });
    expect(here.status).toBe(0);
    expect(here.stderr).toMatch(/\|INFO\|[^|]*\|pid:\d+\|e1 a\| waits for missing input raw \(raw\.dat\), which this selection does not generate/);
    expect(here.stderr).toContain('nothing to do');
  });
});

describe('error messages', () => {
  it('name the event directory\'s file, not the vanished work directory under .tmp.d', async () => {
    const box = sandbox();
    const spec = writeSpec(box.root, [
      { name: 'raw', output: 'raw.dat', external: true },
      { name: 'parse', output: 'parsed.json', inputs: ['raw'], command: 'echo "cannot parse $(pwd)/raw.dat: unexpected end of input" >&2; exit 3' },
    ]);
    const dir = makeEvent(box.run, 'e1', { 'raw.dat': '{' });
    const r = await run(box, spec);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot parse ${dir}/raw.dat: unexpected end of input`);
    expect(r.stderr).not.toContain('.tmp.d');
    const cooldown = JSON.parse(readFileSync(join(dir, '.parsed.json.cooldown.json'), 'utf8')) as { last_error: string };
    expect(cooldown.last_error).toContain(`${dir}/raw.dat`);
    expect(cooldown.last_error).not.toContain('.tmp.d');
  });
});

describe('a generated output damaged after it was made', () => {
  it('is kept as a hand edit; its failing consumer names it and the fix (--force RULE), which works', async () => {
    const box = sandbox();
    const spec = writeSpec(box.root, [
      { name: 'raw', output: 'raw.dat', external: true },
      { name: 'list', output: 'list.txt', inputs: ['raw'], command: 'cp raw.dat list.txt; echo END >> list.txt' },
      { name: 'use', output: 'use.txt', inputs: ['list'], command: 'grep -q END list.txt || { echo "list.txt is incomplete" >&2; exit 1; }; wc -l < list.txt > use.txt' },
    ]);
    const dir = makeEvent(box.run, 'e1', { 'raw.dat': 'n1\nn2\n' });
    expect((await run(box, spec)).code).toBe(0);
    truncateSync(join(dir, 'list.txt'), 3); // a crashed tool, or a slip by hand
    // One failing pass, with --json (results on stdout) and its log in a file.
    const logfile = join(box.root, 'pass.log');
    const broken = await llama(box, ['run', `${box.run}/`, '-F', '-o', '-D', '--rules', spec, '-l', logfile, '--json']);
    expect(broken.code).toBe(1);
    const doc = JSON.parse(broken.stdout) as { events: { results: { rule: string; status: string; edited_inputs?: unknown }[] }[] };
    expect(doc.events[0]?.results.find((x) => x.rule === 'use')).toMatchObject({ status: 'failed', edited_inputs: [{ rule: 'list', filename: 'list.txt' }] });
    const log = readFileSync(logfile, 'utf8');
    expect(log).toMatch(/\|WARNING\|[^|]*\|pid:\d+\|e1 use\| FAILED: [\s\S]*list\.txt is incomplete/);
    expect(log).toContain('input list.txt differs from what list generated');
    expect(log).toContain(`regenerate it with --force list, e.g. alone: llama run ${dir} -o -F -f list --force list`);
    // The fix as printed: regenerate the damaged file alone; its consumer is then up to date again.
    const alone = spawnSync(process.execPath, [LLAMA, 'run', dir, '-o', '-F', '-f', 'list', '--force', 'list', '-D', '--rules', spec, '-l', '/dev/null'], { env: { ...process.env, ...box.env }, encoding: 'utf8' });
    expect(alone.status, alone.stderr).toBe(0);
    expect(readFileSync(join(dir, 'list.txt'), 'utf8')).toBe('n1\nn2\nEND\n');
    const fixed = await run(box, spec);
    expect(fixed.code).toBe(0);
    expect(fixed.stderr).not.toContain('FAILED');
    expect((await run(box, spec, ['--dry-run'])).stdout).toMatch(/^Nothing to do: 1 event up to date/m);
    expect(readFileSync(join(dir, 'use.txt'), 'utf8').trim()).toBe('3');
  });
});

describe('a truncated GW skymap (the LLAMA pipeline, the bundled example event)', () => {
  it('its consumers fail naming the event\'s file and the fix; the fix as printed repairs it', async () => {
    const box = sandbox();
    cpSync(join(REPO, 'examples', 'run', 'MS260101a'), join(box.run, 'MS260101a'), { recursive: true });
    const dir = join(box.run, 'MS260101a');
    const env = { LLAMA_GRACEDB_URL: `${pathToFileURL(join(REPO, 'examples', 'gracedb')).href}/`, LLAMA_DEV_MODE: '1' };
    const gw = ['run', `${box.run}/`, '-F', '-o', '-l', '/dev/null', '+f', 'LvcSkymapHdf5', 'LvcDistancesJson'];
    expect((await llama(box, gw, env)).code).toBe(0);
    truncateSync(join(dir, 'lvc_skymap.fits.gz'), 2000);
    const broken = await llama(box, gw, env);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(new RegExp(`MS260101a LvcSkymapHdf5\\| FAILED: .*${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/lvc_skymap\\.fits\\.gz`));
    expect(broken.stderr).not.toContain('.tmp.d');
    expect(broken.stderr).toContain(`llama run ${dir} -o -F -f LvcSkymapFits --force LvcSkymapFits`);
    const alone = await llama(box, ['run', dir, '-o', '-F', '-f', 'LvcSkymapFits', '--force', 'LvcSkymapFits', '-l', '/dev/null'], env);
    expect(alone.code, alone.stderr).toBe(0);
    const fixed = await llama(box, gw, env);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.stderr).not.toContain('FAILED');
  });
});

describe('scratch left by a killed process', () => {
  it('is swept from every event the pass looks at, clean ones included, and .tmp.d goes when empty', async () => {
    const box = sandbox();
    const spec = writeSpec(box.root, CHAIN);
    for (const id of ['e1', 'e2']) makeEvent(box.run, id, { 'raw.dat': 'ok\n' });
    expect((await run(box, spec)).code).toBe(0);
    // What `kill -9` mid-pass leaves: empty work directories and intent/lock temporaries named by its pid.
    const pid = deadPid();
    const tmp = join(box.run, 'e1', '.tmp.d');
    mkdirSync(join(tmp, `work-${pid}-AbC123`), { recursive: true });
    mkdirSync(join(tmp, `a-${pid}-xYz789`), { recursive: true });
    writeFileSync(join(tmp, `intent.${pid}.0123abcd.tmp`), '{}');
    writeFileSync(join(tmp, `eventlock.${pid}.89abcdef.tmp`), '{}');
    // …and the event lock it held when it was killed.
    writeFileSync(join(tmp, 'EVENTLOCK'), JSON.stringify({ pid, host: hostname(), time: Date.now() }));
    // e1 is clean: nothing to do there. LLAMA_CLEAN_RECORD_TTL=0 plans it instead of trusting its clean record.
    const r = await run(box, spec, [], { LLAMA_CLEAN_RECORD_TTL: '0' });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/e1\| removed .* from \.tmp\.d \(left by a process that died\)/);
    expect(existsSync(tmp)).toBe(false);
    // A live process's scratch is left alone.
    mkdirSync(join(tmp, `work-${process.pid}-LiVe01`), { recursive: true });
    expect((await run(box, spec, [], { LLAMA_CLEAN_RECORD_TTL: '0' })).code).toBe(0);
    expect(readdirSync(tmp)).toEqual([`work-${process.pid}-LiVe01`]);
  });

  it('after a real kill -9 mid-build, the next pass leaves no scratch of the dead process anywhere', async () => {
    const box = sandbox();
    const spec = writeSpec(box.root, [
      { name: 'raw', output: 'raw.dat', external: true },
      { name: 'a', output: 'a.txt', inputs: ['raw'], command: 'sleep 0.05; cp raw.dat a.txt' },
      { name: 'b', output: 'b.txt', inputs: ['a'], command: 'sleep 0.05; cp a.txt b.txt' },
    ]);
    const events = Array.from({ length: 12 }, (_, i) => `e${String(i).padStart(2, '0')}`);
    for (const id of events) makeEvent(box.run, id, { 'raw.dat': `${id}\n` });
    const { child, done } = startLlama(box, ['run', `${box.run}/`, '-F', '-o', '-D', '--rules', spec, '-l', '/dev/null', '-j', '2', '-n', '1000']);
    // Kill once some events are finished and others are not.
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !events.some((id) => existsSync(join(box.run, id, 'b.txt')))) await new Promise((w) => setTimeout(w, 10));
    await new Promise((w) => setTimeout(w, 150));
    child.kill('SIGKILL');
    await done;
    const killed = child.pid as number;
    const after = await llama(box, ['run', `${box.run}/`, '-F', '-o', '-D', '--rules', spec, '-l', '/dev/null', '-n', '1000']);
    expect(after.code).toBe(0);
    for (const id of events) {
      const tmp = join(box.run, id, '.tmp.d');
      const left = existsSync(tmp) ? readdirSync(tmp).filter((n) => n.includes(`-${killed}-`) || n.includes(`.${killed}.`)) : [];
      expect(left, `${id}/.tmp.d`).toEqual([]);
      expect(readFileSync(join(box.run, id, 'b.txt'), 'utf8')).toBe(`${id}\n`);
    }
  });
});

describe('cooldown', () => {
  it('counts failures as the file does, keeps the last error and its time, and shows them in --dry-run and --json', async () => {
    const box = sandbox();
    const spec = writeSpec(box.root, [
      { name: 'raw', output: 'raw.dat', external: true },
      { name: 'flaky', output: 'flaky.txt', inputs: ['raw'], command: 'echo "upstream server said 503" >&2; exit 1' },
    ]);
    const dir = makeEvent(box.run, 'e1', { 'raw.dat': 'x\n' });
    expect((await run(box, spec)).code).toBe(1); // 1st failure: num_attempts 0, no wait (3.5.1)
    const before = Date.now();
    expect((await run(box, spec)).code).toBe(1); // 2nd failure: num_attempts 1, 60 s
    const file = JSON.parse(readFileSync(join(dir, '.flaky.txt.cooldown.json'), 'utf8')) as Record<string, unknown>;
    expect(file).toMatchObject({ num_attempts: 1, failures: 2 });
    expect(typeof file['last_attempt']).toBe('string');
    expect(String(file['last_error'])).toContain('upstream server said 503');
    const errorTime = Date.parse(String(file['last_error_time']));
    expect(Math.abs(errorTime - before)).toBeLessThan(30_000);

    const text = await run(box, spec, ['--dry-run']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/skip\s+flaky\s+cooling-down until \S+Z after 2 failures \(num_attempts 1\); last error at \S+Z: .*upstream server said 503/);
    const json = await run(box, spec, ['--dry-run', '--json']);
    const step = (JSON.parse(json.stdout) as { events: { steps: { rule: string; reason: Record<string, unknown> }[] }[] }).events[0]?.steps.find((s) => s.rule === 'flaky');
    expect(step?.reason).toMatchObject({ kind: 'cooling-down', attempts: 2, num_attempts: 1, last_error_time: errorTime });
    expect(String(step?.reason['last_error'])).toContain('upstream server said 503');
  });
});

describe('log time stamps', () => {
  it('are UTC and say so, whatever TZ is (TZ=America/Chicago), on stderr and in the archival log', async () => {
    const box = sandbox();
    const spec = writeSpec(box.root, CHAIN);
    makeEvent(box.run, 'e1', { 'raw.dat': 'ok\n' });
    const logfile = join(box.root, 'archive.log');
    const started = Date.now();
    const r = await llama(box, ['run', `${box.run}/`, '-F', '-o', '-D', '--rules', spec, '-l', logfile], { TZ: 'America/Chicago' });
    expect(r.code).toBe(0);
    for (const text of [r.stderr, readFileSync(logfile, 'utf8')]) {
      const stamps = [...text.matchAll(/^\|[A-Z]+\|([^|]*)\|/gm)].map((m) => m[1] as string);
      expect(stamps.length).toBeGreaterThan(3);
      for (const stamp of stamps) {
        expect(stamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        expect(Math.abs(Date.parse(stamp) - started)).toBeLessThan(60_000);
      }
    }
  });
});

describe('--dry-run of a fully built run', () => {
  const rules: SpecRule[] = [{ name: 'raw', output: 'raw.dat', external: true }];
  for (let i = 0; i < 6; i++) rules.push({ name: `r${i}`, output: `r${i}.txt`, inputs: ['raw'], command: `cp raw.dat r${i}.txt` });

  it('groups an event\'s repeated skips into one line, lists every step with --verbose, and says "nothing to do" in one line', async () => {
    const box = sandbox();
    const spec = writeSpec(box.root, rules);
    makeEvent(box.run, 'built', { 'raw.dat': 'x\n', 'FLAGS.json': FLAGS });
    makeEvent(box.run, 'vetoed', { 'raw.dat': 'x\n', 'FLAGS.json': FLAGS.replace('"VETOED":"false"', '"VETOED":"true"') });
    const pass = await run(box, spec, ['-n', '100']);
    expect(pass.code).toBe(0);
    const again = await run(box, spec, ['-n', '100']);
    expect(again.stderr.trim().split('\n')).toEqual([expect.stringMatching(/\|INFO\|[^|]*\|pid:\d+\|\| pass done in [\d.]+ s: nothing to do \(2 events checked\)$/)]);

    const plan = await run(box, spec, ['-n', '100', '--dry-run']);
    expect(plan.code).toBe(0);
    const lines = plan.stdout.trim().split('\n');
    expect(lines.filter((l) => l.includes('vetoed'))).toEqual([expect.stringMatching(/^vetoed /), '  skip   vetoed: 6 rules (VETOED)']);
    expect(lines.filter((l) => /^\s+skip\s+r\d/.test(l))).toEqual([]);
    expect(lines.at(-1)).toMatch(/^Nothing to do: 2 events up to date \(6 steps skipped, 8 fresh\)/);
    expect(lines).toHaveLength(3);

    const verbose = await run(box, spec, ['-n', '100', '--dry-run', '--verbose']);
    expect(verbose.stdout.split('\n').filter((l) => /^\s+skip\s+r\d\s/.test(l))).toHaveLength(6);
    expect(verbose.stdout.split('\n').filter((l) => /^\s+fresh\s+r\d\s/.test(l))).toHaveLength(6);
  });
});

describe.skipIf(!hasSystemPython)('on a terminal (pseudo-terminal, 120 columns)', () => {
  it('log lines never start after the progress text on the same screen row', () => {
    const box = sandbox();
    const spec = writeSpec(box.root, [
      { name: 'raw', output: 'raw.dat', external: true },
      { name: 'a', output: 'a.txt', inputs: ['raw'], command: 'sleep 0.1; cp raw.dat a.txt' },
      { name: 'b', output: 'b.txt', inputs: ['a'], command: 'sleep 0.1; cp a.txt b.txt' },
      { name: 'c', output: 'c.txt', inputs: ['a'], command: 'sleep 0.1; cp a.txt c.txt' },
    ]);
    for (let i = 0; i < 6; i++) makeEvent(box.run, `ev${i}`, { 'raw.dat': `${i}\n` });
    const r = runInPty([process.execPath, LLAMA, 'run', `${box.run}/`, '-F', '-o', '-D', '--rules', spec, '-l', '/dev/null', '-j', '3'], { ...box.env, TERM: 'xterm' });
    expect(r.code, r.output).toBe(0);
    // The progress line was drawn (so the test can fail), and then every row is either a log line from its first column or empty.
    expect(r.output).toContain('events done; running:');
    const rows = screenRows(r.output);
    const logRows = rows.filter((row) => /\|(INFO|WARNING|DEBUG|ERROR)\|/.test(row));
    expect(logRows.length).toBeGreaterThanOrEqual(18);
    for (const row of logRows) expect(row, JSON.stringify(row)).toMatch(/^\|(INFO|WARNING|DEBUG|ERROR)\|/);
    expect(rows.filter((row) => row.includes('events done'))).toEqual([]);
  });
});

