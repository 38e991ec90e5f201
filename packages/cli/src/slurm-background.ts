import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { shardDir } from './background-chunks.js';

const DEFAULT_RETRIES = 2;

export interface SlurmChunksOptions {
  /** The output table (absolute); shards and submissions live beside it. */
  readonly output: string;
  readonly missing: readonly number[];
  /** `llama …` arguments that compute chunk i and write its shard. */
  readonly argvFor: (index: number) => string[];
  /** The chunks still without a (matching) shard, read from the shared file system. */
  readonly stillMissing: () => number[];
  readonly slurmOpt: readonly string[];
  readonly quiet: boolean;
}

/**
 * Compute the missing chunks as a Slurm job array (one element per chunk), follow it to its end
 * and resubmit chunks whose job was lost (within a retry limit). Completion is the shard on the
 * shared file system, written with a rename by the chunk itself. Returns the chunks still missing.
 */
export async function runChunksOnSlurm(options: SlurmChunksOptions): Promise<number[]> {
  const slurm = await import('@llama/slurm');
  const client = new slurm.SlurmClient(process.env);
  const retries = Number.parseInt(process.env['LLAMA_SLURM_RETRIES'] ?? '', 10);
  const maxRetries = Number.isInteger(retries) && retries >= 0 ? retries : DEFAULT_RETRIES;
  const pollMs = Number(process.env['LLAMA_SLURM_POLL_MS'] ?? '') || 1000;
  const llamaBin = resolve(process.argv[1] as string);
  const name = `llama-bg-${createHash('sha1').update(options.output).digest('hex').slice(0, 12)}`;
  const say = (line: string): void => {
    if (!options.quiet) process.stderr.write(`${line}\n`);
  };
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const watch = new slurm.ArrayWatch(client);
  let missing = [...options.missing];
  try {
    for (let round = 0; missing.length > 0 && !controller.signal.aborted; round++) {
      const dir = join(shardDir(options.output), 'slurm', `${new Date().toISOString().replace(/[:.]/g, '')}-${process.pid}-${round}`);
      const tasks = new Map(missing.map((i) => [i, [process.execPath, llamaBin, ...options.argvFor(i)]]));
      const array = await slurm.submitArray(client, { dir, name, tasks, sbatchArgs: options.slurmOpt });
      watch.add(array);
      say(`submitted ${array.jobs.map((j) => `job array ${j.jobId}`).join(', ')} for chunks ${slurm.compressRanges(missing)}; logs in ${join(dir, 'logs')}`);
      let shown = '';
      await watch.wait({
        pollMs,
        signal: controller.signal,
        onChange: (p) => {
          const line = `slurm: ${p.queued} queued, ${p.running} running, ${p.done} done, ${p.failed} failed`;
          if (line !== shown) say(line);
          shown = line;
        },
      });
      if (controller.signal.aborted) {
        const ids = await watch.cancel();
        say(`cancelled Slurm jobs ${ids.join(', ')}`);
        await watch.wait({ pollMs });
        break;
      }
      const states = watch.states.filter((s) => s.dir === dir);
      for (const s of states) {
        if (s.phase === 'failed') say(`chunk ${s.task} (Slurm job ${s.slurmId}) ended with ${s.message ?? 'an error'}; log ${s.log}`);
        if (s.phase === 'lost') say(`chunk ${s.task} (Slurm job ${s.slurmId}) died: ${s.message ?? 'lost'}; log ${s.log}`);
      }
      const failed = new Set(states.filter((s) => s.phase === 'failed').map((s) => s.task));
      missing = options.stillMissing().filter((i) => !failed.has(i));
      if (missing.length > 0 && round < maxRetries) say(`resubmitting chunks ${slurm.compressRanges(missing)} (retry ${round + 1} of ${maxRetries})`);
      if (round >= maxRetries) break;
    }
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
  return options.stillMissing();
}
