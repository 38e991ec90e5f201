import { readFile, writeFile } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { GenerationError, type GenerateContext, type Rule } from '@llama/core';
import { readSkymapInfo, type SkymapInfoData } from '../skymap-info.js';
import { gracedbEventUrl, llamaEventUrl } from '../summary/links.js';
import { uploadToSlack } from './client.js';
import { slackSettings, type SlackOrganisation } from './config.js';
import { eventSnapshot, fileVersion, filenameForDownload } from './versioned-filename.js';

/** The wall time recorded in the uploaded file's metadata rider, when there is one. */
async function wallTime(eventDir: string, filename: string): Promise<string> {
  const rider = join(eventDir, `.${filename}.metadata.json`);
  try {
    const parsed: unknown = JSON.parse(await readFile(rider, 'utf8'));
    const value = (parsed as { wall_time?: unknown }).wall_time;
    return typeof value === 'number' && Number.isFinite(value) ? `${value.toFixed(3)} s` : 'unknown (no wall_time in the metadata rider)';
  } catch {
    return 'unknown (no readable metadata rider)';
  }
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

export interface ReceiptMessage {
  readonly versionedFilename: string;
  readonly title: string;
  readonly initialComment: string;
}

/** The 3.5.1 title and initial comment of an upload (llama/files/slack). */
export async function receiptMessage(ctx: GenerateContext, uploaded: Rule, info: SkymapInfoData): Promise<ReceiptMessage> {
  const { eventDir, eventId, runDir } = ctx.event;
  const version = await fileVersion(eventDir, uploaded.filename, ctx.signal);
  const versionedFilename = filenameForDownload(eventId, uploaded.filename, version);
  const snapshot = await eventSnapshot(eventDir, ctx.signal);
  const fields: [string, string][] = [
    ['VERSIONED_FILENAME', versionedFilename],
    ['FILENAME', uploaded.filename],
    ['GRACEID', info.graceid],
    ['LLAMAID', eventId],
    ['GRACEDB_LINK', gracedbEventUrl(info.graceid, ctx.env) ?? 'none (LLAMA_GRACEDB_URL has no web site; set LLAMA_GRACEDB_WEB_URL)'],
    ['LLAMA_LINK', llamaEventUrl(runDir, eventId, ctx.env) ?? 'none (set LLAMA_GUI_URL)'],
    ['ANALYSIS_SERVER', hostname()],
    ['EVENT_DIRECTORY', eventDir],
    ['UPLOAD_FILEHANDLER', uploaded.name],
    ['UPLOADER', ctx.rule],
    ['WALL_TIME', await wallTime(eventDir, uploaded.filename)],
    ['EVENT_SNAPSHOT', snapshot ?? 'none (the event directory has no commits)'],
    ['TAGS', [info.graceid, eventId, uploaded.name, `user:${currentUser()}`].join(', ')],
  ];
  return {
    versionedFilename,
    title: `${uploaded.filename} from ${info.graceid} (LLAMA internal ID: ${eventId})`,
    initialComment: fields.map(([key, value]) => `${key}: ${value}`).join('\n'),
  };
}

/** The generate function of `RctSlk<Org><Uploaded>`: upload, then write the channel → response map. */
export function slackReceiptGenerator(organisation: SlackOrganisation, uploaded: Rule, skymapInfo: Rule) {
  return async (ctx: GenerateContext): Promise<void> => {
    const uploadedPath = ctx.inputs[uploaded.name];
    const infoPath = ctx.inputs[skymapInfo.name];
    if (uploadedPath === undefined || infoPath === undefined) {
      throw new GenerationError(`${ctx.rule}: inputs ${uploaded.name} and ${skymapInfo.name} are required`);
    }
    const settings = slackSettings(organisation, ctx.env);
    const info = await readSkymapInfo(infoPath);
    let bytes: Buffer;
    try {
      bytes = await readFile(uploadedPath);
    } catch (cause) {
      throw new GenerationError(`cannot read ${uploadedPath} for upload`, { cause });
    }
    const message = await receiptMessage(ctx, uploaded, info);
    const receipt = await uploadToSlack(
      settings,
      { bytes, filename: message.versionedFilename, title: message.title, initialComment: message.initialComment, source: join(ctx.event.eventDir, uploaded.filename) },
      { signal: ctx.signal, log: ctx.log },
    );
    ctx.log.info(`uploaded ${uploaded.filename} as ${message.versionedFilename} to ${Object.keys(receipt).map((c) => `#${c}`).join(', ')} (${settings.label})`);
    await writeFile(ctx.outputPath, `${JSON.stringify(receipt, null, 4)}\n`);
  };
}
