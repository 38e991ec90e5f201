import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BackgroundEntry } from './pvalue.js';
import { runBackgroundTrials } from './background.js';
import { loadDefaultModelFile, NeutrinoModel } from './model.js';
import { computeOdds, PreparedSkymap } from './odds.js';
import { searchParameters } from './parameters.js';
import { loadBackgroundTable, parseBackgroundTable, pValue } from './pvalue.js';
import { fisherMixtureSkymap } from './synthetic.js';

const model = new NeutrinoModel(loadDefaultModelFile());
const params = searchParameters('bns', 'H1,L1');
const maps = [
  fisherMixtureSkymap([{ ra: 40, dec: 10, sigmaDeg: 6, weight: 1 }, { ra: 55, dec: 18, sigmaDeg: 5, weight: 1 }], { maxOrder: 6, minOrder: 3, distMu: 120, distSigma: 35 }),
  fisherMixtureSkymap([{ ra: 250, dec: -40, sigmaDeg: 3, weight: 1 }], { maxOrder: 6, minOrder: 3, distMu: 200, distSigma: 60 }),
  fisherMixtureSkymap([{ ra: 150, dec: 60, sigmaDeg: 10, weight: 1 }], { maxOrder: 6, minOrder: 3, distMu: 90, distSigma: 20 }),
];

/** Kolmogorov–Smirnov distance of a sample from U(0, 1). */
function ksUniform(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  let d = 0;
  sorted.forEach((v, i) => {
    d = Math.max(d, (i + 1) / n - v, v - i / n);
  });
  return d;
}

describe('p-values', () => {
  it('rank against a sorted background: p = fraction of background ≥ observed', () => {
    const bg = [0.1, 0.2, 0.2, 0.5, 0.9];
    expect(pValue(bg, 0.05)).toBe(1);
    expect(pValue(bg, 0.2)).toBe(0.8);
    expect(pValue(bg, 0.6)).toBe(0.2);
    expect(pValue(bg, 5)).toBe(0);
    expect(pValue([], 1)).toBeNull();
  });

  let table: BackgroundEntry;
  let fresh: BackgroundEntry;
  beforeAll(() => {
    table = runBackgroundTrials({ params, model, trials: 800, seed: 11, skymaps: maps });
    fresh = runBackgroundTrials({ params, model, trials: 250, seed: 12, skymaps: maps });
  }, 120_000);

  it('lie in [0, 1] and are uniform on background-only trials (Kolmogorov–Smirnov, α = 0.01)', () => {
    const combined = fresh.combined_sum.map((v) => pValue(table.combined_sum, v) as number);
    const single = fresh.per_neutrino.map((v) => pValue(table.per_neutrino, v) as number);
    for (const p of [...combined, ...single]) {
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThanOrEqual(1);
    }
    // Critical values: 1.63/√n (α = 0.01), widened by the 1/N granularity of the table.
    expect(ksUniform(combined)).toBeLessThan(1.63 / Math.sqrt(combined.length) + 1 / table.trials);
    expect(ksUniform(single)).toBeLessThan(1.63 / Math.sqrt(single.length) + 1 / table.per_neutrino.length);
  });
  it('the same test rejects trials with a signal neutrino added (so it can fail)', () => {
    const prep = new PreparedSkymap(maps[1]!, params, model);
    const withSignal = Array.from({ length: 60 }, (_, i) => computeOdds(prep, [{ ra: 250 + (i % 5) * 0.3, dec: -40, sigma: 0.5, energy: 1e5, dt: i - 30 }], { terrestrialOdds: 0 }).combinedOddsSum);
    const p = withSignal.map((v) => pValue(table.combined_sum, v) as number);
    expect(ksUniform(p)).toBeGreaterThan(1.63 / Math.sqrt(p.length));
    expect(Math.max(...p)).toBeLessThan(0.05);
  });
  it('background tables: sorted lists, clear errors, LLAMA_BACKGROUND_TABLE override', () => {
    const doc = { format: 'llama-background-v1', model: 'm', created: '', generator: '', entries: { 'bns/H1L1': table } };
    const parsed = parseBackgroundTable(gzipSync(JSON.stringify(doc)), 't.json.gz');
    expect(parsed.entries["bns/H1L1"]?.trials).toBe(800);
    expect(() => parseBackgroundTable(Buffer.from('{"format": "x"}'), 't.json')).toThrow(/not a llama background table/);
    const unsorted = { ...doc, entries: { k: { ...table, per_neutrino: [2, 1] } } };
    expect(() => parseBackgroundTable(Buffer.from(JSON.stringify(unsorted)), 't.json')).toThrow(/entry k: "per_neutrino" must be a sorted list/);
    expect(() => loadBackgroundTable({ LLAMA_BACKGROUND_TABLE: '/nonexistent/table.json.gz' })).toThrow(/nonexistent\/table\.json\.gz: cannot read the background table \(from LLAMA_BACKGROUND_TABLE\)/);
  });
});
