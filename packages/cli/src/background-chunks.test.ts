import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chunkTrials, createdTime, missingChunks, readShard, SEED_STRIDE, SHARD_FORMAT, SUBTHRESHOLD_SEED_OFFSET, shardPath, trialSeed, writeShard, type Shard } from './background-chunks.js';

const SHA = 'a'.repeat(64);
const shard = (i: number, over: Partial<Shard> = {}): Shard => ({
  format: SHARD_FORMAT,
  generator: `g --chunk ${i}`,
  method: 'llama-3.5.1-opa',
  sample: { name: 's.txt', sha256: SHA },
  chunk: i,
  chunks: 3,
  rows: [{ key: 'opa/bns/o3/H1L1', method: 'llama-3.5.1-opa', sample_sha256: SHA, seed: 5 + i, odds: 0.25 * i, neutrinos: 6, skymap: 'm' }],
  ...over,
});
const expected = (i: number) => ({ generator: `g --chunk ${i}`, method: 'llama-3.5.1-opa', sha256: SHA });

describe('background chunks', () => {
  it('splits trials so that the chunks add up, remainder first', () => {
    expect([0, 1, 2].map((i) => chunkTrials(10, 3, i))).toEqual([4, 3, 3]);
    expect([0, 1, 2, 3].map((i) => chunkTrials(1000, 4, i)).reduce((a, b) => a + b)).toBe(1000);
  });

  it('gives every (key, chunk) its own seed below the stride, chunk 0 of key k the unchunked seed', () => {
    const seen = new Set<number>();
    for (let k = 0; k < 8; k++) for (let i = 0; i < 500; i++) seen.add(trialSeed(1, k, i));
    expect(seen.size).toBe(8 * 500);
    expect(trialSeed(1, 0, 0)).toBe(1);
    expect(trialSeed(1, 2, 0)).toBe(1 + 2 * 7919);
    expect(trialSeed(5, 0, 3)).toBe(8);
    // Chunk SEED_STRIDE of key 0 would be chunk 0 of key 1: the CLI refuses that many chunks.
    expect(trialSeed(1, 0, SEED_STRIDE)).toBe(trialSeed(1, 1, 0));
  });

  it('subthreshold keys get seeds of their own: none repeats an opa key\'s (8 keys × 500 chunks each)', () => {
    const seen = new Set<number>();
    for (const search of ['opa', 'subthreshold'] as const) for (let k = 0; k < 8; k++) for (let i = 0; i < 500; i++) seen.add(trialSeed(1, k, i, search));
    expect(seen.size).toBe(2 * 8 * 500);
    expect(trialSeed(1, 0, 0, 'subthreshold')).toBe(1 + SUBTHRESHOLD_SEED_OFFSET);
    expect(trialSeed(1, 3, 2, 'subthreshold')).toBe(1 + 3 * 7919 + 2 + 1_000_000);
    expect(trialSeed(1, 3, 2)).toBe(trialSeed(1, 3, 2, 'opa'));
  });

  it('writes and reads shards; an unreadable or half-written shard counts as missing', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bgchunks-')), 't.json.gz');
    writeShard(shardPath(out, 3, 0), shard(0));
    expect(readShard(shardPath(out, 3, 0))).toEqual(shard(0));
    writeFileSync(shardPath(out, 3, 1), 'not gzip');
    expect(missingChunks(out, 3, expected)).toEqual([1, 2]);
  });

  it('refuses a shard made by another command, sample or method, naming the file', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bgchunks-')), 't.json.gz');
    writeShard(shardPath(out, 3, 2), shard(2, { generator: 'other' }));
    expect(() => missingChunks(out, 3, expected)).toThrow(/chunk-2-of-3\.json\.gz: refused: this shard was made by another command \(`other`\)/);
    writeShard(shardPath(out, 3, 2), shard(2, { sample: { name: 'x.txt', sha256: 'b'.repeat(64) } }));
    expect(() => missingChunks(out, 3, expected)).toThrow(/made from neutrino sample x\.txt/);
    writeShard(shardPath(out, 3, 2), shard(2, { method: 'llama-3.5.1-opa-pairfix' }));
    expect(() => missingChunks(out, 3, expected)).toThrow(/made with method llama-3\.5\.1-opa-pairfix, not llama-3\.5\.1-opa/);
  });

  it('takes created from SOURCE_DATE_EPOCH', () => {
    expect(createdTime({ SOURCE_DATE_EPOCH: '1700000000' })).toBe('2023-11-14T22:13:20.000Z');
    expect(Date.parse(createdTime({}))).toBeGreaterThan(0);
  });
});
