import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildDefaultModel, DEFAULT_MODEL_NAME } from './default-model.js';
import { loadDefaultModelFile, loadNeutrinoModel, NeutrinoModel, parseReleaseEffectiveArea, parseReleaseEvents, validateModelFile } from './model.js';
import { Rng } from './numeric.js';

const window = { deltaOmegaDeg: 2.5, deltaLog10E: 0.3 };

describe('neutrino model', () => {
  it('the shipped default model is exactly what default-model.ts builds', () => {
    expect(JSON.parse(JSON.stringify(buildDefaultModel()))).toEqual(loadDefaultModelFile());
    expect(loadDefaultModelFile().name).toBe(DEFAULT_MODEL_NAME);
  });
  const model = new NeutrinoModel(loadDefaultModelFile());
  it('signal energy pdfs are normalised per declination band (E^-2 through the effective area)', () => {
    for (const dec of [-70, -20, 0, 30, 75]) {
      let integral = 0;
      for (let x = 1.0005; x < 9; x += 0.001) integral += model.signalEnergyPdf(dec, x) * 0.001;
      expect(integral).toBeCloseTo(1, 2);
    }
    expect(model.signalEnergyPdf(10, 0.5)).toBe(0);
  });
  it('the count factor averages to 1 over the sky', () => {
    let sum = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) sum += model.countFactorAt((Math.asin(-1 + (2 * (i + 0.5)) / n) * 180) / Math.PI);
    expect(sum / n).toBeCloseTo(1, 2);
  });
  it('background density integrates to 1 and is positive everywhere', () => {
    let integral = 0;
    for (let s = -0.995; s < 1; s += 0.01) {
      for (let x = 1.025; x < 9; x += 0.05) {
        const d = model.backgroundDensity((Math.asin(s) * 180) / Math.PI, x, { deltaOmegaDeg: 0.01, deltaLog10E: 0.001 });
        expect(d).toBeGreaterThan(0);
        integral += d * 2 * Math.PI * 0.01 * 0.05;
      }
    }
    expect(integral).toBeCloseTo(1, 1);
  });
  it('background samples follow the background density', () => {
    const rng = new Rng(3);
    let north = 0;
    let minSigma = Infinity;
    let raRange = [Infinity, -Infinity];
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const s = model.sampleBackground(rng);
      if (s.dec > -5) north++;
      minSigma = Math.min(minSigma, s.sigma);
      raRange = [Math.min(raRange[0]!, s.ra), Math.max(raRange[1]!, s.ra)];
    }
    expect(north / n).toBeCloseTo(0.55, 1);
    expect(minSigma).toBeGreaterThanOrEqual(0.2);
    expect(raRange[0]).toBeGreaterThanOrEqual(0);
    expect(raRange[1]).toBeLessThan(360);
  });
  it('rejects malformed model files', () => {
    expect(() => validateModelFile({ format: 'x' }, 'm.json')).toThrow(/m\.json: not a llama neutrino model/);
    const bad = { ...buildDefaultModel(), effectiveArea: { decEdgesDeg: [0, 1], log10EnergyEdges: [1, 2], values: [[1, 2]] } };
    expect(() => validateModelFile(bad, 'm.json')).toThrow(/effectiveArea: values must be 1 × 1/);
  });
});

describe('IceCube public data release tables', () => {
  const aeffText = [
    '# log10(E_nu/GeV)_min log10(E_nu/GeV)_max Dec_nu_min[deg] Dec_nu_max[deg] A_Eff[cm^2]',
    ...[-90, 0].flatMap((d) => [2, 3, 4, 5, 6, 7, 8].map((e) => `${e} ${e + 1} ${d} ${d + 90} ${(10 ** (e - 3)).toExponential(3)}`)),
  ].join('\n');
  it('parses an effective-area file', () => {
    const t = parseReleaseEffectiveArea(aeffText, 'a.csv');
    expect(t.decEdgesDeg).toEqual([-90, 0, 90]);
    expect(t.log10EnergyEdges).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    expect(t.values[1]?.[3]).toBeCloseTo(100, 6);
    expect(() => parseReleaseEffectiveArea('1 2 3\n', 'a.csv')).toThrow(/a\.csv: line 1: expected 5 numbers/);
  });
  it('histograms an events file into counts and σ', () => {
    const lines = ['# MJD[days] log10(E/GeV) AngErr[deg] RA[deg] Dec[deg] Azimuth[deg] Zenith[deg]'];
    for (let i = 0; i < 500; i++) lines.push(`58000.${i} ${(2.5 + (i % 20) * 0.1).toFixed(2)} ${(0.3 + (i % 7) * 0.2).toFixed(2)} ${(i * 7) % 360} ${(i % 170) - 85} 10 20`);
    const r = parseReleaseEvents(lines.join('\n'), 'e.csv');
    expect(r.events).toBe(500);
    expect(r.background.kind).toBe('counts');
    expect(r.background.values.flat().reduce((a, b) => a + b, 0)).toBe(500);
  });
  it('loads them through the environment and names them in the model', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'llama-model-'));
    await writeFile(join(dir, 'aeff.csv'), aeffText);
    const m = await loadNeutrinoModel({ LLAMA_ICECUBE_AEFF_TABLE: join(dir, 'aeff.csv') });
    expect(m.name).toMatch(/effective area from .*aeff\.csv/);
    expect(m.name).toMatch(new RegExp(`background from ${DEFAULT_MODEL_NAME}`));
    const model = new NeutrinoModel(m);
    expect(model.countFactorAt(45) / model.countFactorAt(-45)).toBeCloseTo(1, 6);
    expect(model.backgroundDensity(10, 4, window)).toBeGreaterThan(0);
    await expect(loadNeutrinoModel({ LLAMA_ICECUBE_BACKGROUND_EVENTS: join(dir, 'missing.csv') })).rejects.toThrow(/missing\.csv \(from LLAMA_ICECUBE_BACKGROUND_EVENTS\): cannot read/);
    expect(await loadNeutrinoModel({})).toBe(loadDefaultModelFile());
  });
});
