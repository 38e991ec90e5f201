import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeBackgroundRows, runBackgroundChunk } from './background.js';
import { Rng } from './numeric.js';
import { pValue } from './pvalue.js';
import { backgroundSampleFromArrays, loadBackgroundNeutrinos, loadGwSnrList, parseBackgroundNeutrinos } from './samples.js';

const rng = new Rng(5);
const zen: number[] = [];
const en: number[] = [];
for (let i = 0; i < 5000; i++) {
  zen.push(Math.acos(2 * rng.uniform() - 1) * 180 / Math.PI);
  en.push(10 ** (2 + 4 * rng.uniform()));
}
const sample = backgroundSampleFromArrays(zen, en, 'bg-test', zen.map(() => 0.1 + 2 * rng.uniform()));
const options = { population: 'bns' as const, instruments: 'L1,H1,V1', sample, syntheticSkymaps: 2 };

describe('llama background trials (3.5.1 §4)', () => {
  it('a chunk is a pure function of (seed, trials, options)', () => {
    const a = runBackgroundChunk(42, 6, options);
    const b = runBackgroundChunk(42, 6, options);
    const c = runBackgroundChunk(43, 6, options);
    expect(a).toEqual(b);
    expect(a.map((r) => r.odds)).not.toEqual(c.map((r) => r.odds));
    expect(a).toHaveLength(6);
    expect(a[0]!.key).toBe('opa/bns/o3/H1L1V1');
    expect(a.every((r) => r.odds >= 0 && Number.isFinite(r.odds))).toBe(true);
    expect(a.some((r) => r.neutrinos > 0)).toBe(true);
  }, 60_000);

  it('merging chunks sorts the event sums, records seeds, and refuses a seed twice or another sample', () => {
    const rows = [...runBackgroundChunk(1, 3, options), ...runBackgroundChunk(2, 3, options)];
    const table = mergeBackgroundRows(rows, { sample, generator: 'test', created: 'now' });
    const entry = table.entries['opa/bns/o3/H1L1V1']!;
    expect(entry.trials).toBe(6);
    expect(entry.seeds).toEqual([1, 2]);
    expect(entry.odds).toEqual(rows.map((r) => r.odds).sort((x, y) => x - y));
    expect(pValue(entry.odds, -1)).toBe(1);
    expect(() => mergeBackgroundRows(runBackgroundChunk(2, 1, options), { sample, generator: 'test', base: table })).toThrow(/already holds the trials of seed 2/);
    const other = backgroundSampleFromArrays([1, 2, 3, 4, 5], [10, 10, 10, 10, 10], 'other');
    expect(() => mergeBackgroundRows(rows, { sample: other, generator: 'test' })).toThrow(/another neutrino sample/);
  }, 60_000);
});

describe('data file readers', () => {
  it('reads the IceCube public data release text format', () => {
    const text = '# MJD log10(E/GeV) AngErr[deg] RA[deg] Dec[deg] Azimuth[deg] Zenith[deg]\n58000.1 3.5 0.8 10 -20 100 70.5\n\n58000.2 4 1.2 20 30 200 120\n';
    const s = parseBackgroundNeutrinos(text, 'x.txt');
    expect(Array.from(s.zenith)).toEqual([70.5, 120]);
    expect(s.energy[1]).toBe(1e4);
    expect(Array.from(s.angErr)).toEqual([0.8, 1.2]);
    expect(() => parseBackgroundNeutrinos('58000 3 1 2\n', 'bad.txt')).toThrow(/bad.txt: line 1: expected 7 numbers/);
  });

  it('names the file, its sha256, and fails with one line when it is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llama-sig-'));
    const path = join(dir, 'bg.txt');
    writeFileSync(path, '# h\n58000.1 3.5 0.8 10 -20 100 70.5\n');
    const s = loadBackgroundNeutrinos({ LLAMA_BACKGROUND_NEUTRINOS: path });
    expect(s.name).toBe('bg.txt');
    expect(s.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(() => loadBackgroundNeutrinos({ LLAMA_BACKGROUND_NEUTRINOS: join(dir, 'none.txt') })).toThrow(/none.txt: missing background neutrino sample \(from LLAMA_BACKGROUND_NEUTRINOS\)/);
    writeFileSync(join(dir, 'snr.txt'), '# SNRs\n5.5\n6.0 # comment\n7\n');
    expect(Array.from(loadGwSnrList({ LLAMA_GW_BACKGROUND_SNR: join(dir, 'snr.txt') }).snr)).toEqual([5.5, 6, 7]);
  });
});
