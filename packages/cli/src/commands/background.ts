import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describeError } from '@llama/core';
import type { significance as sigTypes, skymap as skyTypes } from '@llama/pipelines';
import type { Argv, CommandModule } from 'yargs';

interface BackgroundArgs {
  population: string[];
  instruments: string[];
  trials: number;
  skymaps: number;
  skymap?: string[];
  seed: number;
  output: string;
  merge: boolean;
  quiet: boolean;
  chunks?: number;
  chunk?: number;
  reduce: boolean;
  executor: 'local' | 'slurm';
  slurmOpt?: string[];
}

const usage = (message: string): void => {
  process.stderr.write(`llama background: ${message}\n`);
  process.exitCode = 2;
};

/**
 * `llama background`: background trials for the GW+neutrino p-values. For each population ×
 * instrument set, scrambled neutrinos drawn from the background model are evaluated against a set
 * of skymaps (random synthetic GW-like maps, or the files given with --skymap), and the sorted
 * odds ratios are written as a gzipped table (the pipeline ships one in pipelines/llama/data/).
 */
export const backgroundCommand: CommandModule<object, BackgroundArgs> = {
  command: 'background',
  describe: 'Compute the background odds-ratio table used for significance p-values',
  builder: (y) =>
    y
      .option('population', { type: 'string', array: true, default: ['bns', 'bbh'], describe: 'Populations (bns, bbh)' })
      .option('instruments', { type: 'string', array: true, default: ['H1,L1', 'H1,L1,V1'], describe: 'Detector networks, e.g. H1,L1 H1,L1,V1' })
      .option('trials', { type: 'number', default: 10000, describe: 'Trials per population and network' })
      .option('skymaps', { type: 'number', default: 100, describe: 'Number of synthetic GW-like skymaps to spread the trials over' })
      .option('skymap', { type: 'string', array: true, describe: 'Use these skymap files (FITS or LLAMA HDF5) instead of synthetic ones' })
      .option('seed', { type: 'number', default: 1, describe: 'Random seed (the table is reproducible)' })
      .option('output', { alias: 'o', type: 'string', default: 'background-pvalues.json.gz', describe: 'Where to write the table (gzipped JSON)' })
      .option('merge', { type: 'boolean', default: false, describe: 'Keep the other entries of an existing table at --output' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'No progress on stderr' })
      .option('chunks', { type: 'number', describe: 'Split the trials into N seeded chunks (chunk i: seed + i), each written as a shard beside --output, then merged; existing shards of the same command are reused' })
      .option('chunk', { type: 'number', describe: 'With --chunks: compute only this chunk (0-based) and write its shard' })
      .option('reduce', { type: 'boolean', default: false, describe: 'With --chunks: only merge the shards into --output' })
      .option('executor', { type: 'string', choices: ['local', 'slurm'], default: 'local', describe: 'With --chunks: compute the missing chunks here, or as a Slurm job array' })
      .option('slurm-opt', { type: 'string', array: true, describe: 'With --executor slurm: extra sbatch options, e.g. --slurm-opt=--partition=short' })
      .example('$0 background --trials 10000 -o pipelines/llama/data/background-pvalues.json.gz', 'regenerate the shipped table')
      .example('$0 background --population bns --instruments H1,L1,V1 --skymap maps/*.fits --merge -o table.json.gz', 'add trials on real maps')
      .example('$0 background --trials 1000000 --chunks 100 --executor slurm -o table.json.gz', '10^6 trials as a Slurm job array of 100 chunks') as Argv<BackgroundArgs>,
  handler: async (argv) => {
    // Loaded here, not at startup: every llama command would otherwise pay for the science modules.
    const { significance: sig, skymap: sky } = await import('@llama/pipelines');
    const populations = argv.population.flatMap((p) => p.split(',')).map((p) => p.trim().toLowerCase());
    const bad = populations.filter((p) => p !== 'bns' && p !== 'bbh');
    if (bad.length > 0) return usage(`unknown population ${bad.join(', ')} (expected bns or bbh)`);
    if (!Number.isInteger(argv.trials) || argv.trials < 1) return usage(`--trials must be a positive integer, got ${argv.trials}`);
    if (!Number.isInteger(argv.skymaps) || argv.skymaps < 1) return usage(`--skymaps must be a positive integer, got ${argv.skymaps}`);
    const networks = argv.instruments.map((i) => sig.instrumentKey(i));
    const badNet = networks.filter((n) => !/^([A-Z]\d){2,}$/.test(n));
    if (badNet.length > 0) return usage(`--instruments needs two or more detectors like H1,L1; got ${argv.instruments.join(' ')}`);
    const chunks = argv.chunks;
    if (chunks !== undefined && (!Number.isInteger(chunks) || chunks < 1 || chunks > argv.trials)) return usage(`--chunks must be a whole number from 1 to --trials (${argv.trials}), got ${chunks}`);
    if (chunks === undefined && (argv.chunk !== undefined || argv.reduce || argv.executor !== 'local')) return usage('--chunk, --reduce and --executor slurm need --chunks N');
    if (chunks !== undefined && argv.chunk !== undefined && (!Number.isInteger(argv.chunk) || argv.chunk < 0 || argv.chunk >= chunks)) return usage(`--chunk must be a whole number from 0 to ${chunks - 1}, got ${argv.chunk}`);
    if (argv.chunk !== undefined && argv.reduce) return usage('--chunk and --reduce are separate steps: give one of them');
    try {
      const modelFile = await sig.loadNeutrinoModel(process.env);
      let skymaps: Awaited<ReturnType<typeof skyTypes.readSkymapFits>>[] | undefined;
      if (argv.skymap !== undefined && argv.skymap.length > 0) {
        skymaps = [];
        for (const file of argv.skymap) {
          skymaps.push(/\.h(df)?5$/i.test(file) ? await sky.readSkymapHdf5(file) : await sky.readSkymapFits(file));
        }
      }
      let base: ReturnType<typeof sigTypes.parseBackgroundTable> | undefined;
      if (argv.merge && existsSync(argv.output)) base = sig.parseBackgroundTable(readFileSync(argv.output), argv.output);
      const started = Date.now();
      const generator = `llama background --population ${populations.join(' ')} --instruments ${argv.instruments.join(' ')} --trials ${argv.trials} ${skymaps === undefined ? `--skymaps ${argv.skymaps}` : '--skymap …'} --seed ${argv.seed}`;
      const compute = (trials: number, seed: number, generatorText: string, withBase: boolean, verbose: boolean) =>
        sig.buildBackgroundTable({
          populations: populations as sigTypes.Population[],
          instrumentSets: networks,
          trials,
          seed,
          modelFile,
          ...(skymaps === undefined ? { syntheticSkymaps: argv.skymaps } : { skymaps, skymapDescription: `${skymaps.length} skymap files: ${argv.skymap!.join(', ')}` }),
          generator: generatorText,
          ...(base === undefined || !withBase ? {} : { base }),
          onProgress: (key, done, total) => {
            if (!argv.quiet) process.stderr.write(`\r${key}: ${done}/${total} trials`);
          },
          onEntry: (key, entry, seconds) => {
            if (!argv.quiet) process.stderr.write('\r');
            if (!verbose) return;
            const median = entry.combined_sum[Math.floor(entry.combined_sum.length / 2)] ?? 0;
            const p01 = entry.combined_sum[Math.floor(entry.combined_sum.length * 0.99)] ?? 0;
            process.stdout.write(`${key}: ${entry.trials} trials, ${entry.per_neutrino.length} neutrinos, ${seconds.toFixed(1)} s; combined odds median ${median.toPrecision(3)}, 99th percentile ${p01.toPrecision(3)}\n`);
          },
        });
      // zlib loaded here: every llama run would load it up front from the bundle (~2 ms).
      const { gzipSync } = await import('node:zlib');
      if (chunks === undefined) {
        const table = await compute(argv.trials, argv.seed, generator, true, true);
        await writeFile(argv.output, gzipSync(JSON.stringify(table)));
        process.stdout.write(`wrote ${argv.output} (model ${table.model}) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
        process.exitCode = 0;
        return;
      }
      const bc = await import('../background-chunks.js');
      const chunkGenerator = (i: number): string => `${generator} --chunks ${chunks} --chunk ${i}`;
      const runChunk = async (i: number): Promise<void> => {
        const table = await compute(bc.chunkTrials(argv.trials, chunks, i), bc.chunkSeed(argv.seed, i), chunkGenerator(i), false, false);
        bc.writeShard(bc.shardPath(argv.output, chunks, i), table);
      };
      if (argv.chunk !== undefined) {
        await runChunk(argv.chunk);
        process.stdout.write(`wrote chunk ${argv.chunk} of ${chunks} (${bc.chunkTrials(argv.trials, chunks, argv.chunk)} trials, seed ${bc.chunkSeed(argv.seed, argv.chunk)}) to ${bc.shardPath(argv.output, chunks, argv.chunk)}\n`);
        process.exitCode = 0;
        return;
      }
      if (!argv.reduce) {
        const missing = bc.missingChunks(argv.output, chunks, chunkGenerator);
        if (missing.length < chunks) process.stdout.write(`${chunks - missing.length} of ${chunks} chunks already computed (${bc.shardDir(argv.output)}); computing ${missing.length}\n`);
        if (argv.executor === 'slurm') {
          const { runChunksOnSlurm } = await import('../slurm-background.js');
          const abs = (p: string): string => resolve(p);
          const failed = await runChunksOnSlurm({
            output: abs(argv.output),
            missing,
            quiet: argv.quiet,
            slurmOpt: argv.slurmOpt ?? [],
            stillMissing: () => bc.missingChunks(argv.output, chunks, chunkGenerator),
            argvFor: (i) => [
              'background', '--population', ...populations, '--instruments', ...argv.instruments, '--trials', String(argv.trials), '--skymaps', String(argv.skymaps),
              ...(argv.skymap === undefined || argv.skymap.length === 0 ? [] : ['--skymap', ...argv.skymap.map(abs)]),
              '--seed', String(argv.seed), '--output', abs(argv.output), '--chunks', String(chunks), '--chunk', String(i), '--quiet',
            ],
          });
          if (failed.length > 0) {
            process.stderr.write(`llama background: chunks ${failed.join(', ')} of ${chunks} did not complete on Slurm (their logs are under ${bc.shardDir(argv.output)}/slurm); run the same command again to compute only those\n`);
            process.exitCode = 1;
            return;
          }
        } else {
          for (const [n, i] of missing.entries()) {
            await runChunk(i);
            if (!argv.quiet) process.stderr.write(`\r${n + 1}/${missing.length} chunks done          `);
          }
          if (!argv.quiet && missing.length > 0) process.stderr.write('\n');
        }
      }
      const shards: ReturnType<typeof bc.readShard>[] = [];
      const absent: number[] = [];
      for (let i = 0; i < chunks; i++) {
        const shard = bc.readShard(bc.shardPath(argv.output, chunks, i));
        if (shard === undefined || shard.generator !== chunkGenerator(i)) absent.push(i);
        shards.push(shard);
      }
      if (absent.length > 0) {
        process.stderr.write(`llama background: --reduce: chunks ${absent.join(', ')} of ${chunks} are missing or were made by another command under ${bc.shardDir(argv.output)}; compute them with --chunk INDEX (or run without --reduce)\n`);
        process.exitCode = 1;
        return;
      }
      const table = bc.mergeShards(shards as NonNullable<(typeof shards)[number]>[], { generator: `${generator} --chunks ${chunks}`, ...(base === undefined ? {} : { base }), env: process.env });
      await writeFile(argv.output, gzipSync(JSON.stringify(table)));
      for (const [key, entry] of Object.entries(table.entries)) process.stdout.write(`${key}: ${String((entry as { trials?: number }).trials)} trials from ${chunks} chunks\n`);
      process.stdout.write(`wrote ${argv.output} (model ${table.model}) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      process.exitCode = 0;
    } catch (error) {
      // A missing sbatch, a refused submission: a configuration problem (exit 2), in one line.
      const config = error instanceof Error && (error.name === 'SlurmError' || error.name === 'ConfigError');
      process.stderr.write(`llama background: ${config ? '--executor slurm: ' : ''}${describeError(error)}\n`);
      process.exitCode = config ? 2 : 1;
    }
  },
};
