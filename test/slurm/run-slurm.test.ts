import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { llama, startLlama, tempHome, until as poll, writeFiles } from '../helpers/llama.js';
import { slurmUnavailable, startSlurm, type SlurmCluster } from '../helpers/slurm.js';

/** A cheap pipeline; LLAMA_TEST_SLEEP slows one rule down without changing any output. */
const SPEC = {
  name: 'slurm-chain',
  rules: [
    { name: 'Raw', output: 'raw.dat', external: true },
    { name: 'Prep', output: 'prep.dat', inputs: ['Raw'], command: 'sort raw.dat > prep.dat' },
    { name: 'Count', output: 'count.txt', inputs: ['Prep'], command: 'sleep "${LLAMA_TEST_SLEEP:-0}"; wc -l < prep.dat > count.txt' },
    { name: 'Done', output: 'done.txt', inputs: ['Prep', 'Count'], command: 'cat prep.dat count.txt | cksum > done.txt' },
  ],
};
const OUTPUTS = ['raw.dat', 'prep.dat', 'count.txt', 'done.txt'];

const unavailable = slurmUnavailable();
if (unavailable !== undefined) console.warn(unavailable);

function makeEvents(runDir: string, count: number): string[] {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = `S${String(i).padStart(3, '0')}`;
    writeFiles(join(runDir, id), { 'raw.dat': Array.from({ length: 5 + (i % 7) }, (_, k) => `${(k * 7919 + i * 31) % 101}\n`).join('') });
    ids.push(id);
  }
  return ids;
}

function outputsOf(runDir: string, ids: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const id of ids) for (const f of OUTPUTS) out[`${id}/${f}`] = existsSync(join(runDir, id, f)) ? readFileSync(join(runDir, id, f), 'utf8') : '<missing>';
  return out;
}


function submissions(runDir: string): string[] {
  const dir = join(runDir, '.llama-slurm');
  return existsSync(dir) ? readdirSync(dir).filter((d) => /^\d{4}-\d\d-\d\dT/.test(d)) : [];
}

const until = (check: () => boolean, ms = 60_000): Promise<boolean> => poll(check, ms, 100);

describe.skipIf(unavailable !== undefined)('llama run --executor slurm against a real single-node Slurm', () => {
  let cluster: SlurmCluster;
  beforeAll(async () => {
    cluster = await startSlurm();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  function setup(count: number) {
    const home = tempHome('llama-slurm-e2e-');
    const spec = join(home.root, 'spec.json');
    writeFileSync(spec, JSON.stringify(SPEC));
    const ids = makeEvents(home.runDir, count);
    const env = { ...home.env, ...cluster.env, LLAMA_VERSIONING: 'off', LLAMA_SLURM_POLL_MS: '200' };
    return { ...home, spec, ids, env };
  }

  it('runs 20 events as job arrays of 5 and writes outputs byte-identical to a local run', async () => {
    const local = setup(20);
    const l = await llama(['run', `${local.runDir}/`, '-o', '-F', '--rules', local.spec, '-n', '100'], { env: local.env });
    expect(l.code, l.stderr).toBe(0);
    const s = setup(20);
    const r = await llama(['run', `${s.runDir}/`, '--executor', 'slurm', '--batch', '5', '--rules', s.spec, '-n', '100', '--json'], { env: s.env, timeoutMs: 110_000 });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { events: { selected: number; withWork: number; done: number; remaining: string[] }; jobs: { done: number; failed: number; list: { events: string[]; state: string }[] } };
    expect(doc.events).toMatchObject({ selected: 20, withWork: 20, done: 20, remaining: [] });
    expect(doc.jobs.list).toHaveLength(4);
    expect(doc.jobs.list.every((j) => j.state === 'done' && j.events.length === 5)).toBe(true);
    expect(doc.jobs).toMatchObject({ done: 4, failed: 0 });
    expect(outputsOf(s.runDir, s.ids)).toEqual(outputsOf(local.runDir, local.ids));
    expect(Object.values(outputsOf(s.runDir, s.ids)).some((v) => v === '<missing>')).toBe(false);
    // Up to date now: planned here, nothing submitted.
    const again = await llama(['run', `${s.runDir}/`, '--executor', 'slurm', '--rules', s.spec, '-n', '100'], { env: s.env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('0 of 20 events have work to do');
    expect(submissions(s.runDir)).toHaveLength(1);
  }, 120_000);

  it('reports a job cancelled with scancel mid-run and resubmits its events, which end up complete', async () => {
    const s = setup(4);
    const expected = setup(4);
    const l = await llama(['run', `${expected.runDir}/`, '-o', '-F', '--rules', expected.spec], { env: expected.env });
    expect(l.code, l.stderr).toBe(0);
    const submitter = startLlama(['run', `${s.runDir}/`, '--executor', 'slurm', '--batch', '2', '--rules', s.spec], { env: { ...s.env, LLAMA_TEST_SLEEP: '3' } });
    // Wait until a job runs its events' slow rule, then cancel that array element.
    let victim: string | undefined;
    expect(
      await until(() => {
        victim = cluster.queue().find((j) => j.name.startsWith('llama-run-') && j.state === 'RUNNING')?.id;
        return victim !== undefined;
      }),
    ).toBe(true);
    await sleep(1000);
    execFileSync('scancel', [victim as string], { env: { ...process.env, ...cluster.env } });
    const { code } = await submitter.exited;
    const { stderr } = submitter.output();
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(new RegExp(`Slurm job ${victim} \\(events [^)]+\\) died`));
    expect(stderr).toContain('resubmitting the 2 events of lost jobs');
    expect(outputsOf(s.runDir, s.ids)).toEqual(outputsOf(expected.runDir, expected.ids));
    // Repaired: no lock, intent or temporary file left behind.
    for (const id of s.ids) expect(readdirSync(join(s.runDir, id)).filter((f) => /lock|intent|\.tmp/.test(f) && f !== '.tmp.d')).toEqual([]);
    expect(submissions(s.runDir)).toHaveLength(2);
  }, 120_000);

  it('a second submitter sees the queued jobs for its events and submits nothing', async () => {
    const s = setup(4);
    // The first submitter's jobs are held in the queue (sbatch --hold) until the second has looked.
    const first = startLlama(['run', `${s.runDir}/`, '--executor', 'slurm', '--batch', '2', '--rules', s.spec, '--slurm-opt=--hold'], { env: s.env });
    let held: string[] = [];
    expect(
      await until(() => {
        held = cluster.queue().filter((j) => j.name.startsWith('llama-run-') && j.state === 'PENDING').map((j) => j.id);
        return submissions(s.runDir).length === 1 && held.length > 0;
      }),
    ).toBe(true);
    const second = await llama(['run', `${s.runDir}/`, '--executor', 'slurm', '--batch', '2', '--rules', s.spec, '--json'], { env: s.env });
    expect(second.code, second.stderr).toBe(0);
    const doc = JSON.parse(second.stdout) as { jobs: { list: unknown[] }; events: { elsewhere: number; withWork: number } };
    expect(doc.jobs.list).toHaveLength(0);
    expect(doc.events).toMatchObject({ withWork: 4, elsewhere: 4 });
    expect(submissions(s.runDir)).toHaveLength(1);
    const jobId = (held[0] as string).split('_')[0] as string;
    execFileSync('scontrol', ['release', jobId], { env: { ...process.env, ...cluster.env } });
    expect((await first.exited).code, first.output().stderr).toBe(0);
    expect(Object.values(outputsOf(s.runDir, s.ids)).some((v) => v === '<missing>')).toBe(false);
  }, 120_000);

  it('SIGTERM to the submitter, and llama run -k, cancel the run\'s jobs with scancel (nothing is resubmitted)', async () => {
    const s = setup(4);
    const active = (): string[] => cluster.queue().filter((j) => j.name.startsWith('llama-run-') && ['PENDING', 'RUNNING', 'COMPLETING'].includes(j.state)).map((j) => j.id);
    const first = startLlama(['run', `${s.runDir}/`, '--executor', 'slurm', '--batch', '2', '--rules', s.spec, '--slurm-opt=--hold'], { env: s.env });
    expect(await until(() => active().length === 2)).toBe(true);
    first.child.kill('SIGTERM');
    const ended = await first.exited;
    expect(ended.code, first.output().stderr).toBe(1);
    expect(first.output().stderr).toMatch(/SIGTERM: cancelling this run's Slurm jobs/);
    expect(await until(() => active().length === 0, 20_000)).toBe(true);
    expect(submissions(s.runDir)).toHaveLength(1);

    const second = startLlama(['run', `${s.runDir}/`, '--executor', 'slurm', '--batch', '2', '--rules', s.spec, '--slurm-opt=--hold'], { env: s.env });
    expect(await until(() => active().length === 2)).toBe(true);
    const kill = await llama(['run', `${s.runDir}/`, '--executor', 'slurm', '-k'], { env: s.env });
    expect(kill.code, kill.stderr).toBe(0);
    expect(kill.stdout).toMatch(/^cancelled Slurm jobs \d+ of /);
    const secondEnded = await second.exited;
    expect(secondEnded.code, second.output().stderr).toBe(1);
    expect(second.output().stderr).not.toContain('resubmitting');
    expect(active()).toEqual([]);
    expect(submissions(s.runDir)).toHaveLength(2);
  }, 120_000);

  it('a submission Slurm refuses gives one clear line and exit 2', async () => {
    const s = setup(2);
    const r = await llama(['run', `${s.runDir}/`, '--executor', 'slurm', '--rules', s.spec, '--slurm-opt=--partition=nosuchpartition'], { env: s.env });
    expect(r.code).toBe(2);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('llama:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/--executor slurm: sbatch exited with 1: .*(invalid partition|Invalid partition)/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('llama run --executor slurm without Slurm installed', () => {
  it('says sbatch/squeue is missing in one line and exits 2', async () => {
    const home = tempHome('llama-slurm-missing-');
    const spec = join(home.root, 'spec.json');
    writeFileSync(spec, JSON.stringify(SPEC));
    makeEvents(home.runDir, 2);
    // PATH with node only: no Slurm client commands.
    const bin = join(home.root, 'bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    const r = await llama(['run', `${home.runDir}/`, '--executor', 'slurm', '--rules', spec], { env: { ...home.env, PATH: bin } });
    expect(r.code).toBe(2);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('llama:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/--executor slurm: (squeue|sbatch) not found on PATH/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
