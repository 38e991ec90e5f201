import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FLAG_PRESETS, type EventRef } from '@llama/core';
import type { GraceDbMessage } from '../alerts/igwn-alert.js';
import { canonicalJson } from '../gracedb/products.js';
import { createGraceDbClient } from '../gracedb/client.js';
import { graceDbConfigFromEnv } from '../gracedb/config.js';
import { GraceDbError } from '../gracedb/errors.js';
import { isSupereventId } from '../gracedb/ids.js';
import { Advok, LVAlertAdvok, LVAlertJSON, SkymapInfo } from '../rules/triggers.js';
import { IngestError, nowIso, openEvent, writeSkymapInfo, writeTrigger, type IngestOptions, type IngestOutcome } from './common.js';
import { skymapInfoFromGraceDb } from './gracedb.js';

/** Labels that make a superevent worth following (3.5.1 LVAlert listener). */
const FOLLOW_LABELS = ['ADVOK', 'ADVREQ'];

/**
 * An LVK-internal igwn-alert message, handled as 3.5.1's LVAlert listener meant to: only
 * superevents labelled ADVOK or ADVREQ; flags TRIGGERED_TEST for test or non-Production
 * superevents, else TRIGGERED_INTERNAL (a vetoed event stays vetoed); `lvalert.json` if absent;
 * SkymapInfo from GraceDB if absent; on ADVOK `lvalert_advok.json` and `advok.json` (3.5.1 referred
 * to a handler that did not exist, so these were never written).
 */
export async function ingestGraceDbMessage(bytes: Uint8Array, message: GraceDbMessage, source: string, options: IngestOptions): Promise<IngestOutcome> {
  if (!message.isSuperevent || !isSupereventId(message.uid)) {
    return { source, status: 'skipped', events: [], messages: [`skipped ${source}: an igwn-alert message about ${message.uid}, not a superevent`] };
  }
  if (!message.labels.some((l) => FOLLOW_LABELS.includes(l))) {
    return { source, status: 'skipped', events: [], messages: [`skipped ${source}: superevent ${message.uid} has no ADVOK or ADVREQ label yet`] };
  }
  const test = message.category !== 'Production' || !message.uid.startsWith('S');
  const preset = test ? FLAG_PRESETS.TRIGGERED_TEST : FLAG_PRESETS.TRIGGERED_INTERNAL;
  const via = `igwn-alert ${message.alertType} message for ${message.uid}`;
  // What the message brings, written into the new event before it appears, or into the existing one.
  let written: string[] = [];
  const fill = async (event: EventRef): Promise<void> => {
    written = [];
    if (!existsSync(join(event.eventDir, LVAlertJSON.filename))) {
      await writeTrigger(options, event, LVAlertJSON, bytes, `Ingested LVAlertJSON from ${via}.\n\n${LVAlertJSON.filename}\n`);
      written.push(`wrote ${LVAlertJSON.filename}`);
    }
    if (message.labels.includes('ADVOK')) {
      if (!existsSync(join(event.eventDir, LVAlertAdvok.filename))) {
        const parsed: unknown = JSON.parse(new TextDecoder().decode(bytes));
        await writeTrigger(options, event, LVAlertAdvok, canonicalJson(parsed), `Ingested LVAlertAdvok from ${via}.\n\n${LVAlertAdvok.filename}\n`);
        written.push(`wrote ${LVAlertAdvok.filename}`);
      }
      if (!existsSync(join(event.eventDir, Advok.filename))) {
        await writeTrigger(options, event, Advok, canonicalJson({ alert_type: 'lvalert', notice_time_iso: nowIso(options) }), `Generated Advok from ${via}.\n\n${Advok.filename}\n`);
        written.push(`wrote ${Advok.filename}`);
      }
    }
  };
  const { event, created, flags } = await openEvent(options, message.uid, message.uid, preset, fill);
  const messages = [`${created ? 'created' : 'updated'} ${message.uid} (igwn-alert ${message.alertType}${flags?.['VETOED'] === 'true' ? ', VETOED' : ''})`, ...written];
  // SkymapInfo needs GraceDB, which may fail: the event exists first, so a retry
  // (llama ingest gracedb) has something to update.
  if (!existsSync(join(event.eventDir, SkymapInfo.filename))) {
    try {
      const client = createGraceDbClient(graceDbConfigFromEnv(options.env));
      const info = await skymapInfoFromGraceDb(client, message.uid, undefined, nowIso(options), 'lvalert');
      await writeSkymapInfo(options, event, info, `Generated SkymapInfo from GraceDB after ${via}.\n\nskymap_info.json\n`);
      messages.push(`wrote skymap_info.json (${info.skymap_filename})`);
    } catch (error) {
      if (!(error instanceof GraceDbError || error instanceof RangeError || error instanceof IngestError)) throw error;
      throw new IngestError(`${source}: ${message.uid} was created, but skymap_info.json could not be built from GraceDB (${error.message}); retry with llama ingest gracedb ${message.uid}`, { cause: error });
    }
  }
  return { source, status: 'ingested', events: [message.uid], messages };
}
