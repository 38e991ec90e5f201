import { describe, expect, it } from 'vitest';
import { DEFAULT_FLAGS, FLAG_PRESETS, parseFlagAssignments, serializeFlags, validateFlags } from './flags.js';

describe('FLAGS.json', () => {
  it('merges over DEFAULT and accepts the allowed values', () => {
    const r = validateFlags({ ROLE: 'observation', CUSTOM: 'anything' });
    expect(r.ok && r.value).toEqual({ ...DEFAULT_FLAGS, ROLE: 'observation', CUSTOM: 'anything' });
  });
  it('rejects bad values and non-strings, all at once', () => {
    const r = validateFlags({ ROLE: 'astronaut', UPLOAD: true, VETOED: 'maybe' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.map((d) => d.subject)).toEqual(['ROLE', 'UPLOAD', 'VETOED']);
    expect(validateFlags([]).ok).toBe(false);
  });
  it('has the six 3.5.1 presets', () => {
    expect(Object.keys(FLAG_PRESETS)).toEqual(['DEFAULT', 'TRIGGERED_INTERNAL', 'TRIGGERED_PUBLIC', 'TRIGGERED_TEST', 'RERUN', 'MANUAL']);
    expect(FLAG_PRESETS.TRIGGERED_TEST.BLINDED_NEUTRINOS).toBe('true');
    expect(FLAG_PRESETS.MANUAL.MANUAL).toBe('true');
  });
  it('parses presets and K=V words', () => {
    const r = parseFlagAssignments(['TRIGGERED_PUBLIC', 'UPLOAD=false']);
    expect(r.ok && r.value).toMatchObject({ ROLE: 'observation', ICECUBE_UPLOAD: 'true', UPLOAD: 'false' });
    const bad = parseFlagAssignments(['UPLOAD', 'ROLE=pilot']);
    expect(bad.ok).toBe(false);
  });
  it('matches flag names and values case-insensitively to the seven flags, and refuses others with the choices', () => {
    const r = parseFlagAssignments(['rerun', 'upload=True', 'Icecube_Upload=FALSE']);
    expect(r.ok && r.value).toMatchObject({ ROLE: 'observation', UPLOAD: 'true', ICECUBE_UPLOAD: 'false' });
    expect(r.ok && Object.keys(r.value).every((k) => k === k.toUpperCase())).toBe(true);
    const unknown = parseFlagAssignments(['FOO=bar']);
    expect(!unknown.ok && unknown.error[0]?.message).toBe('"FOO" is not a flag; the flags are ROLE, ONLINE, VETOED, UPLOAD, ICECUBE_UPLOAD, BLINDED_NEUTRINOS, MANUAL');
    const value = parseFlagAssignments(['upload=perhaps']);
    expect(!value.ok && value.error[0]?.message).toBe('flag UPLOAD="perhaps" is not one of true, false');
  });
  it('serialises sorted with indent 4, as 3.5.1', () => {
    expect(serializeFlags({ ROLE: 'test', MANUAL: 'false' })).toBe('{\n    "MANUAL": "false",\n    "ROLE": "test"\n}\n');
  });
});
