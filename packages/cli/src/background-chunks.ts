import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

/**
 * Background trials split into seeded chunks: chunk i runs its share of the trials with seed
 * `base + i` and writes the table it computed (a shard) next to the output; the reduce step
 * merges the shards into the table the significance reads. A chunk is only "run trials with this
 * seed, write a table": it goes through the significance module's own table builder, whatever a
 * trial computes, and merging needs only that an entry's number arrays are sorted samples and
 * `trials` a count. Local (`--chunks N`, in this process) and Slurm (`--executor slurm --chunks N`)
 * run the same chunks and the same reduce, so their tables are identical byte for byte (with
 * SOURCE_DATE_EPOCH fixing the `created` time).
 */

/** A table as written by `llama background` (the fields the reduce step relies on). */
export interface ShardTable {
  readonly format: string;
  readonly model: string;
  readonly created: string;
  readonly generator: string;
  readonly entries: Readonly<Record<string, object>>;
}

/** Trials of chunk `index` of `chunks`: the remainder goes to the first chunks. */
export function chunkTrials(trials: number, chunks: number, index: number): number {
  return Math.floor(trials / chunks) + (index < trials % chunks ? 1 : 0);
}

export function chunkSeed(seed: number, index: number): number {
  return seed + index;
}

/** Where the shards of an output table live. */
export function shardDir(output: string): string {
  return join(dirname(output), `${basename(output)}.chunks`);
}

export function shardPath(output: string, chunks: number, index: number): string {
  return join(shardDir(output), `chunk-${index}-of-${chunks}.json.gz`);
}

export function writeShard(path: string, table: ShardTable): void {
  mkdirSync(dirname(path), { recursive: true });
  const partial = `${path}.${process.pid}.partial`;
  writeFileSync(partial, gzipSync(JSON.stringify(table)));
  // Atomic on a shared file system: a reader sees the whole shard or none.
  renameSync(partial, path);
}

export function readShard(path: string): ShardTable | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(gunzipSync(readFileSync(path)).toString('utf8')) as ShardTable;
  } catch {
    return undefined; // unreadable: computed again
  }
}

/** Chunks whose shard is absent, unreadable or made by a different command (other options). */
export function missingChunks(output: string, chunks: number, generatorOf: (index: number) => string): number[] {
  const missing: number[] = [];
  for (let i = 0; i < chunks; i++) {
    if (readShard(shardPath(output, chunks, i))?.generator !== generatorOf(i)) missing.push(i);
  }
  return missing;
}

/**
 * Merge shards (in chunk order) into one table: per entry key, number arrays are concatenated
 * and sorted ascending, `trials` summed, the other fields taken from the first chunk (its seed is
 * the base seed). `created` is SOURCE_DATE_EPOCH when set, so that reruns are reproducible.
 */
export function mergeShards(shards: readonly ShardTable[], options: { generator: string; base?: ShardTable; env?: NodeJS.ProcessEnv }): ShardTable {
  const first = shards[0];
  if (first === undefined) throw new RangeError('no shards to merge');
  for (const s of shards) {
    if (s.model !== first.model) throw new RangeError(`shards were made with different neutrino models (${first.model}, ${s.model})`);
  }
  if (options.base !== undefined && options.base.model !== first.model) throw new RangeError(`cannot merge: the existing table was made with model ${options.base.model}, not ${first.model}`);
  const entries: Record<string, object> = { ...(options.base?.entries ?? {}) };
  for (const key of Object.keys(first.entries)) {
    const parts = shards.map((s, i) => {
      const e = s.entries[key];
      if (e === undefined) throw new RangeError(`shard ${i} has no entry ${key}`);
      return e as Record<string, unknown>;
    });
    const merged: Record<string, unknown> = { ...(parts[0] as Record<string, unknown>) };
    for (const [field, value] of Object.entries(merged)) {
      if (Array.isArray(value) && value.every((v) => typeof v === 'number')) {
        merged[field] = parts.flatMap((p) => p[field] as number[]).sort((a, b) => a - b);
      } else if (field === 'trials' && typeof value === 'number') {
        merged[field] = parts.reduce((sum, p) => sum + (p[field] as number), 0);
      }
    }
    entries[key] = merged;
  }
  const epoch = options.env?.['SOURCE_DATE_EPOCH'];
  const created = epoch !== undefined && /^\d+$/.test(epoch) ? new Date(Number(epoch) * 1000).toISOString() : new Date().toISOString();
  return { format: first.format, model: first.model, created, generator: options.generator, entries };
}
