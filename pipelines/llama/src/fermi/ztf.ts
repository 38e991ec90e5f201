import { GenerationError, type GenerateContext } from '@llama/core';

/**
 * ZtfTriggerList (`ztf_trigger_list.json`) is manual only, as in 3.5.1: the rule carries the
 * permanent `always_veto`, so the engine never runs it; a hand-written file is validated with
 * `validateZtfTriggerList` by whoever reads it. Content: a JSON list of `{gps, ra, dec, …}`
 * (GPS seconds, degrees); extra fields are kept. σ is 0.1° when plotted (3.5.1).
 */

export interface ZtfTrigger {
  readonly gps: number;
  readonly ra: number;
  readonly dec: number;
  readonly [extra: string]: unknown;
}

export const ZTF_PLOT_SIGMA_DEG = 0.1;

/** Parse and check a hand-written ZTF trigger list; errors name the file and the entry. */
export function validateZtfTriggerList(text: string, source = 'ztf_trigger_list.json'): ZtfTrigger[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new GenerationError(`${source}: not valid JSON`, { cause });
  }
  if (!Array.isArray(raw)) throw new GenerationError(`${source}: must be a JSON list of {"gps", "ra", "dec"} objects`);
  return raw.map((item: unknown, i) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new GenerationError(`${source}: entry ${i}: must be an object`);
    const o = item as Record<string, unknown>;
    const problems: string[] = [];
    const finite = (k: string): boolean => typeof o[k] === 'number' && Number.isFinite(o[k]);
    if (!finite('gps')) problems.push('"gps" must be a number (GPS seconds)');
    if (!finite('ra')) problems.push('"ra" must be a number (deg)');
    if (!finite('dec') || Math.abs(o['dec'] as number) > 90) problems.push('"dec" must be a number in [-90, 90] (deg)');
    if (problems.length > 0) throw new GenerationError(`${source}: entry ${i}: ${problems.join('; ')}`);
    return o as ZtfTrigger;
  });
}

/** Never reached while the permanent veto stands; says what to do if someone forces it. */
export async function generateZtfTriggerList(ctx: GenerateContext): Promise<void> {
  throw new GenerationError(
    `${ctx.rule}: ztf_trigger_list.json is never generated automatically; write it by hand as a JSON list of {"gps", "ra", "dec"} objects`,
  );
}
