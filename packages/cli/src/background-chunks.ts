import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { significance } from '@llama/pipelines';

/**
 * Background trials split into seeded chunks. Chunk i computes, for every population × network
 * (key index k in the order given), `runBackgroundChunk(seed(k, i), chunkTrials(trials, N, i))`
 * and writes those rows as a shard next to the output; the reduce step hands all shards' rows to
 * `mergeBackgroundRows`, which builds the table the significance reads. Local (`--chunks N`, in
 * this process) and Slurm (`--executor slurm --chunks N`) run the same chunks and the same
 * reduce, so their tables are identical byte for byte (with SOURCE_DATE_EPOCH fixing `created`).
 */

export type BackgroundRow = significance.BackgroundRow;

export const SHARD_FORMAT = 'llama-background-shard-v1';

/**
 * Key k's seeds are spaced SEED_STRIDE apart; chunk i adds i. So chunk i's rows for key k are
 * exactly those of an unchunked `llama background --seed (base + i)` for that key, and with fewer
 * than SEED_STRIDE chunks no seed repeats across chunks and keys (mergeBackgroundRows refuses a
 * seed merged twice into one entry, which also guards `--merge` against re-adding trials).
 */
export const SEED_STRIDE = 7919;

/**
 * Subthreshold keys add this to their seeds, so their seeds never meet the opa keys' (nor those
 * of an opa table they are merged into): the key index k counts population × network within
 * one search, and k·SEED_STRIDE + chunk stays below this offset for fewer than 126 keys.
 */
export const SUBTHRESHOLD_SEED_OFFSET = 1_000_000;

export function trialSeed(base: number, keyIndex: number, chunk: number, search: 'opa' | 'subthreshold' = 'opa'): number {
  return base + SEED_STRIDE * keyIndex + chunk + (search === 'subthreshold' ? SUBTHRESHOLD_SEED_OFFSET : 0);
}

/** Trials of chunk `index` of `chunks`: the remainder goes to the first chunks. */
export function chunkTrials(trials: number, chunks: number, index: number): number {
  return Math.floor(trials / chunks) + (index < trials % chunks ? 1 : 0);
}

/** One chunk's rows, with what made them (a shard from another command is refused, not mixed in). */
export interface Shard {
  readonly format: typeof SHARD_FORMAT;
  /** The command that computes this chunk (options, chunk count and index). */
  readonly generator: string;
  readonly method: string;
  readonly sample: { readonly name: string; readonly sha256: string };
  readonly chunk: number;
  readonly chunks: number;
  readonly rows: readonly BackgroundRow[];
}

/** What the shard of one chunk must have been made by. */
export interface ShardExpectation {
  readonly generator: string;
  readonly method: string;
  readonly sha256: string;
}

/** A shard on disk that another command, sample or method made: the user decides, not us. */
export class ShardError extends Error {
  override name = 'ShardError';
}

/** Where the shards of an output table live. */
export function shardDir(output: string): string {
  return join(dirname(output), `${basename(output)}.chunks`);
}

export function shardPath(output: string, chunks: number, index: number): string {
  return join(shardDir(output), `chunk-${index}-of-${chunks}.json.gz`);
}

export function writeShard(path: string, shard: Shard): void {
  mkdirSync(dirname(path), { recursive: true });
  const partial = `${path}.${process.pid}.partial`;
  writeFileSync(partial, gzipSync(JSON.stringify(shard)));
  // Atomic on a shared file system: a reader sees the whole shard or none.
  renameSync(partial, path);
}

/** The shard at `path`; undefined when absent or unreadable (a chunk killed mid-write is computed again). */
export function readShard(path: string): Shard | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const s = JSON.parse(gunzipSync(readFileSync(path)).toString('utf8')) as Partial<Shard> | null;
    if (s === null || typeof s !== 'object' || s.format !== SHARD_FORMAT || !Array.isArray(s.rows) || typeof s.generator !== 'string') return undefined;
    return s as Shard;
  } catch {
    return undefined;
  }
}

/** Throws ShardError when the shard was made by another command, sample or method. */
export function checkShard(shard: Shard, expected: ShardExpectation, path: string): void {
  const why =
    shard.sample?.sha256 !== expected.sha256
      ? `was made from neutrino sample ${shard.sample?.name ?? '?'} (sha256 ${String(shard.sample?.sha256).slice(0, 12)}…), not this one (${expected.sha256.slice(0, 12)}…)`
      : shard.method !== expected.method
        ? `was made with method ${shard.method}, not ${expected.method}`
        : shard.generator !== expected.generator
          ? `was made by another command (\`${shard.generator}\`)`
          : undefined;
  if (why !== undefined) throw new ShardError(`${path}: refused: this shard ${why}; remove ${dirname(path)} or choose another --output`);
}

/**
 * Chunks whose shard is absent or unreadable. A shard made by another command, sample or method
 * throws ShardError: reusing it would mix trials, overwriting it would lose them.
 */
export function missingChunks(output: string, chunks: number, expectedOf: (index: number) => ShardExpectation): number[] {
  const missing: number[] = [];
  for (let i = 0; i < chunks; i++) {
    const path = shardPath(output, chunks, i);
    const shard = readShard(path);
    if (shard === undefined) missing.push(i);
    else checkShard(shard, expectedOf(i), path);
  }
  return missing;
}

/** `created` for a reproducible table: SOURCE_DATE_EPOCH when set (seconds), else now. */
export function createdTime(env: NodeJS.ProcessEnv): string {
  const epoch = env['SOURCE_DATE_EPOCH'];
  return epoch !== undefined && /^\d+$/.test(epoch) ? new Date(Number(epoch) * 1000).toISOString() : new Date().toISOString();
}
