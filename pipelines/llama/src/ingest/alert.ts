import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync, gzip } from 'node:zlib';
import { eventRef, riderPaths, type EventRef } from '@llama/core';
import { parseLvkAlert, type LvkAlertEvent } from '../alerts/igwn-alert.js';
import { isSupereventId } from '../gracedb/ids.js';
import { fitsHeaderValue, isGzip, skymapProblem } from '../gracedb/fits-check.js';
import { LvcSkymapFits } from '../rules/gw.js';
import { LVAlertJSON } from '../rules/triggers.js';
import { ingestGraceDbMessage } from './lvalert.js';
import { parseSkymapInfo, skymapNameVersion, type SkymapInfoData } from '../skymap-info.js';
import {
  ensureRunDir,
  inOneCommit,
  IngestError,
  nowIso,
  openEvent,
  presetFor,
  vetoGraceId,
  writeTrigger,
  writeSkymapInfo,
  type IngestOptions,
  type IngestOutcome,
} from './common.js';

const gzipAsync = promisify(gzip);

/**
 * The GraceDB file name of an alert's skymap. Alerts carry the bytes but not the name: take the
 * producer from the FITS CREATOR card, else from the group and pipeline.
 */
export function alertSkymapName(event: LvkAlertEvent, skymap: Uint8Array): string {
  const creator = (fitsHeaderValue(skymap, 'CREATOR') ?? '').toLowerCase();
  if (creator.includes('bayestar')) return 'bayestar.multiorder.fits';
  if (creator.includes('bilby') || creator.includes('from-samples') || creator.includes('from_samples')) return 'Bilby.multiorder.fits';
  const pipeline = event.pipeline.toLowerCase();
  if (event.group?.toLowerCase() === 'burst') {
    for (const producer of ['cwb', 'olib', 'mly']) if (pipeline.includes(producer)) return `${producer}.multiorder.fits`;
  }
  return 'bayestar.multiorder.fits';
}

async function existingSkymap(event: EventRef): Promise<{ info: SkymapInfoData; fits: Uint8Array | undefined } | undefined> {
  let info: SkymapInfoData;
  try {
    info = parseSkymapInfo(await readFile(join(event.eventDir, 'skymap_info.json'), 'utf8'));
  } catch {
    return undefined;
  }
  try {
    const stored = await readFile(join(event.eventDir, LvcSkymapFits.filename));
    return { info, fits: new Uint8Array(isGzip(stored) ? gunzipSync(stored) : stored) };
  } catch {
    return { info, fits: undefined };
  }
}

/**
 * The version recorded for an alert's skymap. GraceDB's version is not in the alert: the first
 * skymap of a name is version 0, and a later alert with different bytes under the same name
 * counts up, so that skymap_filename changes exactly when the skymap does.
 */
function alertSkymapVersion(name: string, skymap: Uint8Array, previous: Awaited<ReturnType<typeof existingSkymap>>): number {
  if (previous === undefined) return 0;
  const { name: oldName, version } = skymapNameVersion(previous.info);
  if (oldName !== name) return 0;
  const same = previous.fits !== undefined && Buffer.from(previous.fits).equals(Buffer.from(skymap));
  return same ? version : version + 1;
}

export async function ingestAlertFile(path: string, options: IngestOptions): Promise<IngestOutcome> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    throw new IngestError(`${path}: cannot read the alert (${(cause as Error).message})`, { cause });
  }
  return ingestAlert(bytes, path, options);
}

/**
 * Ingest one O4 LVK alert (igwn.gwalert JSON): LVAlertJSON, SkymapInfo, the skymap, retractions.
 * An LVK-internal igwn-alert GraceDB message (uid/object) goes to ingestGraceDbMessage.
 */
export async function ingestAlert(bytes: Uint8Array, source: string, options: IngestOptions): Promise<IngestOutcome> {
  const text = new TextDecoder().decode(bytes);
  const parsed = parseLvkAlert(text);
  if (parsed.kind === 'invalid') throw new IngestError(`${source}: ${parsed.problem}`);
  if (parsed.kind === 'not-lvk') return { source, status: 'skipped', events: [], messages: [`skipped ${source}: ${parsed.reason}`] };
  if (parsed.kind === 'gracedb-message') return ingestGraceDbMessage(bytes, parsed.message, source, options);
  const alert = parsed.alert;
  const sid = alert.supereventId;
  const via = `${alert.alertType} alert for ${sid}`;
  // Mock (MS…) and test/playground superevents are tests; S… superevents are real public alerts.
  const preset = presetFor(!(isSupereventId(sid) && sid.startsWith('S')));

  if (alert.event === undefined) {
    await ensureRunDir(options.runDir);
    const messages: string[] = [];
    const writeAlert = (event: EventRef): Promise<void> => writeTrigger(options, event, LVAlertJSON, bytes, `Ingested LVAlertJSON from ${via}.\n\n${LVAlertJSON.filename}\n`);
    let vetoed: string[] = [];
    // An existing event gets the alert and its veto in one commit; a new one is created vetoed.
    await inOneCommit([eventRef(options.runDir, sid)], async () => {
      const { created } = await openEvent(options, sid, sid, { ...preset, VETOED: 'true' }, writeAlert);
      if (created) messages.push(`created ${sid} to record the retraction`);
      vetoed = await vetoGraceId(options.runDir, sid, `retracted by ${via}`);
    });
    messages.push(`${sid} retracted: wrote ${LVAlertJSON.filename} in ${sid} and set VETOED=true in ${vetoed.join(', ')}`);
    return { source, status: 'ingested', events: vetoed, messages };
  }

  const skymap = alert.event.skymap;
  if (skymap !== undefined) {
    const problem = skymapProblem(skymap);
    if (problem !== undefined) throw new IngestError(`${source}: the alert's skymap is not a usable FITS file: ${problem}`);
  }
  const alertEvent = alert.event;
  // Compressed on the thread pool from now on, while the event is opened (50-70 ms for a 1 MB
  // skymap, before on the main thread in the middle of the ingest).
  const stored = skymap === undefined ? undefined : isGzip(skymap) ? Promise.resolve(skymap) : gzipAsync(skymap);
  stored?.catch(() => undefined); // awaited in fill; not an unhandled rejection if fill never runs
  // What the alert brings, written into the new event before it appears, or into the existing one.
  let written: string[] = [];
  const fill = async (event: EventRef): Promise<void> => {
    written = [];
    await writeTrigger(options, event, LVAlertJSON, bytes, `Ingested LVAlertJSON from ${via}.\n\n${LVAlertJSON.filename}\n`);
    if (skymap === undefined) {
      written.push('the alert carries no skymap; skymap_info.json and lvc_skymap.fits.gz unchanged');
      return;
    }
    const previous = await existingSkymap(event);
    const name = alertSkymapName(alertEvent, skymap);
    const version = alertSkymapVersion(name, skymap, previous);
    // The skymap first: LvcSkymapFits is generate-once, so once it exists the engine never
    // downloads it; SkymapInfo second, so no pass sees the new SkymapInfo without its skymap.
    // The same skymap again (an UPDATE that changes only the classification, a re-sent alert):
    // the stored one stays, with its rider, so nothing is recompressed, rewritten or re-hashed.
    const sameSkymap =
      previous?.fits !== undefined &&
      Buffer.from(previous.fits).equals(Buffer.from(skymap)) &&
      skymapNameVersion(previous.info).name === name &&
      existsSync(riderPaths(event.eventDir, LvcSkymapFits.filename).metadata);
    if (!sameSkymap) {
      await writeTrigger(options, event, LvcSkymapFits, new Uint8Array(await (stored as Promise<Uint8Array>)), `Wrote LvcSkymapFits from the skymap in the ${via}.\n\n${LvcSkymapFits.filename}\n`);
    }
    const info: SkymapInfoData = {
      event_time_iso: alertEvent.time,
      graceid: sid,
      far: alertEvent.far,
      notice_time_iso: alert.timeCreated ?? nowIso(options),
      pipeline: alertEvent.pipeline.toUpperCase(),
      skymap_filename: `${name},${version}`,
      alert_type: 'igwn-alert',
    };
    await writeSkymapInfo(options, event, info, `Generated SkymapInfo from ${via}.\n\nskymap_info.json\n`);
    written.push(
      sameSkymap
        ? `lvc_skymap.fits.gz unchanged (the same skymap); wrote skymap_info.json (${info.skymap_filename})`
        : `wrote lvc_skymap.fits.gz (${skymap.length} bytes) and skymap_info.json (${info.skymap_filename})`,
    );
  };
  const { created, flags } = await openEvent(options, sid, sid, preset, fill);
  const messages = [`${created ? 'created' : 'updated'} ${sid} (${alert.alertType}${flags?.['VETOED'] === 'true' ? ', VETOED' : ''})`, ...written];
  return { source, status: 'ingested', events: [sid], messages };
}
