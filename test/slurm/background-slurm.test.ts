import { mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { llama, tempHome } from '../helpers/llama.js';
import { slurmUnavailable, startSlurm, type SlurmCluster } from '../helpers/slurm.js';

const unavailable = slurmUnavailable();
if (unavailable !== undefined) console.warn(unavailable);

const ARGS = ['background', '--population', 'bns', '--instruments', 'H1,L1', '--trials', '120', '--skymaps', '2', '--seed', '5', '--chunks', '4'];
type Table = { generator: string; entries: Record<string, { trials: number; seeds: number[]; odds: number[] }> };
type Shard = { chunk: number; generator: string; rows: { key: string; seed: number; odds: number }[] };
const read = <T = Table>(file: string): T => JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as T;

describe.skipIf(unavailable !== undefined)('llama background --executor slurm --chunks N against a real single-node Slurm', () => {
  let cluster: SlurmCluster;
  beforeAll(async () => {
    cluster = await startSlurm();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('runs the chunks as a job array and merges them into a table identical to a local --chunks run; a rerun computes only missing chunks', async () => {
    const { root, env } = tempHome('llama-bg-slurm-');
    const runEnv = { ...env, ...cluster.env, SOURCE_DATE_EPOCH: '1765000000', LLAMA_SLURM_POLL_MS: '200' };
    const local = join(root, 'local', 'table.json.gz');
    const onSlurm = join(root, 'slurm', 'table.json.gz');
    mkdirSync(join(root, 'local'));
    mkdirSync(join(root, 'slurm'));
    const l = await llama([...ARGS, '--quiet', '-o', local], { env: runEnv, timeoutMs: 110_000 });
    expect(l.code, l.stderr).toBe(0);
    const s = await llama([...ARGS, '--executor', 'slurm', '-o', onSlurm], { env: runEnv, timeoutMs: 110_000 });
    expect(s.code, s.stderr).toBe(0);
    expect(s.stderr).toMatch(/submitted job array \d+ for chunks 0-3/);
    expect(readFileSync(onSlurm).equals(readFileSync(local))).toBe(true);

    // Independent check of the seeding: chunk i is 30 trials with seed 5 + i, the rows of an
    // unchunked run with --seed 5 + i; the table is every shard's odds, sorted.
    const table = read(onSlurm).entries['opa/bns/o3/H1L1']!;
    expect(table.trials).toBe(120);
    expect(table.seeds).toEqual([5, 6, 7, 8]);
    const shards = [0, 1, 2, 3].map((i) => read<Shard>(join(root, 'slurm', 'table.json.gz.chunks', `chunk-${i}-of-4.json.gz`)));
    expect(shards.map((s) => [...new Set(s.rows.map((r) => r.seed))])).toEqual([[5], [6], [7], [8]]);
    expect(table.odds).toEqual(shards.flatMap((s) => s.rows.map((r) => r.odds)).sort((a, b) => a - b));
    const single = join(root, 'single.json.gz');
    const one = await llama(['background', '--population', 'bns', '--instruments', 'H1,L1', '--trials', '30', '--skymaps', '2', '--seed', '8', '--quiet', '-o', single], { env: runEnv });
    expect(one.code, one.stderr).toBe(0);
    expect(shards[3]!.rows.map((r) => r.odds).sort((a, b) => a - b)).toEqual(read(single).entries['opa/bns/o3/H1L1']!.odds);

    // A crash lost chunk 2: the rerun submits only that chunk and the table comes out the same.
    rmSync(join(root, 'slurm', 'table.json.gz.chunks', 'chunk-2-of-4.json.gz'));
    rmSync(onSlurm);
    const again = await llama([...ARGS, '--executor', 'slurm', '-o', onSlurm], { env: runEnv, timeoutMs: 110_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('3 of 4 chunks already computed');
    expect(again.stderr).toMatch(/submitted job array \d+ for chunks 2;/);
    expect(readFileSync(onSlurm).equals(readFileSync(local))).toBe(true);
  }, 120_000);
});

describe('llama background --executor slurm without Slurm installed', () => {
  it('says sbatch is missing in one line and exits 2', async () => {
    const { root, env } = tempHome('llama-bg-missing-');
    const bin = join(root, 'bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    const r = await llama([...ARGS, '--executor', 'slurm', '-o', join(root, 't.json.gz')], { env: { ...env, PATH: bin } });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^llama background: --executor slurm: sbatch not found on PATH/);
  });
});
