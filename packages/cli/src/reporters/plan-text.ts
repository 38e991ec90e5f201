import type { EventPlan, Step } from '@llama/core';
import { describeStep } from './describe.js';

/**
 * How a skip step is grouped with the event's other skips (without --verbose): vetoes by veto
 * (their messages name each rule's file), the rest by their whole description.
 */
function skipGroup(step: Step & { action: 'skip' }): { key: string; label: (n: number) => string } {
  const rules = (n: number): string => `${n} rules`;
  if (step.reason.kind === 'vetoed') {
    const veto = step.reason.veto;
    return { key: `vetoed|${veto}`, label: (n) => `vetoed: ${rules(n)} (${veto})` };
  }
  const text = describeStep(step);
  const colon = text.indexOf(': ');
  const head = colon < 0 ? text : text.slice(0, colon);
  const tail = colon < 0 ? '' : ` (${text.slice(colon + 2)})`;
  return { key: `text|${text}`, label: (n) => `${head}: ${rules(n)}${tail}` };
}

/**
 * The human plan (`--dry-run`): per event, every step that is not fresh, in execution order
 * with its reason, repeated skips of an event grouped into one line; then counts per rule and per
 * action. `verbose` lists every step, fresh ones too. A plan with nothing to do says so in one
 * line after the events' skips.
 */
export function formatPlanText(plans: readonly EventPlan[], options: { verbose?: boolean } = {}): string {
  const verbose = options.verbose === true;
  const lines: string[] = [];
  const perRule = new Map<string, Map<string, number>>();
  const totals = { run: 0, veto: 0, skip: 0, fresh: 0 };
  let errors = 0;
  let warnings = 0;
  const events: { header: string; body: string[] }[] = [];
  for (const plan of plans) {
    const body: string[] = [];
    events.push({ header: `${plan.event.eventId}  (${plan.event.eventDir})`, body });
    if (plan.error !== undefined) {
      errors++;
      for (const d of plan.error) body.push(`  ERROR  ${d.message}`);
      continue;
    }
    for (const warning of plan.warnings) body.push(`  warning  ${warning}`);
    warnings += plan.warnings.length;
    const groups = new Map<string, { label: (n: number) => string; steps: Step[] }>();
    const stepLine = (step: Step): string => `  ${step.action.padEnd(5)}  ${step.rule.padEnd(44)} ${describeStep(step)}`;
    const entries: (Step | string)[] = [];
    for (const step of plan.steps) {
      totals[step.action]++;
      const counts = perRule.get(step.rule) ?? new Map<string, number>();
      const key = `${step.action} ${step.reason.kind}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      perRule.set(step.rule, counts);
      if (step.action === 'fresh' && !verbose) continue;
      if (step.action === 'skip' && !verbose) {
        const group = skipGroup(step);
        const found = groups.get(group.key);
        if (found !== undefined) {
          found.steps.push(step);
          continue;
        }
        groups.set(group.key, { label: group.label, steps: [step] });
        entries.push(group.key);
        continue;
      }
      entries.push(step);
    }
    for (const entry of entries) {
      if (typeof entry !== 'string') {
        body.push(stepLine(entry));
        continue;
      }
      const group = groups.get(entry) as { label: (n: number) => string; steps: Step[] };
      body.push(group.steps.length === 1 ? stepLine(group.steps[0] as Step) : `  skip   ${group.label(group.steps.length)}`);
    }
    if (body.length === 0 && plan.unchanged === undefined) body.push('  (everything up to date)');
    if (body.length === 0) body.push('  (unchanged since a plan found nothing to do)');
  }
  const nothingToDo = totals.run === 0 && totals.veto === 0 && errors === 0;
  for (const event of events) {
    // With nothing to do, an event with nothing to say is not listed: the last line says it all.
    if (nothingToDo && !verbose && (event.body.length === 0 || event.body[0]?.startsWith('  (') === true)) continue;
    lines.push(event.header, ...event.body);
  }
  if (nothingToDo) {
    lines.push(
      `Nothing to do: ${plans.length} event${plans.length === 1 ? '' : 's'} up to date (${totals.skip} step${totals.skip === 1 ? '' : 's'} skipped, ${totals.fresh} fresh${warnings > 0 ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : ''}); this was a dry run.`,
    );
    return `${lines.join('\n')}\n`;
  }
  lines.push('');
  lines.push('Per rule:');
  for (const [rule, counts] of perRule) {
    const parts = [...counts].filter(([k]) => verbose || !k.startsWith('fresh')).map(([k, n]) => `${n} ${k}`);
    if (parts.length > 0) lines.push(`  ${rule.padEnd(44)} ${parts.join(', ')}`);
  }
  lines.push('');
  lines.push(
    `${plans.length} event${plans.length === 1 ? '' : 's'}: ${totals.run} to run, ${totals.veto} to veto, ${totals.skip} skipped, ${totals.fresh} fresh${errors > 0 ? `, ${errors} event error${errors === 1 ? '' : 's'}` : ''}.`,
  );
  lines.push('This was a dry run: nothing was written. Steps planned as upstream-rebuilt may turn out fresh (early cutoff).');
  return `${lines.join('\n')}\n`;
}
