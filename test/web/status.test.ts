import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { llama, tempHome, writeFiles } from '../helpers/llama.js';

const SPEC = {
  name: 'chain',
  rules: [
    { name: 'Raw', output: 'raw.dat', external: true },
    { name: 'Prep', output: 'prep.dat', inputs: ['Raw'], command: "grep -v '^#' raw.dat > prep.dat" },
    { name: 'Broken', output: 'broken.dat', inputs: ['Prep'], command: 'echo "no calibration for this detector" >&2; exit 3' },
    { name: 'After', output: 'after.dat', inputs: ['Broken'], command: 'cat broken.dat > after.dat' },
  ],
};

describe('llama status', () => {
  it('lists events newest first with counts per state, and shows one event rule by rule', async () => {
    const { env, runDir, root } = tempHome('llama-status-');
    const spec = join(root, 'spec.json');
    writeFileSync(spec, JSON.stringify(SPEC));
    writeFiles(join(runDir, 'S1'), { 'raw.dat': '# h\na\n' });
    await sleep(20);
    writeFiles(join(runDir, 'S2'), { 'raw.dat': '# h\nb\n' });
    const ran = await llama(['run', `${runDir}/S1`, '-o', '-F', '--rules', spec, '-v', 'none'], { env: { ...env, LLAMA_VERSIONING: 'off' } });
    expect(ran.code).toBe(1); // Broken fails

    const list = await llama(['status', `${runDir}/`, '--rules', spec], { env });
    expect(list.code, list.stderr).toBe(0);
    const lines = list.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^EVENT\s+AGE\s+FLAGS\s+FRESH\s+TO-RUN\s+RUNNING\s+COOLING\s+FAILED\s+VETOED\s+WAITING\s+P-VALUE$/);
    expect(lines[1]).toMatch(/^S2\s/);
    expect(lines[2]).toMatch(/^S1\s/);
    // S1: Raw, Prep fresh; Broken failed (3.5.1: no wait after the first failure, so it is due
    // again now); After to run once Broken is made.
    expect(lines[2]?.split(/\s+/).slice(-8)).toEqual(['2', '1', '0', '0', '1', '0', '0', '-']);
    expect(lines[1]?.split(/\s+/).slice(-8)).toEqual(['1', '3', '0', '0', '0', '0', '0', '-']);
    expect(lines.at(-1)).toBe('2 events');

    const detail = await llama(['status', `${runDir}/S1`, '--rules', spec], { env });
    expect(detail.code).toBe(0);
    expect(detail.stdout).toMatch(/Broken\s+failed\s+missing\n\s+failed 1 time, last at \S+: .*exited with code 3[^]*\n\s+no calibration for this detector\n\s+next attempt due now/);
    expect(detail.stdout).toMatch(/After\s+to-run\s+missing/);

    const json = await llama(['status', `${runDir}/S1`, '--rules', spec, '--json'], { env });
    const doc = JSON.parse(json.stdout) as { schema: string; events: { eventid: string; counts: Record<string, number>; rules: { rule: string; state: string; reason: { kind: string }; failure: { failures: number; last_error: string } | null }[] }[] };
    expect(doc.schema).toBe('llama.status/1');
    const broken = doc.events[0]?.rules.find((r) => r.rule === 'Broken');
    expect(broken).toMatchObject({ state: 'failed', reason: { kind: 'missing' }, failure: { failures: 1 } });
    expect(broken?.failure?.last_error).toContain('no calibration for this detector');
    const listJson = JSON.parse((await llama(['status', `${runDir}/`, '--rules', spec, '--json'], { env })).stdout) as typeof doc;
    expect(listJson.events.map((e) => e.eventid)).toEqual(['S2', 'S1']);
    expect(listJson.events[0]?.rules).toBeUndefined();
    expect(listJson.events[1]?.counts['failed']).toBe(1);

    // A second failure cools down (60 s): the state and the next attempt say so.
    await llama(['run', `${runDir}/S1`, '-o', '-F', '--rules', spec, '-v', 'none'], { env: { ...env, LLAMA_VERSIONING: 'off' } });
    const cooling = await llama(['status', `${runDir}/S1`, '--rules', spec], { env });
    expect(cooling.stdout).toMatch(/Broken\s+cooling-down\s+cooling-down until \S+ after 2 failures \(num_attempts 1\)\n\s+failed 2 times, last at \S+: [^]*no calibration for this detector\n\s+next attempt due \S+ \(in \d+s\)/);
  });

  it('an unreadable event is its own error line (exit 1); a missing run is one line (exit 2)', async () => {
    const { env, runDir, root } = tempHome('llama-status-');
    const spec = join(root, 'spec.json');
    writeFileSync(spec, JSON.stringify(SPEC));
    writeFiles(join(runDir, 'S1'), { 'raw.dat': 'a\n' });
    writeFiles(join(runDir, 'S2'), { 'raw.dat': 'a\n', 'FLAGS.json': '{ not json' });
    const result = await llama(['status', `${runDir}/`, '--rules', spec], { env });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^S2\s+\S+\s+ERROR: FLAGS.json is not valid JSON/m);
    expect(result.stdout).toMatch(/^S1\s/m);
    const missing = await llama(['status', join(root, 'nope') + '/', '--rules', spec], { env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^llama: run directory \S+nope does not exist or is not a directory\n$/);
  });
});
