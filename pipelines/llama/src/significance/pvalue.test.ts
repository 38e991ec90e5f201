import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { backgroundKey, BACKGROUND_TABLE_FORMAT, parseBackgroundTable, pValue, selectBackground, type BackgroundTable } from './pvalue.js';

const sample = { name: 'background-neutrinos.txt', sha256: 'a'.repeat(64), path: '/x' };
const table: BackgroundTable = {
  format: BACKGROUND_TABLE_FORMAT,
  sample: { name: sample.name, sha256: sample.sha256 },
  created: '2026-12-07T00:00:00Z',
  generator: 'test',
  entries: {
    'opa/bns/o3/H1L1V1': { search_type: 'opa', method: 'llama-3.5.1-opa', population: 'bns', sensitivity: 'o3', instruments: 'H1L1V1', trials: 5, seeds: [1], odds: [1, 2, 2, 3, 5] },
    'subthreshold/bns/o3/H1L1V1': {
      search_type: 'subthreshold', method: 'llama-3.5.1-subthreshold', population: 'bns', sensitivity: 'o3', instruments: 'H1L1V1', trials: 4, seeds: [1000001], odds: [1e-9, 1e-6, 1e-3, 10],
      gw_snr: { name: 'gw-background-snr.txt', sha256: 'c'.repeat(64) },
    },
  },
};

describe('3.5.1 p-value (utils.py:63-114)', () => {
  it('is 1 − searchsorted(bg, odds)/len(bg): the fraction of background ≥ odds, ties included', () => {
    const bg = [1, 2, 2, 3, 5];
    expect(pValue(bg, 0.5)).toBe(1);
    expect(pValue(bg, 2)).toBeCloseTo(0.8, 15);
    expect(pValue(bg, 2.5)).toBeCloseTo(0.4, 15);
    expect(pValue(bg, 5)).toBeCloseTo(0.2, 15);
    expect(pValue(bg, 6)).toBe(0);
    expect(pValue(bg, Infinity)).toBe(0);
    expect(pValue([], 1)).toBeNull();
    expect(pValue(bg, Number.NaN)).toBe(0);
    expect(pValue(bg, -3)).toBe(1);
  });

  it('keys the background by search type, population, sensitivity and sorted instruments', () => {
    expect(backgroundKey('opa', 'bns', 'o3', 'H1L1V1')).toBe('opa/bns/o3/H1L1V1');
  });
});

describe('background table', () => {
  const loaded = { table, source: 'table.json.gz' };
  it('round-trips through gzip and selects the entry', () => {
    const parsed = parseBackgroundTable(gzipSync(JSON.stringify(table)), 'table.json.gz');
    const s = selectBackground({ table: parsed, source: 'x' }, 'opa/bns/o3/H1L1V1', 'llama-3.5.1-opa', sample);
    expect('entry' in s && s.entry.odds).toEqual([1, 2, 2, 3, 5]);
  });
  it('a missing entry or table gives a note (p-value null), as 3.5.1 returned None', () => {
    expect(selectBackground(loaded, 'opa/bbh/o3/H1L1', 'llama-3.5.1-opa', sample)).toEqual({ note: expect.stringMatching(/no background trials for opa\/bbh\/o3\/H1L1/) });
    expect(selectBackground(undefined, 'opa/bns/o3/H1L1V1', 'llama-3.5.1-opa', sample)).toEqual({ note: expect.stringMatching(/no background table/) });
  });
  it('refuses a table made from another neutrino sample', () => {
    expect(() => selectBackground(loaded, 'opa/bns/o3/H1L1V1', 'llama-3.5.1-opa', { ...sample, sha256: 'b'.repeat(64) })).toThrow(/refused: the background table was made from neutrino sample/);
    // The shipped default with another sample configured: not used, a note (no table was asked for).
    expect(selectBackground({ ...loaded, shipped: true }, 'opa/bns/o3/H1L1V1', 'llama-3.5.1-opa', { ...sample, sha256: 'b'.repeat(64) })).toEqual({ note: expect.stringMatching(/shipped background table table.json.gz was made from neutrino sample .*: not used/) });
  });
  it('refuses an entry made by another method', () => {
    expect(() => selectBackground(loaded, 'opa/bns/o3/H1L1V1', 'llama-3.5.1-opa-pairfix', sample)).toThrow(/refused: .* made with method llama-3.5.1-opa, not llama-3.5.1-opa-pairfix/);
  });
  it('the subthreshold search ranks against its own entry, made from the same GW SNR list', () => {
    const snr = { name: 'gw-background-snr.txt', sha256: 'c'.repeat(64), path: '/snr' };
    const s = selectBackground(loaded, 'subthreshold/bns/o3/H1L1V1', 'llama-3.5.1-subthreshold', sample, snr);
    if (!('entry' in s)) throw new Error('no entry');
    // 1 − searchsorted/len by hand: 1e-4 sits above two of four trials, 1e-3 ties the third.
    expect(pValue(s.entry.odds, 1e-4)).toBeCloseTo(0.5, 15);
    expect(pValue(s.entry.odds, 1e-3)).toBeCloseTo(0.5, 15);
    expect(pValue(s.entry.odds, 11)).toBe(0);
    expect(pValue(s.entry.odds, 0)).toBe(1);
    expect(() => selectBackground(loaded, 'subthreshold/bns/o3/H1L1V1', 'llama-3.5.1-subthreshold', sample, { ...snr, name: 'other.txt', sha256: 'd'.repeat(64) }))
      .toThrow(/refused: the background for subthreshold\/bns\/o3\/H1L1V1 was made from GW background SNR list gw-background-snr.txt .*not other.txt/);
    expect(() => selectBackground(loaded, 'subthreshold/bns/o3/H1L1V1', 'llama-3.5.1-opa', sample, snr)).toThrow(/made with method llama-3.5.1-subthreshold/);
  });
  it('refuses a table of the old format', () => {
    expect(() => parseBackgroundTable(Buffer.from(JSON.stringify({ format: 'llama-background-v1', model: 'm', entries: {} })), 'old.json')).toThrow(/old.json: not a llama-background-351-v1 background table \(format "llama-background-v1"\)/);
  });
});
