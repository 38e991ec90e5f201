import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
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
      .example('$0 background --trials 10000 -o pipelines/llama/data/background-pvalues.json.gz', 'regenerate the shipped table')
      .example('$0 background --population bns --instruments H1,L1,V1 --skymap maps/*.fits --merge -o table.json.gz', 'add trials on real maps') as Argv<BackgroundArgs>,
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
      const table = await sig.buildBackgroundTable({
        populations: populations as sigTypes.Population[],
        instrumentSets: networks,
        trials: argv.trials,
        seed: argv.seed,
        modelFile,
        ...(skymaps === undefined ? { syntheticSkymaps: argv.skymaps } : { skymaps, skymapDescription: `${skymaps.length} skymap files: ${argv.skymap!.join(', ')}` }),
        generator: `llama background --population ${populations.join(' ')} --instruments ${argv.instruments.join(' ')} --trials ${argv.trials} ${skymaps === undefined ? `--skymaps ${argv.skymaps}` : '--skymap …'} --seed ${argv.seed}`,
        ...(base === undefined ? {} : { base }),
        onProgress: (key, done, total) => {
          if (!argv.quiet) process.stderr.write(`\r${key}: ${done}/${total} trials`);
        },
        onEntry: (key, entry, seconds) => {
          const median = entry.combined_sum[Math.floor(entry.combined_sum.length / 2)] ?? 0;
          const p01 = entry.combined_sum[Math.floor(entry.combined_sum.length * 0.99)] ?? 0;
          if (!argv.quiet) process.stderr.write('\r');
          process.stdout.write(`${key}: ${entry.trials} trials, ${entry.per_neutrino.length} neutrinos, ${seconds.toFixed(1)} s; combined odds median ${median.toPrecision(3)}, 99th percentile ${p01.toPrecision(3)}\n`);
        },
      });
      // zlib loaded here: every llama run would load it up front from the bundle (~2 ms).
      const { gzipSync } = await import('node:zlib');
      await writeFile(argv.output, gzipSync(JSON.stringify(table)));
      process.stdout.write(`wrote ${argv.output} (model ${table.model}) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      process.exitCode = 0;
    } catch (error) {
      process.stderr.write(`llama background: ${describeError(error)}\n`);
      process.exitCode = 1;
    }
  },
};
