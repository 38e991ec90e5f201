import type { EngineEvent, EventPlan, PassSummary } from '@llama/core';

/**
 * `--json` output, schema `llama.run/1` (documented in the README):
 * { schema, dry_run, events: [{ eventid, eventdir, error?, warnings, steps: [{ rule, action, reason }],
 *   results?: [{ rule, status, reason?, error?, edited_inputs?, hash?, changed?, duration_ms? }] }], summary? }
 */
export const JSON_SCHEMA_VERSION = 'llama.run/1';

export interface JsonResult {
  rule: string;
  status: 'succeeded' | 'failed' | 'skipped' | 'cutoff' | 'vetoed';
  reason?: unknown;
  error?: string;
  hash?: string;
  changed?: boolean;
  duration_ms?: number;
  provisional?: string;
  edited_inputs?: { rule: string; filename: string }[];
}

export class JsonCollector {
  readonly #results = new Map<string, JsonResult[]>();
  #summary: PassSummary | undefined;

  onEvent(e: EngineEvent): void {
    const add = (eventDir: string, result: JsonResult): void => {
      const list = this.#results.get(eventDir) ?? [];
      list.push(result);
      this.#results.set(eventDir, list);
    };
    switch (e.type) {
      case 'step-succeeded':
        add(e.event.eventDir, { rule: e.rule, status: 'succeeded', reason: e.reason, hash: e.hash, changed: e.changed, duration_ms: e.durationMs, ...(e.provisional === undefined ? {} : { provisional: e.provisional }) });
        break;
      case 'step-failed':
        add(e.event.eventDir, {
          rule: e.rule,
          status: 'failed',
          reason: e.reason,
          error: e.error,
          duration_ms: e.durationMs,
          ...(e.editedInputs === undefined ? {} : { edited_inputs: e.editedInputs.map((i) => ({ rule: i.rule, filename: i.filename })) }),
        });
        break;
      case 'step-skipped':
        add(e.event.eventDir, { rule: e.rule, status: 'skipped', reason: e.reason });
        break;
      case 'step-cutoff':
        add(e.event.eventDir, { rule: e.rule, status: 'cutoff' });
        break;
      case 'step-vetoed':
        add(e.event.eventDir, { rule: e.rule, status: 'vetoed', reason: { veto: e.veto, message: e.message } });
        break;
      case 'pass-finished':
        this.#summary = e.summary;
        break;
      default:
        break;
    }
  }

  document(plans: readonly EventPlan[], dryRun: boolean): unknown {
    return {
      schema: JSON_SCHEMA_VERSION,
      dry_run: dryRun,
      events: plans.map((plan) => ({
        eventid: plan.event.eventId,
        eventdir: plan.event.eventDir,
        ...(plan.error === undefined ? {} : { error: plan.error.map((d) => d.message) }),
        warnings: plan.warnings,
        steps: plan.steps.map((s) => ({ rule: s.rule, action: s.action, reason: s.reason })),
        ...(dryRun ? {} : { results: this.#results.get(plan.event.eventDir) ?? [] }),
      })),
      ...(this.#summary === undefined || dryRun ? {} : { summary: this.#summary }),
    };
  }
}
