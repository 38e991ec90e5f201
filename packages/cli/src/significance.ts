import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventRef, Pipeline } from '@llama/core';

/** The LLAMA significance rule and where its combined p-value sits in its JSON output. */
const SIGNIFICANCE_RULE = 'CoincSignificanceI3Lvc';

/**
 * A reader of an event's combined GW+neutrino p-value for `llama status` and `llama serve`, when
 * the pipeline has the significance rule (a --rules pipeline has none). undefined: no file yet;
 * null: the file says the p-value is unknown (no background trials) or cannot be read.
 */
export function pValueReader(pipeline: Pipeline): ((event: EventRef) => number | null | undefined) | undefined {
  const rule = pipeline.rules.get(SIGNIFICANCE_RULE);
  if (rule === undefined) return undefined;
  return (event) => {
    let text: string;
    try {
      text = readFileSync(join(event.eventDir, rule.filename), 'utf8');
    } catch {
      return undefined;
    }
    try {
      const value = (JSON.parse(text) as { outputs?: { neutrino_gw_combined?: { p_value?: unknown } } }).outputs?.neutrino_gw_combined?.p_value;
      return typeof value === 'number' && Number.isFinite(value) ? value : null;
    } catch {
      return null;
    }
  };
}
