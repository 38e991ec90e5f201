import { describe, expect, it } from 'vitest';
import type { EventPlan, Step } from '@llama/core';
import { formatPlanText } from './plan-text.js';

const event = (id: string) => ({ eventId: id, eventDir: `/runs/o4/${id}` }) as EventPlan['event'];
const vetoed = (rule: string): Step => ({ rule, action: 'skip', reason: { kind: 'vetoed', veto: 'VETOED', message: 'the event is vetoed (flag VETOED=true)' } });
const fresh = (rule: string): Step => ({ rule, action: 'fresh', reason: { kind: 'up-to-date' } });

describe('formatPlanText', () => {
  const plans: EventPlan[] = [
    { event: event('S1'), steps: [fresh('A'), fresh('B')], warnings: [] },
    { event: event('S2'), steps: Array.from({ length: 35 }, (_, i) => vetoed(`R${i}`)), warnings: [] },
  ];

  it('groups an event\'s repeated skips into one line and says "Nothing to do" in one line', () => {
    expect(formatPlanText(plans).trimEnd().split('\n')).toEqual([
      'S2  (/runs/o4/S2)',
      '  skip   vetoed: 35 rules (VETOED)',
      'Nothing to do: 2 events up to date (35 steps skipped, 2 fresh); this was a dry run.',
    ]);
  });

  it('lists every step with verbose', () => {
    const lines = formatPlanText(plans, { verbose: true }).split('\n');
    expect(lines.filter((l) => l.includes('vetoed (VETOED)'))).toHaveLength(35);
    expect(lines.filter((l) => /^\s+fresh\s/.test(l))).toHaveLength(2);
  });

  it('keeps run steps one per line, in order, with the per-rule counts', () => {
    const text = formatPlanText([{ event: event('S3'), steps: [{ rule: 'A', action: 'run', reason: { kind: 'missing' } }, vetoed('B'), vetoed('C')], warnings: [] }]);
    expect(text).toContain('  run    A');
    expect(text).toContain('  skip   vetoed: 2 rules (VETOED)');
    expect(text).toContain('1 event: 1 to run, 0 to veto, 2 skipped, 0 fresh.');
  });
});
