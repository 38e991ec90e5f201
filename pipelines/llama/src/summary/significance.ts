import { readFile } from 'node:fs/promises';
import { GenerationError } from '@llama/core';

/** One neutrino's result in `significance_lvc-i3.json` (3.5.1 `outputs.neutrino_gw_triggers`). */
export interface NeutrinoSignificance {
  readonly ra: number;
  readonly dec: number;
  readonly sigma?: number;
  readonly dt?: number;
  readonly oddsRatio?: number;
  readonly pValue?: number;
}

export interface Significance {
  readonly combinedPValue: number | undefined;
  /** 1 / number of background trials: a p-value of 0 means "below this". */
  readonly combinedPValueResolution: number | undefined;
  readonly combinedOddsRatio: number | undefined;
  readonly neutrinos: readonly NeutrinoSignificance[];
}

const optionalNumber = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

/**
 * Read the 3.5.1-schema significance JSON. The combined result may be null (no neutrinos); a
 * missing `outputs` object or wrongly typed fields are errors naming the file.
 */
export function parseSignificance(raw: unknown, path: string): Significance {
  const outputs = (raw as { outputs?: unknown } | null)?.outputs;
  if (raw === null || typeof raw !== 'object' || outputs === null || typeof outputs !== 'object' || Array.isArray(outputs)) {
    throw new GenerationError(`${path}: the significance file has no "outputs" object`);
  }
  const o = outputs as Record<string, unknown>;
  const problems: string[] = [];
  const combined = o['neutrino_gw_combined'];
  let combinedPValue: number | undefined;
  let combinedPValueResolution: number | undefined;
  let combinedOddsRatio: number | undefined;
  if (combined !== undefined && combined !== null) {
    if (typeof combined !== 'object' || Array.isArray(combined)) problems.push('"outputs.neutrino_gw_combined" must be an object');
    else {
      const c = combined as Record<string, unknown>;
      combinedPValue = optionalNumber(c['p_value']);
      combinedPValueResolution = optionalNumber(c['p_value_resolution']);
      combinedOddsRatio = optionalNumber(c['odds_ratio']);
      if (c['p_value'] !== undefined && c['p_value'] !== null && combinedPValue === undefined) problems.push('"neutrino_gw_combined.p_value" must be a number');
      if (combinedPValue !== undefined && (combinedPValue < 0 || combinedPValue > 1)) problems.push(`"neutrino_gw_combined.p_value" must lie in [0, 1], got ${combinedPValue}`);
    }
  }
  const list = o['neutrino_gw_triggers'] ?? [];
  const neutrinos: NeutrinoSignificance[] = [];
  if (!Array.isArray(list)) problems.push('"outputs.neutrino_gw_triggers" must be a list');
  else {
    list.forEach((item: unknown, index: number) => {
      const t = (item ?? {}) as Record<string, unknown>;
      const ra = optionalNumber(t['ra']);
      const dec = optionalNumber(t['dec']);
      if (ra === undefined || dec === undefined) {
        problems.push(`neutrino_gw_triggers[${index}] needs numeric "ra" and "dec"`);
        return;
      }
      const entry: NeutrinoSignificance = { ra, dec };
      const extras = {
        sigma: optionalNumber(t['sigma']),
        dt: optionalNumber(t['dt']),
        oddsRatio: optionalNumber(t['odds_ratio']),
        pValue: optionalNumber(t['p_value']),
      };
      neutrinos.push(Object.fromEntries(Object.entries({ ...entry, ...extras }).filter(([, v]) => v !== undefined)) as unknown as NeutrinoSignificance);
    });
  }
  if (problems.length > 0) throw new GenerationError(`${path}: malformed significance: ${problems.join('; ')}`);
  return { combinedPValue, combinedPValueResolution, combinedOddsRatio, neutrinos };
}

export async function readSignificance(path: string): Promise<Significance> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new GenerationError(`cannot read the significance ${path}`, { cause });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new GenerationError(`${path}: the significance is not valid JSON`, { cause });
  }
  return parseSignificance(raw, path);
}
