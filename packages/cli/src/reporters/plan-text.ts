import type { EventPlan } from '@llama/core';
import { describeStep } from './describe.js';

/**
 * The human plan (`--dry-run`): per event, every step that is not fresh, in execution order
 * with its reason; then counts per rule and per action. `verbose` also lists fresh steps.
 */
export function formatPlanText(plans: readonly EventPlan[], options: { verbose?: boolean } = {}): string {
  const lines: string[] = [];
  const perRule = new Map<string, Map<string, number>>();
  const totals = { run: 0, veto: 0, skip: 0, fresh: 0 };
  let errors = 0;
  for (const plan of plans) {
    lines.push(`${plan.event.eventId}  (${plan.event.eventDir})`);
    if (plan.error !== undefined) {
      errors++;
      for (const d of plan.error) lines.push(`  ERROR  ${d.message}`);
      continue;
    }
    for (const warning of plan.warnings) lines.push(`  warning  ${warning}`);
    let shown = 0;
    for (const step of plan.steps) {
      totals[step.action]++;
      const counts = perRule.get(step.rule) ?? new Map<string, number>();
      const key = `${step.action} ${step.reason.kind}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      perRule.set(step.rule, counts);
      if (step.action === 'fresh' && options.verbose !== true) continue;
      shown++;
      lines.push(`  ${step.action.padEnd(5)}  ${step.rule.padEnd(44)} ${describeStep(step)}`);
    }
    if (shown === 0) lines.push('  (everything up to date)');
  }
  lines.push('');
  lines.push('Per rule:');
  for (const [rule, counts] of perRule) {
    const parts = [...counts].filter(([k]) => options.verbose === true || !k.startsWith('fresh')).map(([k, n]) => `${n} ${k}`);
    if (parts.length > 0) lines.push(`  ${rule.padEnd(44)} ${parts.join(', ')}`);
  }
  lines.push('');
  lines.push(
    `${plans.length} event${plans.length === 1 ? '' : 's'}: ${totals.run} to run, ${totals.veto} to veto, ${totals.skip} skipped, ${totals.fresh} fresh${errors > 0 ? `, ${errors} event error${errors === 1 ? '' : 's'}` : ''}.`,
  );
  lines.push('This was a dry run: nothing was written. Steps planned as upstream-rebuilt may turn out fresh (early cutoff).');
  return `${lines.join('\n')}\n`;
}
