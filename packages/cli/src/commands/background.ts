import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describeError } from '@llama/core';
import type { significance as sigTypes } from '@llama/pipelines';
import type { Argv, CommandModule } from 'yargs';
import { SEED_STRIDE, SUBTHRESHOLD_SEED_OFFSET } from '../background-chunks.js';

interface BackgroundArgs {
  search: string[];
  population: string[];
  instruments: string[];
  trials: number;
  skymaps: number;
  skymap?: string[];
  seed: number;
  method: string;
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
 * `llama background`: the background odds table for the significance p-values, made as 3.5.1
 * made NEUTRINO_POPULATIONS: simulated events (population-like GW skymaps, or the files given
 * with --skymap, plus neutrino lists drawn from the background neutrino sample) run through the
 * same odds code. The trials are `significance.runBackgroundChunk(seed, trials, options)` (pure,
 * one row per event) and the table is `significance.mergeBackgroundRows(rows, options)`.
 */
export const backgroundCommand: CommandModule<object, BackgroundArgs> = {
  command: 'background',
  describe: 'Compute the background odds table used for significance p-values (3.5.1 method)',
  builder: (y) =>
    y
      .option('search', { type: 'string', array: true, default: ['opa'], describe: 'Search types (opa, subthreshold); subthreshold trials draw their GW SNR from the GW background SNR list' })
      .option('population', { type: 'string', array: true, default: ['bns', 'bbh'], describe: 'Populations (bns, bbh)' })
      .option('instruments', { type: 'string', array: true, default: ['H1,L1', 'H1,L1,V1'], describe: 'Detector networks, e.g. H1,L1 H1,L1,V1' })
      .option('trials', { type: 'number', default: 10000, describe: 'Simulated events per population and network' })
      .option('skymaps', { type: 'number', default: 100, describe: 'Synthetic population-like skymaps to spread the trials over' })
      .option('skymap', { type: 'string', array: true, describe: 'Use these skymap files (FITS or LLAMA HDF5, with DISTMEAN) instead of synthetic ones' })
      .option('seed', { type: 'number', default: 1, describe: 'Random seed (the table is reproducible)' })
      .option('method', { type: 'string', default: 'llama-3.5.1-opa', describe: 'Odds method (llama-3.5.1-opa or llama-3.5.1-opa-pairfix)' })
      .option('output', { alias: 'o', type: 'string', default: 'background-pvalues.json.gz', describe: 'Where to write the table (gzipped JSON)' })
      .option('merge', { type: 'boolean', default: false, describe: 'Keep and extend the entries of an existing table at --output' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'No progress on stderr' })
      .option('chunks', { type: 'number', describe: 'Split the trials into N seeded chunks (chunk i of key k: seed + 7919·k + i), each written as a shard beside --output, then merged; shards of the same command are reused, shards of another command refused' })
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
    const searches = [...new Set(argv.search.flatMap((p) => p.split(',')).map((p) => p.trim().toLowerCase()))];
    const badSearch = searches.filter((p) => p !== 'opa' && p !== 'subthreshold');
    if (badSearch.length > 0 || searches.length === 0) return usage(`unknown search ${badSearch.join(', ') || '(none)'} (expected opa or subthreshold)`);
    const bad = populations.filter((p) => p !== 'bns' && p !== 'bbh');
    if (bad.length > 0) return usage(`unknown population ${bad.join(', ')} (expected bns or bbh)`);
    if (!Number.isInteger(argv.trials) || argv.trials < 1) return usage(`--trials must be a positive integer, got ${argv.trials}`);
    if (!Number.isInteger(argv.skymaps) || argv.skymaps < 1) return usage(`--skymaps must be a positive integer, got ${argv.skymaps}`);
    if (!Number.isInteger(argv.seed)) return usage(`--seed must be an integer, got ${argv.seed}`);
    if (!(sig.OPA_METHODS as readonly string[]).includes(argv.method)) return usage(`--method must be one of ${sig.OPA_METHODS.join(', ')}, got ${argv.method}`);
    const networks = argv.instruments.map((i) => sig.instrumentKey(i));
    const badNet = networks.filter((n) => !/^([A-Z]\d){2,}$/.test(n));
    if (badNet.length > 0) return usage(`--instruments needs two or more detectors like H1,L1; got ${argv.instruments.join(' ')}`);
    const chunks = argv.chunks;
    if (chunks !== undefined && (!Number.isInteger(chunks) || chunks < 1 || chunks > argv.trials)) return usage(`--chunks must be a whole number from 1 to --trials (${argv.trials}), got ${chunks}`);
    if (chunks === undefined && (argv.chunk !== undefined || argv.reduce || argv.executor !== 'local')) return usage('--chunk, --reduce and --executor slurm need --chunks N');
    if (chunks !== undefined && argv.chunk !== undefined && (!Number.isInteger(argv.chunk) || argv.chunk < 0 || argv.chunk >= chunks)) return usage(`--chunk must be a whole number from 0 to ${chunks - 1}, got ${argv.chunk}`);
    if (chunks !== undefined && chunks >= SEED_STRIDE) return usage(`--chunks must be below ${SEED_STRIDE} (the seed stride between population × network keys), got ${chunks}`);
    if (populations.length * networks.length * SEED_STRIDE >= SUBTHRESHOLD_SEED_OFFSET) return usage(`too many population × network keys for the seed scheme (at most ${Math.floor(SUBTHRESHOLD_SEED_OFFSET / SEED_STRIDE)})`);
    if (argv.chunk !== undefined && argv.reduce) return usage('--chunk and --reduce are separate steps: give one of them');
    try {
      const sample = sig.loadBackgroundNeutrinos(process.env);
      const gwSnr = searches.includes('subthreshold') ? sig.loadGwSnrList(process.env) : undefined;
      let skymaps: sigTypes.SimulatedSkymap[] | undefined;
      if (argv.skymap !== undefined && argv.skymap.length > 0) {
        skymaps = [];
        for (const file of argv.skymap) {
          const map = /\.h(df)?5$/i.test(file) ? await sky.readSkymapHdf5(file) : await sky.readSkymapFits(file);
          const distmean = map.meta.distMean;
          if (distmean === undefined || !Number.isFinite(distmean)) throw new Error(`${file}: no DISTMEAN in the skymap header`);
          skymaps.push({ skymap: map, distmean, label: resolve(file) });
        }
      }
      let base: sigTypes.BackgroundTable | undefined;
      if (argv.merge && existsSync(argv.output)) base = sig.parseBackgroundTable(readFileSync(argv.output), argv.output);
      const started = Date.now();
      const method = argv.method as sigTypes.OpaMethod;
      // Skymap files by absolute path: Slurm chunk jobs get them so, and a chunk's command must read the same everywhere.
      const skymapFiles = (argv.skymap ?? []).map((f) => resolve(f));
      // The default (opa only) is left out, so opa commands read as before --search existed.
      const searchText = searches.length === 1 && searches[0] === 'opa' ? '' : `--search ${searches.join(' ')} `;
      const generator = `llama background ${searchText}--population ${populations.join(' ')} --instruments ${argv.instruments.join(' ')} --trials ${argv.trials} ${skymaps === undefined ? `--skymaps ${argv.skymaps}` : `--skymap ${skymapFiles.join(' ')}`} --seed ${argv.seed} --method ${argv.method}`;
      // k counts population × network within a search; the search adds its own seed offset.
      const keys = (searches as sigTypes.SearchType[]).flatMap((search) =>
        (populations as sigTypes.Population[]).flatMap((population, p) => networks.map((instruments, n) => ({ search, population, instruments, k: p * networks.length + n }))));
      const bc = await import('../background-chunks.js');
      /** Rows of one chunk (chunk 0 of 1 is the whole unchunked run): every key, its own seed. */
      const computeRows = (trials: number, chunk: number, report: boolean): sigTypes.BackgroundRow[] => {
        const rows: sigTypes.BackgroundRow[] = [];
        for (const { search, population, instruments, k } of keys) {
          const t0 = Date.now();
          const seed = bc.trialSeed(argv.seed, k, chunk, search);
          if (report && !argv.quiet) process.stderr.write(`${search}/${population}/o3/${instruments}: ${trials} trials (seed ${seed})…\n`);
          const part = sig.runBackgroundChunk(seed, trials, {
            search,
            population,
            instruments,
            sample,
            method,
            ...(gwSnr === undefined ? {} : { gwSnr }),
            ...(skymaps === undefined ? { syntheticSkymaps: argv.skymaps } : { skymaps }),
          });
          rows.push(...part);
          if (!report) continue;
          const sorted = part.map((r) => r.odds).sort((a, b) => a - b);
          const q = (f: number): string => (sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * f))] ?? 0).toPrecision(3);
          process.stdout.write(`${search}/${population}/o3/${instruments}: ${part.length} trials in ${((Date.now() - t0) / 1000).toFixed(1)} s; summed odds median ${q(0.5)}, 99th percentile ${q(0.99)}\n`);
        }
        return rows;
      };
      const write = async (rows: readonly sigTypes.BackgroundRow[], generatorText: string): Promise<void> => {
        const table = sig.mergeBackgroundRows(rows, { sample, generator: generatorText, created: bc.createdTime(process.env), ...(base === undefined ? {} : { base }) });
        await writeFile(argv.output, sig.encodeBackgroundTable(table));
        if (chunks !== undefined) for (const [key, entry] of Object.entries(table.entries)) process.stdout.write(`${key}: ${entry.trials} trials (seeds ${entry.seeds.length})\n`);
        process.stdout.write(`wrote ${argv.output} (sample ${sample.name}) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
        process.exitCode = 0;
      };
      if (chunks === undefined) return await write(computeRows(argv.trials, 0, true), generator);

      const output = resolve(argv.output);
      const chunkGenerator = (i: number): string => `${generator} --chunks ${chunks} --chunk ${i}`;
      const expected = (i: number) => ({ generator: chunkGenerator(i), method, sha256: sample.sha256 });
      const runChunk = (i: number): void => {
        const path = bc.shardPath(output, chunks, i);
        const old = bc.readShard(path);
        if (old !== undefined) bc.checkShard(old, expected(i), path);
        const rows = computeRows(bc.chunkTrials(argv.trials, chunks, i), i, false);
        bc.writeShard(path, { format: bc.SHARD_FORMAT, generator: chunkGenerator(i), method, sample: { name: sample.name, sha256: sample.sha256 }, chunk: i, chunks, rows });
      };
      if (argv.chunk !== undefined) {
        runChunk(argv.chunk);
        process.stdout.write(`wrote chunk ${argv.chunk} of ${chunks} (${bc.chunkTrials(argv.trials, chunks, argv.chunk)} trials per key, seeds ${keys.map(({ k, search }) => bc.trialSeed(argv.seed, k, argv.chunk!, search)).join(', ')}) to ${bc.shardPath(output, chunks, argv.chunk)}\n`);
        process.exitCode = 0;
        return;
      }
      if (!argv.reduce) {
        const missing = bc.missingChunks(output, chunks, expected);
        if (missing.length < chunks) process.stdout.write(`${chunks - missing.length} of ${chunks} chunks already computed (${bc.shardDir(output)}); computing ${missing.length}\n`);
        if (argv.executor === 'slurm') {
          const { runChunksOnSlurm } = await import('../slurm-background.js');
          const failed = await runChunksOnSlurm({
            output,
            missing,
            quiet: argv.quiet,
            slurmOpt: argv.slurmOpt ?? [],
            stillMissing: () => bc.missingChunks(output, chunks, expected),
            argvFor: (i) => [
              'background', '--search', ...searches, '--population', ...populations, '--instruments', ...argv.instruments, '--trials', String(argv.trials),
              ...(skymaps === undefined ? ['--skymaps', String(argv.skymaps)] : ['--skymap', ...skymapFiles]),
              '--seed', String(argv.seed), '--method', argv.method, '--output', output, '--chunks', String(chunks), '--chunk', String(i), '--quiet',
            ],
          });
          if (failed.length > 0) {
            process.stderr.write(`llama background: chunks ${failed.join(', ')} of ${chunks} did not complete on Slurm (their logs are under ${bc.shardDir(output)}/slurm); run the same command again to compute only those\n`);
            process.exitCode = 1;
            return;
          }
        } else {
          for (const [n, i] of missing.entries()) {
            runChunk(i);
            if (!argv.quiet) process.stderr.write(`\r${n + 1}/${missing.length} chunks done          `);
          }
          if (!argv.quiet && missing.length > 0) process.stderr.write('\n');
        }
      }
      const rows: sigTypes.BackgroundRow[] = [];
      const absent: number[] = [];
      for (let i = 0; i < chunks; i++) {
        const path = bc.shardPath(output, chunks, i);
        const shard = bc.readShard(path);
        if (shard === undefined) {
          absent.push(i);
          continue;
        }
        bc.checkShard(shard, expected(i), path);
        rows.push(...shard.rows);
      }
      if (absent.length > 0) {
        process.stderr.write(`llama background: --reduce: chunks ${absent.join(', ')} of ${chunks} are missing under ${bc.shardDir(output)}; compute them with --chunk INDEX (or run without --reduce)\n`);
        process.exitCode = 1;
        return;
      }
      await write(rows, `${generator} --chunks ${chunks}`);
    } catch (error) {
      // A missing sbatch, a refused submission: a configuration problem (exit 2), in one line.
      const slurm = error instanceof Error && (error.name === 'SlurmError' || error.name === 'ConfigError');
      // A shard of another command under --output: the user chooses (remove it, or another --output).
      const shard = error instanceof Error && error.name === 'ShardError';
      process.stderr.write(`llama background: ${slurm ? '--executor slurm: ' : ''}${shard ? (error as Error).message : describeError(error)}\n`);
      process.exitCode = slurm || shard ? 2 : 1;
    }
  },
};
