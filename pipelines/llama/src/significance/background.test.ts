import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { drawBackgroundNeutrinos, mergeBackgroundRows, runBackgroundChunk } from './background.js';
import { PreparedBackground } from './density.js';
import { Rng } from './numeric.js';
import { instrumentKey, searchParameters } from './parameters.js';
import { pValue } from './pvalue.js';
import { backgroundSampleFromArrays, loadBackgroundNeutrinos, loadGwSnrList, parseBackgroundNeutrinos, type GwSnrSample } from './samples.js';
import { SkySums } from './sky.js';
import { computeSubthresholdOdds, METHOD_SUBTHRESHOLD_351 } from './subthreshold.js';
import { randomGwSkymap } from './synthetic.js';

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

const snrList = (values: number[], name: string): GwSnrSample => ({ name, sha256: name.padEnd(64, '0'), path: name, snr: Float64Array.from(values) });
const gwSnr = snrList([4.1, 4.3, 4.6, 5.0, 5.2, 5.9, 6.4, 7.7, 9.0], 'snr-a');
const subOptions = { ...options, search: 'subthreshold' as const, gwSnr, syntheticSkymaps: 1 };

describe('subthreshold background trials (3.5.1 §6 through the same odds code)', () => {
  it('draws the SNR from the GW background list and p_terr uniformly, and keeps the odds_ratio of computeSubthresholdOdds (as the 3.5.1 table kept the file value)', () => {
    const rows = runBackgroundChunk(7, 4, subOptions);
    expect(rows).toHaveLength(4);
    expect(rows.every((r) => r.key === 'subthreshold/bns/o3/H1L1V1' && r.method === METHOD_SUBTHRESHOLD_351 && r.seed === 7)).toBe(true);
    expect(rows[0]!.gw_snr).toEqual({ name: 'snr-a', sha256: gwSnr.sha256 });
    expect(runBackgroundChunk(7, 4, subOptions)).toEqual(rows);
    // Independent replay of the documented draws: map, then per trial tgw, neutrinos, SNR index, p_terr.
    const rng = new Rng(7);
    const params = searchParameters('bns', 'H1,L1,V1');
    const map = randomGwSkymap(rng, 'bns', instrumentKey(params.instruments));
    const sky = new SkySums(map);
    const bg = new PreparedBackground(sample);
    for (const row of rows) {
      const tgw = 1.24e9 + 0.21e9 * rng.uniform();
      const nus = drawBackgroundNeutrinos(rng, sample, tgw, params.ratebgnu);
      const rho = gwSnr.snr[Math.floor(rng.uniform() * gwSnr.snr.length)]!;
      const pTerr = rng.uniform();
      expect(Array.from(gwSnr.snr)).toContain(rho);
      const want = computeSubthresholdOdds({ tgw, rho, dist: map.distMu![0]!, cwb: false }, pTerr, nus, sky, bg, gwSnr.snr, params).odds_ratio;
      expect(row.neutrinos).toBe(nus.length);
      // Same code path, same draws: equal to 1e-12 relative (tgw's range written out above).
      expect(Math.abs(row.odds - want)).toBeLessThanOrEqual(1e-12 * Math.abs(want));
    }
    expect(() => runBackgroundChunk(1, 1, { ...subOptions, gwSnr: undefined })).toThrow(/need the GW background SNR list/);
  }, 60_000);

  it('merged entries record the SNR list; rows or an entry from another SNR list are refused', () => {
    const rows = runBackgroundChunk(1_000_001, 3, subOptions);
    const table = mergeBackgroundRows(rows, { sample, generator: 'test', created: 'now' });
    const entry = table.entries['subthreshold/bns/o3/H1L1V1']!;
    expect(entry.search_type).toBe('subthreshold');
    expect(entry.method).toBe(METHOD_SUBTHRESHOLD_351);
    expect(entry.gw_snr).toEqual({ name: 'snr-a', sha256: gwSnr.sha256 });
    expect(entry.odds).toEqual(rows.map((r) => r.odds).sort((x, y) => x - y));
    const other = runBackgroundChunk(1_000_002, 2, { ...subOptions, gwSnr: snrList([5, 6, 7], 'snr-b') });
    expect(() => mergeBackgroundRows([...rows, ...other], { sample, generator: 'test' })).toThrow(/different GW background SNR lists/);
    expect(() => mergeBackgroundRows(other, { sample, generator: 'more', base: table })).toThrow(/made from GW background SNR list snr-a, not snr-b/);
    // Adding subthreshold entries to an opa table keeps the opa entries and the command that made them.
    const opa = mergeBackgroundRows(runBackgroundChunk(1, 2, options), { sample, generator: 'opa command', created: 'now' });
    const both = mergeBackgroundRows(rows, { sample, generator: 'sub command', base: opa });
    expect(both.entries['opa/bns/o3/H1L1V1']).toEqual(opa.entries['opa/bns/o3/H1L1V1']);
    expect(both.entries['subthreshold/bns/o3/H1L1V1']!.trials).toBe(3);
    expect(both.generator).toBe('opa command; then sub command --merge');
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
