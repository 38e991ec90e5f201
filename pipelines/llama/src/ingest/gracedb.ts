import { existsSync, unlinkSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { riderPaths, type EventRef } from '@llama/core';
import { supereventIdProblem } from '../alerts/event-id.js';
import { createGraceDbClient, newestLoggedVersion, type GraceDbClient, type GraceDbLogEntry } from '../gracedb/client.js';
import { graceDbConfigFromEnv } from '../gracedb/config.js';
import { GraceDbError } from '../gracedb/errors.js';
import { splitFileVersion } from '../gracedb/ids.js';
import { isFitsName, isStandardSkymapName } from '../gracedb/skymap-names.js';
import { LvcSkymapFits } from '../rules/gw.js';
import { parseSkymapInfo, type SkymapInfoData } from '../skymap-info.js';
import { gpsToIso } from '../time/gps.js';
import { IngestError, nowIso, openEvent, writeSkymapInfo, type IngestOptions, type IngestOutcome } from './common.js';

/** The newest standard skymap in a GraceDB log (3.5.1 picked the first standard name). */
export function newestStandardSkymap(logs: readonly GraceDbLogEntry[]): { name: string; version: number } | undefined {
  let newest: { name: string; version: number; index: number } | undefined;
  logs.forEach((entry, index) => {
    const name = entry.filename;
    if (typeof name !== 'string' || typeof entry.file_version !== 'number') return;
    if (!isStandardSkymapName(name) || !isFitsName(name)) return;
    // Log order is upload order; prefer N when GraceDB gives it.
    const order = typeof entry.N === 'number' ? entry.N : index;
    if (newest === undefined || order >= newest.index) newest = { name, version: entry.file_version, index: order };
  });
  return newest === undefined ? undefined : { name: newest.name, version: newest.version };
}

/** SkymapInfo from GraceDB: the preferred event's time, FAR and pipeline, and a skymap from the log. */
export async function skymapInfoFromGraceDb(
  client: GraceDbClient,
  graceId: string,
  skymapOption: string | undefined,
  noticeTime: string,
  alertType = 'manual',
): Promise<SkymapInfoData> {
  const preferred = await client.preferredEvent(graceId);
  const gpstime = preferred['gpstime'];
  const far = preferred['far'];
  const pipeline = preferred['pipeline'];
  const where = client.urlOf(graceId);
  if (typeof gpstime !== 'number' || typeof far !== 'number' || typeof pipeline !== 'string') {
    throw new IngestError(`the preferred event of ${graceId} (${where}) lacks gpstime, far or pipeline`);
  }
  const logs = await client.logs(graceId);
  let skymap: { name: string; version: number } | undefined;
  if (skymapOption !== undefined) {
    const { name, version } = splitFileVersion(skymapOption);
    const resolved = version ?? newestLoggedVersion(logs, name);
    if (resolved === undefined) throw new IngestError(`the GraceDB log of ${graceId} never mentions ${name}`);
    skymap = { name, version: resolved };
  } else {
    skymap = newestStandardSkymap(logs);
    if (skymap === undefined) throw new IngestError(`the GraceDB log of ${graceId} (${client.urlOf(graceId, 'logs/')}) lists no standard skymap yet`);
  }
  return {
    event_time_iso: gpsToIso(gpstime),
    graceid: graceId,
    far,
    notice_time_iso: noticeTime,
    pipeline: pipeline.toUpperCase(),
    skymap_filename: `${skymap.name},${skymap.version}`,
    alert_type: alertType,
  };
}

/** `llama ingest gracedb ID`: SkymapInfo from GraceDB (3.5.1 `llama files skymap_info -g`). */
export async function ingestFromGraceDb(graceId: string, options: IngestOptions & { skymap?: string }): Promise<IngestOutcome> {
  const problem = supereventIdProblem(graceId);
  if (problem !== undefined) throw new IngestError(problem);
  let info: SkymapInfoData;
  try {
    const client = createGraceDbClient(graceDbConfigFromEnv(options.env));
    info = await skymapInfoFromGraceDb(client, graceId, options.skymap, nowIso(options));
  } catch (error) {
    if (error instanceof GraceDbError || error instanceof RangeError) throw new IngestError(`${graceId}: ${error.message}`, { cause: error });
    throw error;
  }
  let written: string[] = [];
  const fill = async (event: EventRef): Promise<void> => {
    written = [];
    // A SkymapInfo naming another skymap makes the stored one wrong: LvcSkymapFits is
    // generate-once, so remove it and let the next pass download the new one.
    try {
      const previous = parseSkymapInfo(await readFile(join(event.eventDir, 'skymap_info.json'), 'utf8'));
      const stored = join(event.eventDir, LvcSkymapFits.filename);
      if (previous.skymap_filename !== info.skymap_filename) {
        const riders = riderPaths(event.eventDir, LvcSkymapFits.filename);
        const hadSkymap = existsSync(stored);
        for (const path of [stored, riders.metadata, riders.cooldown]) if (existsSync(path)) unlinkSync(path);
        if (hadSkymap) written.push(`removed lvc_skymap.fits.gz (was ${previous.skymap_filename}); the next pass downloads ${info.skymap_filename}`);
      }
    } catch {
      // no previous SkymapInfo
    }
    await writeSkymapInfo(options, event, info, `Manually generated SkymapInfo from GraceDB ${graceId}.\n\nskymap_info.json\n`);
    written.push(`wrote skymap_info.json (${info.skymap_filename}, event time ${info.event_time_iso}, FAR ${info.far} Hz, ${info.pipeline})`);
  };
  const { created } = await openEvent(options, graceId, graceId, undefined, fill);
  const messages = [`${created ? 'created' : 'updated'} ${graceId}`, ...written];
  return { source: graceId, status: 'ingested', events: [graceId], messages };
}
