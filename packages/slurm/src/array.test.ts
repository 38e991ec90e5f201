import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArrayWatch, CPUS_TOKEN, readStatus, submitArray } from './array.js';
import { SlurmClient } from './client.js';

/** A stand-in sbatch on PATH that records its arguments: the script itself is then run by bash here. */
function fakeSbatch(dir: string): NodeJS.ProcessEnv {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'sbatch'), `#!/bin/sh\necho "$@" >> ${dir}/sbatch.args\necho 4242\n`, { mode: 0o755 });
  writeFileSync(join(bin, 'squeue'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  return { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}` };
}
const bash = (script: string, env: NodeJS.ProcessEnv): Promise<number> =>
  new Promise((resolve) => execFile('bash', [script], { env }, (error) => resolve(error === null ? 0 : ((error as { code?: number }).code ?? 1))));

describe('job arrays', () => {
  it('windows tasks by MaxArraySize and writes a script whose elements run their task and record its exit status', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llama-array-'));
    const env = fakeSbatch(dir);
    const sub = join(dir, 'sub');
    const tasks = new Map<number, string[]>([
      [0, ['sh', '-c', 'echo "zero $1" > "$2"', 'x', CPUS_TOKEN, join(dir, 'out0')]],
      [1, ['sh', '-c', "echo 'it''s one' > \"$1\"; exit 3", 'x', join(dir, 'out1')]],
      [5, ['sh', '-c', 'kill -9 $$', 'x']],
    ]);
    const array = await submitArray(new SlurmClient(env), { dir: sub, name: 'llama-test', tasks, maxArraySize: 4, sbatchArgs: ['--partition=p'] });
    expect(array.jobs.map((j) => [j.offset, j.tasks])).toEqual([[0, [0, 1]], [4, [5]]]);
    const args = readFileSync(join(dir, 'sbatch.args'), 'utf8').trim().split('\n');
    expect(args[0]).toContain('--array=0-1');
    expect(args[1]).toContain('--array=1 ');
    expect(args[0]).toContain('--job-name=llama-test');
    expect(args[0]).toContain(`--comment=${sub}`);
    expect(args[0]).toContain('--partition=p');
    expect(await bash(join(sub, 'job-0.sh'), { ...process.env, SLURM_ARRAY_TASK_ID: '0', SLURM_CPUS_PER_TASK: '3' })).toBe(0);
    expect(readFileSync(join(dir, 'out0'), 'utf8')).toBe('zero 3\n');
    expect(readStatus(sub, 0)).toBe(0);
    expect(await bash(join(sub, 'job-0.sh'), { ...process.env, SLURM_ARRAY_TASK_ID: '1' })).toBe(3);
    expect(readStatus(sub, 1)).toBe(3);
    await bash(join(sub, 'job-4.sh'), { ...process.env, SLURM_ARRAY_TASK_ID: '1' });
    expect(readStatus(sub, 5)).toBe(137);

    // squeue lists none of them: each is read from its status file.
    const watch = new ArrayWatch(new SlurmClient(env));
    watch.add(array);
    await watch.poll();
    expect(watch.states.map((s) => [s.task, s.phase, s.exitCode])).toEqual([
      [0, 'done', 0],
      [1, 'failed', 3],
      [5, 'lost', 137],
    ]);
    expect(watch.progress()).toEqual({ queued: 0, running: 0, done: 1, failed: 2 });
  });

  it('calls a task lost when it is neither queued nor has an exit status, twice in a row', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llama-array-'));
    const env = fakeSbatch(dir);
    const array = await submitArray(new SlurmClient(env), { dir: join(dir, 'sub'), name: 'n', tasks: new Map([[0, ['true']]]) });
    const watch = new ArrayWatch(new SlurmClient(env));
    watch.add(array);
    await watch.poll();
    expect(watch.states[0]?.phase).toBe('queued');
    await watch.poll();
    expect(watch.states[0]).toMatchObject({ phase: 'lost', message: 'no longer in the queue without an exit status' });
  });
});
