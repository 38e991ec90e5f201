import { describe, expect, it } from 'vitest';
import { defineRule } from './define.js';
import { createPipeline, definePipeline, differencePipelines, selectRules, selectWithAncestors, unionPipelines } from './pipeline.js';
import type { Rule } from './types.js';

const gen = async () => undefined;

describe('rule-set validation', () => {
  it('reports every problem at once', () => {
    const a = defineRule({ name: 'A', filename: 'a.txt', generate: gen });
    const ghost = defineRule({ name: 'Ghost', filename: 'ghost.txt', generate: gen });
    const b = defineRule({ name: 'B', filename: 'a.txt', inputs: [a, ghost], generate: gen });
    const ext = defineRule({ name: 'Ext', filename: 'ext.txt', externallyTriggered: true, inputs: [a] });
    const dup = defineRule({ name: 'A', filename: 'other.txt', generate: gen });
    const result = createPipeline('P', [a, b, ext, dup], { closed: true });
    expect(result.ok).toBe(false);
    const codes = result.ok ? [] : result.error.map((d) => d.code).sort();
    expect(codes).toEqual(['duplicate-filename', 'duplicate-name', 'external-with-inputs', 'unknown-input']);
  });

  it('names the path of a cycle', () => {
    const x: { inputs: Rule[] } & Rule = { ...defineRule({ name: 'X', filename: 'x', generate: gen }), inputs: [] } as never;
    const y = defineRule({ name: 'Y', filename: 'y', inputs: [x], generate: gen });
    (x.inputs as Rule[]).push(y);
    const result = createPipeline('P', [x, y]);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error[0]?.message).toBe('dependency cycle: X -> Y -> X');
  });
});

describe('pipeline algebra (-f, +f, -p)', () => {
  const s = defineRule({ name: 'S', filename: 's', externallyTriggered: true });
  const a = defineRule({ name: 'A', filename: 'a', inputs: [s], generate: gen });
  const b = defineRule({ name: 'B', filename: 'b', inputs: [a], generate: gen });
  const c = defineRule({ name: 'C', filename: 'c', inputs: [s], generate: gen });
  const all = definePipeline('ALL', [s, a, b, c]);

  it('orders inputs first, deterministically', () => {
    expect(all.order).toEqual(['S', 'A', 'B', 'C']);
  });
  it('-f selects exactly the named rules', () => {
    expect([...selectRules(all, ['B']).rules.keys()]).toEqual(['B']);
  });
  it('+f adds every ancestor', () => {
    expect([...selectWithAncestors(all, ['B']).rules.keys()].sort()).toEqual(['A', 'B', 'S']);
  });
  it('unions and differences', () => {
    const u = unionPipelines('U', selectRules(all, ['B']), selectRules(all, ['C']));
    expect([...u.rules.keys()].sort()).toEqual(['B', 'C']);
    expect([...differencePipelines('D', all, u).rules.keys()].sort()).toEqual(['A', 'S']);
  });
  it('rejects unknown names', () => {
    expect(() => selectRules(all, ['Nope'])).toThrow(/Nope/);
  });
});
