/** Generate functions of the skymap rules (LvcSkymapHdf5, LvcDistancesJson); rules/gw.ts wires them. */
import { GenerationError, describeError, type GenerateContext } from '@llama/core';
import { FitsError } from '../fits/index.js';
import { distancesFromHeader, writeDistancesJson } from './distances.js';
import { SkymapHdf5Error, writeSkymapHdf5 } from './hdf5.js';
import { SkymapError, readSkymapFits } from './read.js';
import type { Skymap } from './types.js';

/** Read the LvcSkymapFits input; a corrupt or unusable file is an expected failure. */
async function readInputSkymap(ctx: GenerateContext): Promise<Skymap> {
  const path = ctx.inputs.LvcSkymapFits;
  if (path === undefined) throw new GenerationError(`${ctx.rule}: input LvcSkymapFits (lvc_skymap.fits.gz) is missing`);
  try {
    return await readSkymapFits(path);
  } catch (error) {
    if (error instanceof FitsError || error instanceof SkymapError) {
      // The message already starts with the file's path.
      throw new GenerationError(`cannot read the GW skymap: ${error.message}`, { cause: error });
    }
    throw new GenerationError(`cannot read the GW skymap ${path}: ${describeError(error)}`, { cause: error });
  }
}

export async function generateLvcSkymapHdf5(ctx: GenerateContext): Promise<void> {
  const skymap = await readInputSkymap(ctx);
  ctx.signal.throwIfAborted();
  try {
    await writeSkymapHdf5(skymap, ctx.outputPath);
  } catch (error) {
    if (error instanceof SkymapHdf5Error) throw new GenerationError(error.message, { cause: error });
    throw error;
  }
  ctx.log.info('wrote the HDF5 skymap', { pixels: skymap.order.length, maxOrder: skymap.meta.maxOrder, ordering: skymap.meta.ordering });
}

export async function generateLvcDistancesJson(ctx: GenerateContext): Promise<void> {
  const skymap = await readInputSkymap(ctx);
  const distances = distancesFromHeader(skymap);
  if (!Number.isFinite(distances.distmean) || !Number.isFinite(distances.diststd)) {
    ctx.log.warn('the skymap header has no DISTMEAN/DISTSTD; writing null', { file: ctx.inputs.LvcSkymapFits });
  }
  await writeDistancesJson(distances, ctx.outputPath);
}
