import { readFile } from 'node:fs/promises';
import { GenerationError } from '@llama/core';
import { validateZtfTriggerList, type ZtfTrigger as ZtfRecord } from '../fermi/ztf.js';

/**
 * The other messengers as the plots and the summary see them. The files are defined (and
 * validated) by the science modules: the neutrino list by `icecube/types.ts`, the hand-written
 * ZTF list by `fermi/ztf.ts`; this module only adds a display name to ZTF candidates.
 */
export { readNeutrinoList, type Neutrino, type NeutrinoList } from '../icecube/types.js';

/** One ZTF candidate, with the name used in the plot legend when the file gives one. */
export interface ZtfTrigger {
  readonly gps: number;
  readonly ra: number;
  readonly dec: number;
  readonly name?: string;
}

function displayName(record: ZtfRecord): string | undefined {
  const value = record['name'] ?? record['objectId'] ?? record['id'];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

export function parseZtfTriggers(text: string, path: string): ZtfTrigger[] {
  return validateZtfTriggerList(text, path).map((record) => {
    const name = displayName(record);
    return { gps: record.gps, ra: record.ra, dec: record.dec, ...(name === undefined ? {} : { name }) };
  });
}

export async function readZtfTriggers(path: string): Promise<ZtfTrigger[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new GenerationError(`cannot read the ZTF trigger list ${path}`, { cause });
  }
  return parseZtfTriggers(text, path);
}
