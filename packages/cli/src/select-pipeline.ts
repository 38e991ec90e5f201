import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  ConfigError,
  selectRules,
  selectWithAncestors,
  unionPipelines,
  type Pipeline,
} from '@llama/core';

export interface PipelineChoice {
  readonly filehandlers?: readonly string[] | undefined;
  readonly plusFilehandlers?: readonly string[] | undefined;
  readonly pipeline?: string | undefined;
  /** A JSON rule description used instead of the LLAMA pipelines. */
  readonly rules?: string | undefined;
}

/** Load the LLAMA rule definitions only when needed (their science modules load on first use). */
export async function loadLlamaPipelines(): Promise<Readonly<Record<string, Pipeline>>> {
  const { PIPELINES } = await import('@llama/pipelines/pipelines');
  return PIPELINES;
}

async function loadRuleFile(path: string): Promise<Pipeline> {
  const core = (await import('@llama/core')) as Record<string, unknown>;
  const load = core['loadRuleSpec'] as
    | ((spec: unknown, options: { baseDir: string }) => { ok: true; value: Pipeline } | { ok: false; error: { message: string; code: string }[] })
    | undefined;
  if (load === undefined) throw new ConfigError('--rules: JSON rule descriptions are not supported by this build');
  let spec: unknown;
  try {
    spec = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`--rules ${path}: ${(error as Error).message}`);
  }
  const result = load(spec, { baseDir: dirname(resolve(path)) });
  if (!result.ok) throw new ConfigError(`--rules ${path}: invalid rule description`, { diagnostics: result.error });
  return result.value;
}

/**
 * 3.5.1 pipeline selection: `-p` names a pipeline; `-f X` adds exactly X; `+f X` adds X and
 * its ancestors; given together they are united; with none of them, DEFAULT_PIPELINE.
 * `-f`/`+f` names are drawn from the base pipeline (DEFAULT_PIPELINE, or the --rules file).
 */
export async function choosePipeline(choice: PipelineChoice): Promise<{ pipeline: Pipeline; base: Pipeline }> {
  let base: Pipeline;
  const named = new Map<string, Pipeline>();
  if (choice.rules !== undefined) {
    base = await loadRuleFile(choice.rules);
    named.set(base.name, base);
  } else {
    const pipelines = await loadLlamaPipelines();
    base = pipelines['DEFAULT_PIPELINE'] as Pipeline;
    for (const [name, p] of Object.entries(pipelines)) named.set(name, p);
  }
  const parts: Pipeline[] = [];
  if (choice.pipeline !== undefined) {
    const p = named.get(choice.pipeline);
    if (p === undefined) throw new ConfigError(`unknown pipeline ${choice.pipeline}; choose one of ${[...named.keys()].join(', ')}`);
    parts.push(p);
  }
  const unknown = [...(choice.filehandlers ?? []), ...(choice.plusFilehandlers ?? [])].filter((n) => !base.rules.has(n));
  if (unknown.length > 0) {
    throw new ConfigError(`unknown FileHandler${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')} (see --print-default-pipeline)`);
  }
  if (choice.filehandlers !== undefined && choice.filehandlers.length > 0) parts.push(selectRules(base, choice.filehandlers, 'custom'));
  if (choice.plusFilehandlers !== undefined && choice.plusFilehandlers.length > 0) parts.push(selectWithAncestors(base, choice.plusFilehandlers, 'custom'));
  if (parts.length === 0) return { pipeline: base, base };
  if (parts.length === 1) return { pipeline: parts[0] as Pipeline, base };
  return { pipeline: unionPipelines('custom', ...parts), base };
}

export function formatPipeline(pipeline: Pipeline): string {
  return `${pipeline.order.map((name) => `${name} -> ${pipeline.rules.get(name)?.filename ?? '?'}`).join('\n')}\n`;
}
