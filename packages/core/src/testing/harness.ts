import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineRule } from '../rule/define.js';
import type { GenerateContext, Rule, RuleDefinition } from '../rule/types.js';
import type { EngineEvent } from '../execute/events.js';
import { HashCache } from '../hash/hash.js';
import { runPass, Scheduler, type PassOptions } from '../execute/run-pass.js';
import { eventRef } from '../event/event.js';
import type { Pipeline } from '../rule/pipeline.js';
import type { EventRef } from '../rule/types.js';

/** Helpers for engine tests: temp runs and controllable fake rules. Not part of the public API. */

export function tempRun(prefix = 'llama-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function makeEvent(runDir: string, eventId: string, files: Record<string, string> = {}): EventRef {
  const event = eventRef(runDir, eventId);
  mkdirSync(event.eventDir, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(event.eventDir, name), content);
  return event;
}

/** A rule that concatenates its inputs (or writes `text`) and counts its runs. */
export function catRule(name: string, inputs: readonly Rule[], extra: Partial<RuleDefinition> & { transform?: (text: string) => string } = {}): Rule {
  const { transform, ...rest } = extra;
  const rule = defineRule({
    name,
    filename: `${name.toLowerCase()}.txt`,
    inputs,
    generate: async (ctx: GenerateContext) => {
      const text = inputs.map((i) => readFileSync(ctx.inputs[i.name] as string, 'utf8')).join('') || `${name}\n`;
      writeFileSync(ctx.outputPath, transform === undefined ? `${text}${name}\n` : transform(text));
    },
    ...rest,
  });
  return rule;
}

export function externalRule(name: string, filename = `${name.toLowerCase()}.txt`): Rule {
  return defineRule({ name, filename, externallyTriggered: true });
}

export async function pass(pipeline: Pipeline, events: readonly EventRef[], extra: Partial<PassOptions> = {}) {
  const log: EngineEvent[] = [];
  const result = await runPass({
    pipeline,
    events,
    cache: extra.cache ?? new HashCache(),
    scheduler: extra.scheduler ?? new Scheduler(4),
    emit: (e) => log.push(e),
    versioning: false,
    durable: false,
    ...extra,
  });
  return { ...result, log, ran: log.filter((e) => e.type === 'step-succeeded').map((e) => (e as { rule: string }).rule) };
}
