import type { skymap as sky } from '@llama/pipelines';
import type { Argv, CommandModule } from 'yargs';

interface SkymapArgs {
  file: string;
  json: boolean;
  at?: string[];
}

/** Parse "RA,DEC" (degrees); throws a usage message for anything else. */
export function parseDirection(text: string): { ra: number; dec: number } {
  const parts = text.split(',').map((s) => s.trim());
  const [ra, dec] = parts.map(Number);
  if (parts.length !== 2 || parts.some((p) => p === '') || !Number.isFinite(ra) || !Number.isFinite(dec) || dec! < -90 || dec! > 90) {
    throw new Error(`--at expects RA,DEC in degrees with Dec in [-90, 90], got '${text}'`);
  }
  return { ra: ra!, dec: dec! };
}

const fixed = (x: number, digits: number): string => (Number.isFinite(x) ? x.toFixed(digits) : String(x));
const signed = (x: number, digits: number): string => (x >= 0 ? '+' : '') + fixed(x, digits);

function humanReport(file: string, summary: sky.SkymapSummary): string {
  const lines = [file];
  const row = (label: string, value: string): void => {
    lines.push(`  ${label.padEnd(17)}${value}`);
  };
  if (summary.objectId !== undefined) row('object', summary.objectId);
  const orders = summary.minOrder === summary.maxOrder ? `order ${summary.maxOrder}` : `orders ${summary.minOrder}–${summary.maxOrder}`;
  row('resolution', `NSIDE ${summary.nside}${summary.ordering === 'NUNIQ' ? ' (finest)' : ''}, ${orders}, ${summary.ordering}, ${summary.pixels} pixels`);
  row('total prob.', fixed(summary.totalProbability, 6));
  row('credible areas', `50%: ${fixed(summary.area50Deg2, 1)} deg²   90%: ${fixed(summary.area90Deg2, 1)} deg²`);
  row('max probability', `RA ${fixed(summary.maxProbability.ra, 4)}°, Dec ${signed(summary.maxProbability.dec, 4)}°`);
  const d = summary.distance;
  row('distance', d === undefined ? 'none (no distance columns, no DISTMEAN/DISTSTD)' : `${fixed(d.mean, 1)} ± ${fixed(d.std, 1)} Mpc (${d.source === 'ansatz' ? 'from the per-pixel distance ansatz' : 'from the header DISTMEAN/DISTSTD'})`);
  for (const probe of summary.probes) {
    lines.push(
      `  at RA ${probe.ra}, Dec ${probe.dec}: density ${probe.probDensityPerSr === 0 ? '0' : probe.probDensityPerSr.toPrecision(6)} sr⁻¹ (pixel ${probe.pixel}), ${probe.in90 ? 'inside' : 'outside'} the 90% region`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** JSON with the key names of the skymap fixtures' reference.json. */
function jsonReport(file: string, summary: sky.SkymapSummary): string {
  return `${JSON.stringify(
    {
      file,
      object: summary.objectId ?? null,
      nside: summary.nside,
      max_order: summary.maxOrder,
      min_order: summary.minOrder,
      ordering: summary.ordering,
      pixels: summary.pixels,
      total_probability: summary.totalProbability,
      area50_deg2: summary.area50Deg2,
      area90_deg2: summary.area90Deg2,
      max_prob_ra_deg: summary.maxProbability.ra,
      max_prob_dec_deg: summary.maxProbability.dec,
      distmean_mpc: summary.distance?.mean ?? null,
      diststd_mpc: summary.distance?.std ?? null,
      distance_source: summary.distance?.source ?? null,
      probes: summary.probes.map((p) => ({ ra: p.ra, dec: p.dec, pixel: p.pixel, prob_density_per_sr: p.probDensityPerSr, in_90: p.in90 })),
    },
    null,
    1,
  )}\n`;
}

export const skymapCommand: CommandModule<object, SkymapArgs> = {
  command: 'skymap <file>',
  describe: 'Summarise a GW skymap (FITS, gzipped or not; flat or multi-order): areas, peak, distance, densities at directions',
  builder: (y) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'LVK skymap FITS file (.fits, .fits.gz, .multiorder.fits) or lvc_skymap.hdf5' })
      .option('json', { type: 'boolean', default: false, describe: 'Print JSON instead of text' })
      .option('at', { type: 'string', array: true, nargs: 1, describe: 'A direction RA,DEC in degrees (repeatable; write --at=RA,DEC if RA is negative): probability density and 90% membership there' })
      .example('$0 skymap bayestar.multiorder.fits --at 150.5,19.5 --at 300,-60', 'summary plus two directions')
      .example('$0 skymap lvc_skymap.fits.gz --json', 'machine-readable summary') as Argv<SkymapArgs>,
  handler: async (argv) => {
    let probes: { ra: number; dec: number }[];
    try {
      probes = (argv.at ?? []).map(parseDirection);
    } catch (error) {
      process.stderr.write(`llama skymap: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 2;
      return;
    }
    try {
      // Loaded here, not at startup: every llama command would otherwise pay for the science modules.
      const { skymap: skymaps } = await import('@llama/pipelines');
      const map = await skymaps.readSkymap(argv.file);
      const summary = skymaps.summarizeSkymap(map, probes);
      process.stdout.write(argv.json ? jsonReport(argv.file, summary) : humanReport(argv.file, summary));
      process.exitCode = 0;
    } catch (error) {
      process.stderr.write(`llama skymap: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    }
  },
};
