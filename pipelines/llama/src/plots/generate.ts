import { writeFile } from 'node:fs/promises';
import { GenerationError, describeError, type GenerateContext } from '@llama/core';
import { credibleAreas } from '../skymap/analysis.js';
import { readSkymapHdf5 } from '../skymap/hdf5.js';
import type { Skymap } from '../skymap/types.js';
import { readNeutrinoList, readZtfTriggers } from './messengers.js';
import { renderSkyPlotPdf, renderSkyPlotPng } from './render.js';
import { skyLookup } from './sky-lookup.js';
import type { SkyPlotModel } from './sky-plot.js';

export type PlotFormat = 'png' | 'pdf';

async function readSkymap(path: string): Promise<Skymap> {
  try {
    return await readSkymapHdf5(path);
  } catch (error) {
    throw new GenerationError(`cannot read the GW skymap ${path}: ${describeError(error)}`, { cause: error });
  }
}

/** `2025-01-01T10:00:00.000` (FITS DATE-OBS, UTC) → `2025-01-01 10:00:00 UTC`. */
export function formatEventTime(dateObs: string | undefined): string | undefined {
  if (dateObs === undefined || dateObs.trim() === '') return undefined;
  const match = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d+)?Z?$/.exec(dateObs.trim());
  return match ? `${match[1]} ${match[2]}${match[3]?.slice(0, 4) ?? ''} UTC` : dateObs.trim();
}

function areas(skymap: Skymap): { fifty: number; ninety: number } | undefined {
  const [fifty, ninety] = credibleAreas(skymap, [0.5, 0.9]);
  return fifty === undefined || ninety === undefined ? undefined : { fifty, ninety };
}

/**
 * The generate function of a CoincScatter* rule: the GW skymap (LvcSkymapHdf5) with the point
 * sources its inputs name (IceCubeNeutrinoList, ZtfTriggerList) drawn on top.
 */
export function scatterGenerator(format: PlotFormat) {
  return async (ctx: GenerateContext): Promise<void> => {
    const skymapPath = ctx.inputs['LvcSkymapHdf5'];
    if (skymapPath === undefined) throw new GenerationError(`${ctx.rule}: input LvcSkymapHdf5 is missing`);
    const skymap = await readSkymap(skymapPath);
    const neutrinoPath = ctx.inputs['IceCubeNeutrinoList'];
    const ztfPath = ctx.inputs['ZtfTriggerList'];
    const neutrinos = neutrinoPath === undefined ? undefined : await readNeutrinoList(neutrinoPath);
    const ztf = ztfPath === undefined ? undefined : await readZtfTriggers(ztfPath);
    ctx.signal.throwIfAborted();
    const model: SkyPlotModel = {
      graceid: skymap.meta.objectId?.trim() || ctx.event.eventId,
      eventTime: formatEventTime(skymap.meta.dateObs),
      lookup: skyLookup(skymap),
      areasDeg2: areas(skymap),
      ...(neutrinos === undefined ? {} : { neutrinos: neutrinos.triggers, neutrinosComplete: neutrinos.complete }),
      ...(ztf === undefined ? {} : { ztf }),
    };
    const bytes = format === 'png' ? await renderSkyPlotPng(model) : await renderSkyPlotPdf(model);
    await writeFile(ctx.outputPath, bytes);
  };
}
