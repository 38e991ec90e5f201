import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chunkTrials, mergeShards, missingChunks, readShard, shardPath, writeShard, type ShardTable } from './background-chunks.js';

const shard = (trials: number, sums: number[], seed: number): ShardTable => ({
  format: 'llama-background-v1',
  model: 'm1',
  created: `2026-01-0${seed}T00:00:00.000Z`,
  generator: `g ${seed}`,
  entries: { 'bns/H1L1': { population: 'bns', instruments: 'H1L1', trials, skymaps: '2 maps', seed, per_neutrino: sums.map((x) => x / 10), combined_sum: sums, combined_joint: sums.map((x) => x * 2) } },
});

describe('background chunks', () => {
  it('splits trials so that the chunks add up, remainder first', () => {
    expect([0, 1, 2].map((i) => chunkTrials(10, 3, i))).toEqual([4, 3, 3]);
    expect([0, 1, 2, 3].map((i) => chunkTrials(1000, 4, i)).reduce((a, b) => a + b)).toBe(1000);
  });

  it('merges shards: arrays concatenated and sorted, trials summed, the first chunk\'s other fields', () => {
    const merged = mergeShards([shard(2, [5, 1], 1), shard(3, [4, 2, 9], 2)], { generator: 'all', env: { SOURCE_DATE_EPOCH: '1700000000' } });
    const e = merged.entries['bns/H1L1'] as Record<string, unknown>;
    expect(e['combined_sum']).toEqual([1, 2, 4, 5, 9]);
    expect(e['combined_joint']).toEqual([2, 4, 8, 10, 18]);
    expect(e['per_neutrino']).toEqual([0.1, 0.2, 0.4, 0.5, 0.9]);
    expect(e['trials']).toBe(5);
    expect(e['seed']).toBe(1);
    expect(merged.created).toBe('2023-11-14T22:13:20.000Z');
    expect(merged.generator).toBe('all');
  });

  it('refuses shards of different models', () => {
    expect(() => mergeShards([shard(1, [1], 1), { ...shard(1, [1], 2), model: 'm2' }], { generator: 'x' })).toThrow(/different neutrino models/);
  });

  it('finds the chunks whose shard is absent or made by another command', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bgchunks-')), 't.json.gz');
    writeShard(shardPath(out, 3, 0), shard(1, [1], 1));
    writeShard(shardPath(out, 3, 2), { ...shard(1, [1], 3), generator: 'other' });
    expect(readShard(shardPath(out, 3, 0))?.generator).toBe('g 1');
    expect(missingChunks(out, 3, (i) => `g ${i + 1}`)).toEqual([1, 2]);
  });
});
