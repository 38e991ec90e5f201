import { describe, expect, it } from 'vitest';
import { defineRule } from '../rule/define.js';
import type { RuleState } from '../state/snapshot.js';
import { cooldownSeconds } from '../rule/cooldown.js';
import { decideStep, type InputStatus } from './decide.js';
import type { ContentHash } from '../hash/hash.js';

const H = (c: string) => c.repeat(16) as ContentHash;
const event = { eventId: 'S1', runDir: '/r', eventDir: '/r/S1' };
const flags = { ROLE: 'test', ONLINE: 'true', VETOED: 'false', UPLOAD: 'false', ICECUBE_UPLOAD: 'false', BLINDED_NEUTRINOS: 'false', MANUAL: 'false' };
const ctx = { event, flags, now: 1_000_000, forced: false, allowManual: false };
const input = (over: Partial<InputStatus> = {}): InputStatus => ({ name: 'In', exists: true, hash: H('a'), pending: false, failed: false, ...over });
const rule = defineRule({ name: 'R', filename: 'r.txt', version: '2', generate: async () => undefined });
const fresh: RuleState = {
  output: { exists: true, hash: H('b') },
  rider: { kind: 'ok', ruleVersion: '2', output: H('b'), inputs: { In: H('a') } },
  vetoFile: false,
  locked: false,
};

describe('decideStep: every reason', () => {
  it('up-to-date', () => expect(decideStep(rule, fresh, [input()], ctx).reason).toEqual({ kind: 'up-to-date' }));
  it('missing', () => expect(decideStep(rule, { ...fresh, output: { exists: false } }, [input()], ctx).reason.kind).toBe('missing'));
  it('input-changed names the input and both hashes', () =>
    expect(decideStep(rule, fresh, [input({ hash: H('c') })], ctx).reason).toEqual({ kind: 'input-changed', input: 'In', old: H('a'), new: H('c') }));
  it('rule-version-changed', () =>
    expect(decideStep(rule, { ...fresh, rider: { ...(fresh.rider as { kind: 'ok' } & RuleState['rider']), ruleVersion: '1' } as RuleState['rider'] }, [input()], ctx).reason).toEqual({ kind: 'rule-version-changed', old: '1', new: '2' }));
  it('upstream-rebuilt', () => expect(decideStep(rule, fresh, [input({ pending: true })], ctx).reason).toEqual({ kind: 'upstream-rebuilt', inputs: ['In'] }));
  it('forced', () => expect(decideStep(rule, fresh, [input()], { ...ctx, forced: true }).reason.kind).toBe('forced'));
  it('edited by hand: kept', () => expect(decideStep(rule, { ...fresh, output: { exists: true, hash: H('d') } }, [input()], ctx)).toMatchObject({ action: 'fresh', reason: { kind: 'edited-by-hand' } }));
  it('no rider: kept as hand-made', () => expect(decideStep(rule, { ...fresh, rider: { kind: 'none' } }, [input()], ctx)).toMatchObject({ action: 'fresh', reason: { kind: 'no-rider' } }));
  it('no rider but a dead intent: interrupted', () =>
    expect(decideStep(rule, { ...fresh, rider: { kind: 'none' }, intent: { expiresAt: 2_000_000, pid: 99999999, ownerAlive: false, ours: false } }, [input()], ctx).reason.kind).toBe('interrupted'));
  it('corrupt rider: regenerate', () => expect(decideStep(rule, { ...fresh, rider: { kind: 'invalid', problem: 'x' } }, [input()], ctx).reason.kind).toBe('rider-invalid'));
  it('vetoed event', () => expect(decideStep(rule, fresh, [input()], { ...ctx, flags: { ...flags, VETOED: 'true' } })).toMatchObject({ action: 'skip', reason: { kind: 'vetoed' } }));
  it('a rule that announces a retraction still runs in a vetoed event', () => {
    const announce = defineRule({ name: 'Announce', filename: 'a', runsWhenEventVetoed: true, generate: async () => undefined });
    expect(decideStep(announce, { ...fresh, output: { exists: false } }, [], { ...ctx, flags: { ...flags, VETOED: 'true' } }).reason.kind).toBe('missing');
  });
  it('veto function', () => {
    const vetoed = defineRule({ name: 'V', filename: 'v', generate: async () => undefined, vetoes: [{ name: 'upload_flag_false', check: ({ flags: f }) => (f['UPLOAD'] === 'false' ? 'no uploads' : false) }] });
    expect(decideStep(vetoed, fresh, [], ctx)).toMatchObject({ action: 'skip', reason: { kind: 'vetoed', veto: 'upload_flag_false', message: 'no uploads' } });
  });
  it('permanent veto writes a veto rider', () => {
    const always = defineRule({ name: 'Z', filename: 'z', generate: async () => undefined, vetoes: [{ name: 'always_veto', permanent: true, check: () => 'manual only' }] });
    expect(decideStep(always, { ...fresh, output: { exists: false } }, [], ctx).action).toBe('veto');
    expect(decideStep(always, { ...fresh, vetoFile: true }, [], ctx)).toMatchObject({ action: 'skip', reason: { kind: 'vetoed', veto: 'permanent' } });
  });
  it('cooling down', () =>
    expect(decideStep(rule, { ...fresh, output: { exists: false }, cooldown: { numAttempts: 2, lastAttempt: ctx.now - 1000 } }, [input()], ctx)).toMatchObject({ action: 'skip', reason: { kind: 'cooling-down', until: ctx.now - 1000 + 120_000 } }));
  it('first failure: no wait (3.5.1)', () =>
    expect(decideStep(rule, { ...fresh, output: { exists: false }, cooldown: { numAttempts: 0, lastAttempt: ctx.now } }, [input()], ctx).action).toBe('run'));
  it('intent held by a live process', () =>
    expect(decideStep(rule, { ...fresh, output: { exists: false }, intent: { expiresAt: ctx.now + 5000, pid: process.pid + 1, ownerAlive: true, ours: false } }, [input()], ctx).reason.kind).toBe('intent-held'));
  it('expired intent is ignored', () =>
    expect(decideStep(rule, { ...fresh, output: { exists: false }, intent: { expiresAt: ctx.now - 1, ownerAlive: undefined, ours: false } }, [input()], ctx).reason.kind).toBe('missing'));
  it('inputs missing', () => expect(decideStep(rule, { ...fresh, output: { exists: false } }, [input({ exists: false, hash: undefined })], ctx)).toMatchObject({ action: 'skip', reason: { kind: 'inputs-missing', inputs: ['In'] } }));
  it('blocked by a failed input', () => expect(decideStep(rule, fresh, [input({ failed: true })], ctx)).toMatchObject({ action: 'skip', reason: { kind: 'blocked', inputs: ['In'] } }));
  it('awaits trigger', () => expect(decideStep(defineRule({ name: 'T', filename: 't', externallyTriggered: true }), { ...fresh, output: { exists: false } }, [], ctx).reason.kind).toBe('awaits-trigger'));
  it('locked files are never stale by themselves', () => expect(decideStep(rule, { ...fresh, locked: true }, [input({ hash: H('c') })], ctx).reason.kind).toBe('locked'));
  it('generate-once files are never stale by themselves', () => {
    const once = defineRule({ name: 'O', filename: 'o', generateOnce: true, generate: async () => undefined });
    expect(decideStep(once, fresh, [input({ hash: H('c') })], ctx).reason.kind).toBe('generate-once');
  });
  it('manual events are skipped unless asked for', () => {
    const manual = { ...ctx, flags: { ...flags, MANUAL: 'true' } };
    expect(decideStep(rule, fresh, [input()], manual).reason.kind).toBe('manual');
    expect(decideStep(rule, fresh, [input()], { ...manual, allowManual: true }).reason.kind).toBe('up-to-date');
  });
  it('provisional outputs are refreshed when due', () => {
    const prov = { ...fresh, rider: { kind: 'ok' as const, ruleVersion: '2', output: H('b'), inputs: { In: H('a') }, provisional: { reason: 'window open', retryAfter: ctx.now - 1 } } };
    expect(decideStep(rule, prov, [input()], ctx).reason).toEqual({ kind: 'provisional', note: 'window open' });
  });
});

describe('cooldown arithmetic (3.5.1: 0 s, 60 s, 120 s … capped at 4 h)', () => {
  const params = { base: 60, increment: 60, maximum: 240 * 60 };
  it('follows the documented schedule', () => {
    expect([0, 1, 2, 3].map((n) => cooldownSeconds(params, n))).toEqual([0, 60, 120, 180]);
    expect(cooldownSeconds(params, 1000)).toBe(14_400);
  });
});
