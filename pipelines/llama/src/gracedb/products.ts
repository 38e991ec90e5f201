import { writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { GenerationError, type GenerateContext } from '@llama/core';
import { readSkymapInfo, skymapNameVersion } from '../skymap-info.js';
import { createGraceDbClient, logListsVersion, type GraceDbClient, type JsonObject } from './client.js';
import { graceDbConfigFromEnv } from './config.js';
import { GraceDbError } from './errors.js';
import { isGzip, skymapProblem } from './fits-check.js';
import { isFitsName, isStandardSkymapName } from './skymap-names.js';

/** The generate functions of the GraceDB-polling rules: LvcSkymapFits, LVCGraceDbEventData, PAstro. */

function clientFor(ctx: GenerateContext, file: string): GraceDbClient {
  try {
    return createGraceDbClient(graceDbConfigFromEnv(ctx.env), { signal: ctx.signal, onRetry: (m) => ctx.log.warn(m) });
  } catch (cause) {
    throw new GenerationError(`${file}: bad GraceDB configuration: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** Turn adapter failures into GenerationErrors that name the output file (so it cools down). */
async function fromGraceDb<T>(file: string, what: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (cause) {
    if (cause instanceof GraceDbError || cause instanceof RangeError) {
      throw new GenerationError(`${file}: cannot ${what}: ${cause.message}`, { cause });
    }
    throw cause;
  }
}

/** JSON as 3.5.1's JSONFile wrote it: keys sorted at every level, indent 4. */
export function canonicalJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]));
    }
    return v;
  };
  return JSON.stringify(sort(value), null, 4) + '\n';
}

async function skymapInfoOf(ctx: GenerateContext, file: string): ReturnType<typeof readSkymapInfo> {
  const path = ctx.inputs['SkymapInfo'];
  if (path === undefined) throw new GenerationError(`${file}: the SkymapInfo input is missing`);
  return readSkymapInfo(path);
}

export async function generateLvcSkymapFits(ctx: GenerateContext): Promise<void> {
  const file = 'lvc_skymap.fits.gz';
  const info = await skymapInfoOf(ctx, file);
  const { name, version } = skymapNameVersion(info);
  if (!isStandardSkymapName(name) || !isFitsName(name)) {
    throw new GenerationError(`${file}: skymap_info.json names ${JSON.stringify(name)}, which is not a standard LVK skymap FITS file (e.g. bayestar.multiorder.fits, Bilby.multiorder.fits, cwb.fits.gz)`);
  }
  const client = clientFor(ctx, file);
  const logs = await fromGraceDb(file, `read the GraceDB log of ${info.graceid}`, () => client.logs(info.graceid));
  if (!logListsVersion(logs, name, version)) {
    // The notice can arrive before GraceDB has logged the upload: cool down and retry.
    throw new GenerationError(`${file}: the GraceDB log of ${info.graceid} (${client.urlOf(info.graceid, 'logs/')}) does not list ${name},${version} yet`);
  }
  const bytes = await fromGraceDb(file, `download ${name},${version} of ${info.graceid}`, () => client.file(info.graceid, name, version));
  const problem = skymapProblem(bytes);
  if (problem !== undefined) {
    throw new GenerationError(`${file}: the download of ${client.urlOf(info.graceid, `files/${name},${version}`)} is not a usable skymap: ${problem}`);
  }
  await writeFile(ctx.outputPath, isGzip(bytes) ? bytes : gzipSync(bytes));
  ctx.log.info(`downloaded ${name},${version} of ${info.graceid} (${bytes.length} bytes)`);
}

export async function generateLvcGraceDbEventData(ctx: GenerateContext): Promise<void> {
  const file = 'lvc_gracedb_event_data.json';
  const info = await skymapInfoOf(ctx, file);
  const client = clientFor(ctx, file);
  const event: JsonObject = await fromGraceDb(file, `fetch the preferred event of ${info.graceid}`, () => client.preferredEvent(info.graceid));
  const missing = ['offline', 'instruments'].filter((key) => !(key in event));
  if (missing.length > 0) {
    throw new GenerationError(`${file}: the GraceDB event JSON of ${String(event['graceid'] ?? info.graceid)} lacks ${missing.map((k) => `"${k}"`).join(' and ')}`);
  }
  await writeFile(ctx.outputPath, canonicalJson(event));
}

const P_ASTRO_CLASSES = ['BNS', 'NSBH', 'BBH', 'Terrestrial', 'MassGap'];

export async function generatePAstro(ctx: GenerateContext): Promise<void> {
  const file = 'p_astro.json';
  const info = await skymapInfoOf(ctx, file);
  const client = clientFor(ctx, file);
  const bytes = await fromGraceDb(file, `download p_astro.json of ${info.graceid}`, () => client.file(info.graceid, 'p_astro.json'));
  const source = client.urlOf(info.graceid, 'files/p_astro.json');
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch (cause) {
    throw new GenerationError(`${file}: ${source} is not valid JSON`, { cause });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new GenerationError(`${file}: ${source} is not a JSON object of class probabilities`);
  }
  const entries = Object.entries(parsed);
  const bad = entries.filter(([, p]) => typeof p !== 'number' || !(p >= 0 && p <= 1));
  if (bad.length > 0 || !entries.some(([k]) => P_ASTRO_CLASSES.includes(k))) {
    throw new GenerationError(`${file}: ${source} must map ${P_ASTRO_CLASSES.join('/')} to probabilities in [0, 1]${bad.length > 0 ? `; bad: ${bad.map(([k]) => k).join(', ')}` : ''}`);
  }
  await writeFile(ctx.outputPath, canonicalJson(parsed));
}
