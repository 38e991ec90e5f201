import { writeFile } from 'node:fs/promises';
import type { GenerateContext } from '@llama/core';
import { eventGps, readSkymapInfo } from '../skymap-info.js';
import { unixToGps } from '../time/gps.js';
import { buildNeutrinoList, queryRange } from './list.js';
import { neutrinoSource } from './source.js';

/** IceCubeNeutrinoList: fetch, cut to ±500 s, blind if flagged, decide completeness, write. */
export async function generateIceCubeNeutrinoList(ctx: GenerateContext): Promise<void> {
  const info = await readSkymapInfo(ctx.inputs['SkymapInfo'] as string);
  const gwGps = eventGps(info);
  const nowGps = unixToGps(ctx.now().getTime() / 1000);
  const source = neutrinoSource(ctx.env);
  const { startMjd, stopMjd } = queryRange(gwGps, nowGps);
  const raw = await source.fetch(startMjd, stopMjd, ctx.signal, (m) => ctx.log.warn(m));
  const result = buildNeutrinoList(
    raw,
    { gwGps, nowGps, blinded: ctx.flags['BLINDED_NEUTRINOS'] === 'true', eventId: ctx.event.eventId, source: source.name },
    source.defaultType,
  );
  await writeFile(ctx.outputPath, `${JSON.stringify(result.list, null, 2)}\n`);
  if (result.retryAfterSeconds !== undefined) {
    ctx.setProvisional(`neutrino list incomplete: ${result.reason ?? ''}`, result.retryAfterSeconds);
  }
  ctx.log.info(`${result.list.triggers.length} neutrinos within ±500 s from ${source.name}`, {
    complete: result.list.complete,
  });
}
