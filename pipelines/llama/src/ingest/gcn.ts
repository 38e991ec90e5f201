import { readFile } from 'node:fs/promises';
import type { EventRef } from '@llama/core';
import { parseVoEvent, skymapFilenameFromUrl, type LvkNotice } from '../alerts/voevent.js';
import { canonicalJson } from '../gracedb/products.js';
import { Advok, LvcGcnXml, LvcRetractionXml } from '../rules/triggers.js';
import type { SkymapInfoData } from '../skymap-info.js';
import {
  ensureRunDir,
  eventsOfGraceId,
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

/** SkymapInfo from an LVK notice (3.5.1 `generate_from_lvc_gcn_xml`); a string is the reason it cannot be built. */
export function skymapInfoFromNotice(notice: LvkNotice, noticeTimeFallback: string): SkymapInfoData | string {
  if (notice.skymapUrl === undefined) return 'the notice names no skymap (no skymap_fits Param)';
  const skymap = skymapFilenameFromUrl(notice.skymapUrl);
  if ('problem' in skymap) return skymap.problem;
  if (notice.eventTimeIso === undefined) return 'the notice has no event time (WhereWhen ISOTime)';
  if (notice.far === undefined) return 'the notice has no FAR';
  if (notice.pipeline === undefined) return 'the notice names no Pipeline';
  return {
    event_time_iso: notice.eventTimeIso,
    graceid: notice.graceId,
    far: notice.far,
    notice_time_iso: notice.noticeTimeIso ?? noticeTimeFallback,
    pipeline: notice.pipeline.toUpperCase(),
    skymap_filename: skymap.filename,
    alert_type: `gcn-${notice.noticeType.toLowerCase()}`,
  };
}

/** Ingest one GCN VOEvent file: what the 3.5.1 GCN listener meant to do with it. */
export async function ingestGcnFile(path: string, options: IngestOptions): Promise<IngestOutcome> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    throw new IngestError(`${path}: cannot read the notice (${(cause as Error).message})`, { cause });
  }
  return ingestGcnNotice(bytes, path, options);
}

export async function ingestGcnNotice(bytes: Uint8Array, source: string, options: IngestOptions): Promise<IngestOutcome> {
  const xml = new TextDecoder().decode(bytes);
  const parsed = parseVoEvent(xml);
  if (parsed.kind === 'invalid') throw new IngestError(`${source}: ${parsed.problem}`);
  if (parsed.kind === 'not-lvk') return { source, status: 'skipped', events: [], messages: [`skipped ${source}: ${parsed.reason}`] };
  const notice = parsed.notice;
  const test = notice.role !== 'observation';
  const preset = presetFor(test);
  const via = `GCN notice ${notice.ivorn}`;

  if (notice.noticeType === 'Retraction') {
    await ensureRunDir(options.runDir);
    const targets = eventsOfGraceId(options.runDir, notice.graceId);
    const messages: string[] = [];
    const writeRetraction = (event: EventRef): Promise<void> =>
      writeTrigger(options, event, LvcRetractionXml, bytes, `Ingested LvcRetractionXml from ${via}.\n\n${LvcRetractionXml.filename}\n`);
    if (targets.length === 0) {
      // Nothing to retract yet: keep the retraction in its own event so later notices are vetoed too.
      await openEvent(options, notice.eventId, notice.graceId, { ...preset, VETOED: 'true' }, writeRetraction);
      messages.push(`no event of ${notice.graceId} in ${options.runDir} yet; recorded the retraction in ${notice.eventId}`);
    }
    let vetoed: string[] = [];
    // Each event of the GraceID gets the retraction and its veto in one commit.
    await inOneCommit(eventsOfGraceId(options.runDir, notice.graceId), async () => {
      for (const event of targets) await writeRetraction(event);
      vetoed = await vetoGraceId(options.runDir, notice.graceId, `retracted by ${via}`);
    });
    messages.push(`${notice.graceId} retracted: wrote ${LvcRetractionXml.filename} and set VETOED=true in ${vetoed.join(', ')}`);
    return { source, status: 'ingested', events: vetoed, messages };
  }

  // What the notice brings, written into the new event before it appears, or into the existing one.
  let written: string[] = [];
  const fill = async (event: EventRef): Promise<void> => {
    written = [];
    await writeTrigger(options, event, LvcGcnXml, bytes, `Ingested LvcGcnXml from ${via}.\n\n${LvcGcnXml.filename}\n`);
    const info = skymapInfoFromNotice(notice, nowIso(options));
    if (typeof info === 'string') {
      written.push(`no skymap_info.json for ${event.eventId}: ${info}`);
    } else {
      await writeSkymapInfo(options, event, info, `Generated SkymapInfo from ${via}.\n\nskymap_info.json\n`);
      written.push(`wrote skymap_info.json (${info.skymap_filename}, ${info.alert_type})`);
    }
    if (notice.noticeType === 'Initial' || notice.noticeType === 'Update') {
      const advok = { alert_type: 'gcn', notice_time_iso: notice.noticeTimeIso ?? nowIso(options) };
      await writeTrigger(options, event, Advok, canonicalJson(advok), `Generated Advok from ${via}.\n\n${Advok.filename}\n`);
      written.push('wrote advok.json');
    }
  };
  const { event, created, flags } = await openEvent(options, notice.eventId, notice.graceId, preset, fill);
  const messages = [`${created ? 'created' : 'updated'} ${event.eventId} (${notice.noticeType}, role ${notice.role}${flags?.['VETOED'] === 'true' ? ', VETOED' : ''})`, ...written];
  return { source, status: 'ingested', events: [event.eventId], messages };
}
