import { describe, expect, it } from 'vitest';
import { loadDefaultModelFile, NeutrinoModel } from './model.js';
import { expint1 } from './numeric.js';
import { computeOdds, energyMarginals, PreparedSkymap, psfDensity, psfIntegral, timeTerm, type SignificanceNeutrino } from './odds.js';
import { searchParameters } from './parameters.js';
import { fisherMixtureSkymap } from './synthetic.js';
import type { Skymap } from '../skymap/types.js';

const model = new NeutrinoModel(loadDefaultModelFile());
const params = searchParameters('bns', 'H1,L1,V1');

function uniformMap(order: number): Skymap {
  const n = 12 * 4 ** order;
  return {
    order: new Uint8Array(n).fill(order),
    ipix: Float64Array.from({ length: n }, (_, i) => i),
    probDensity: new Float64Array(n).fill(1 / (4 * Math.PI)),
    meta: { maxOrder: order, ordering: 'NESTED', header: {} },
  };
}

const blobMap = (sigmaDeg: number, ra = 120, dec = 20): Skymap =>
  fisherMixtureSkymap([{ ra, dec, sigmaDeg, weight: 1 }], { maxOrder: 9, minOrder: 3, refineMass: 1e-4, distMu: 120, distSigma: 30 });

const odds = (prep: PreparedSkymap, n: SignificanceNeutrino): number => computeOdds(prep, [n], { terrestrialOdds: 0 }).neutrinos[0]!.odds_ratio;

describe('numerical pieces', () => {
  it('E1 matches tabulated values', () => {
    expect(expint1(0.1)).toBeCloseTo(1.822923958, 8);
    expect(expint1(1)).toBeCloseTo(0.2193839344, 9);
    expect(expint1(5)).toBeCloseTo(0.001148295591, 11);
  });
  it('energy marginals match direct quadrature over log E', () => {
    const k = 3.7;
    const [lo, hi] = [1e-6, 0.1];
    const steps = 20000;
    const sums = [0, 0, 0];
    for (let i = 0; i < steps; i++) {
      const e = lo * (hi / lo) ** ((i + 0.5) / steps);
      const n = k * e;
      sums[0]! += Math.exp(-n) / steps;
      sums[1]! += n * Math.exp(-n) / steps;
      sums[2]! += ((n * n) / 2) * Math.exp(-n) / steps;
    }
    energyMarginals(k, lo, hi).forEach((v, i) => expect(v).toBeCloseTo(sums[i]!, 6));
  });
  it('time term is the triangle of two ±250 s windows', () => {
    expect(timeTerm(0, params)).toBeCloseTo(1 / 500, 12);
    expect(timeTerm(250, params)).toBeCloseTo(0.5 / 500, 12);
    expect(timeTerm(-250, params)).toBeCloseTo(0.5 / 500, 12);
    expect(timeTerm(500, params)).toBe(0);
    expect(timeTerm(-700, params)).toBe(0);
  });
});

describe('analytic checks', () => {
  it('the PSF integral over a fine all-sky map is 1', () => {
    const prep = new PreparedSkymap(uniformMap(8), params, model);
    for (const [ra, dec, sigma] of [[10, 0, 0.2], [100.3, 20.1, 1], [33, 60, 5]] as const) {
      expect(psfIntegral(prep, ra, dec, sigma)).toBeCloseTo(1, 4);
    }
    // Near the poles HEALPix centres are not centroids: the midpoint sum is O((pixel/σ)²) off.
    expect(Math.abs(psfIntegral(prep, 250, -89.5, 2) - 1)).toBeLessThan(1e-3);
  });
  it('the PSF integral is 1 on a multi-order map too (coarse pixels are split)', () => {
    const prep = new PreparedSkymap(blobMap(3), params, model);
    for (const [ra, dec, sigma] of [[120, 20, 0.2], [300, -40, 0.3], [200, 70, 1]] as const) {
      expect(psfIntegral(prep, ra, dec, sigma)).toBeCloseTo(1, 5);
    }
    // Where pixel orders change under the PSF, HEALPix centres are not centroids and the
    // midpoint sum is off by O((pixel/σ)²) ≈ 1e-3 (here order 8/9 pixels under σ = 0.5°).
    expect(Math.abs(psfIntegral(prep, 125, 24, 0.5) - 1)).toBeLessThan(2e-3);
  });
  it('signal term at the centre of a narrow von Mises–Fisher map matches the closed form', () => {
    // GW map: vMF of width s (κ1 = 1/s²) at (ra, dec), distance fixed at 100 Mpc; neutrino at
    // the centre with width σ (κ2). ∫ vMF₁ vMF₂ dΩ = C(κ1) C(κ2) 4π sinh(κ1+κ2)/(κ1+κ2),
    // C(κ) = κ/(4π sinh κ). Dec 31° keeps the whole PSF in one effective-area band (30°–32°).
    const s = (0.1 * Math.PI) / 180;
    const sigmaDeg = 0.15;
    const sg = (sigmaDeg * Math.PI) / 180;
    const k1 = 1 / (s * s);
    const k2 = 1 / (sg * sg);
    const logSinh = (x: number): number => x + Math.log1p(-Math.exp(-2 * x)) - Math.LN2;
    const logC = (k: number): number => Math.log(k / (4 * Math.PI)) - logSinh(k);
    const overlap = Math.exp(logC(k1) + logC(k2) + Math.log(4 * Math.PI) + logSinh(k1 + k2) - Math.log(k1 + k2));
    const sky = fisherMixtureSkymap([{ ra: 77, dec: 31, sigmaDeg: 0.1, weight: 1 }], { maxOrder: 12, minOrder: 3, refineMass: 1e-5, distMu: 100, distSigma: 0.01 });
    const prep = new PreparedSkymap(sky, params, model);
    const energy = 1e5;
    const dt = 50;
    const result = computeOdds(prep, [{ ra: 77, dec: 31, sigma: sigmaDeg, energy, dt }], { terrestrialOdds: 0 }).neutrinos[0]!;
    const g = model.countFactorAt(31);
    const [, m1] = energyMarginals(params.nu_51_100 * g, params.enumin, params.enumax);
    const ps = model.signalEnergyPdf(31, Math.log10(energy));
    const b = model.backgroundDensity(31, Math.log10(energy), { deltaOmegaDeg: params.deltaomega, deltaLog10E: params.deltae });
    const expected = (overlap * m1 * ps * timeTerm(dt, params)) / (params.ratebgnu * b) / params.fb;
    expect(overlap / (1 / (2 * Math.PI * (s * s + sg * sg)))).toBeCloseTo(1, 4);
    expect(result.p_h_s1 / expected).toBeCloseTo(1, 2);
  });
});

describe('properties (the 3.5.1 review scenarios)', () => {
  const prep = new PreparedSkymap(blobMap(4), params, model);
  const base: SignificanceNeutrino = { ra: 120, dec: 20, sigma: 0.6, energy: 5e4, dt: 0 };
  it('odds grow as the neutrino moves to the skymap peak', () => {
    const values = [12, 8, 5, 3, 1, 0].map((off) => odds(prep, { ...base, ra: 120 + off / Math.cos((20 * Math.PI) / 180) }));
    values.slice(1).forEach((v, i) => expect(v).toBeGreaterThan(values[i]!));
  });
  it('odds grow as |dt| shrinks', () => {
    const values = [490, 400, 250, 100, 10].map((dt) => odds(prep, { ...base, dt }));
    values.slice(1).forEach((v, i) => expect(v).toBeGreaterThan(values[i]!));
    expect(odds(prep, { ...base, dt: -100 })).toBeCloseTo(odds(prep, { ...base, dt: 100 }), 12);
    expect(odds(prep, { ...base, dt: 600 })).toBe(0);
  });
  it('odds grow as the skymap tightens', () => {
    const values = [20, 10, 5, 2, 1].map((w) => odds(new PreparedSkymap(blobMap(w), params, model), base));
    values.slice(1).forEach((v, i) => expect(v).toBeGreaterThan(values[i]!));
  });
  it('odds grow as sigma shrinks (neutrino at the peak)', () => {
    const values = [5, 3, 1.5, 0.8, 0.4, 0.2].map((sigma) => odds(prep, { ...base, sigma }));
    values.slice(1).forEach((v, i) => expect(v).toBeGreaterThan(values[i]!));
  });
  it('no term is NaN or negative, for any direction, energy, σ or dt', () => {
    let seed = 7;
    const rand = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const neutrinos: SignificanceNeutrino[] = Array.from({ length: 40 }, () => ({
      ra: 360 * rand(), dec: Math.asin(2 * rand() - 1) * 57.29578, sigma: 0.2 + 10 * rand() ** 3,
      energy: 10 ** (0.5 + 9 * rand()), dt: 1200 * (rand() - 0.5),
    }));
    neutrinos.push({ ...base }, { ...base, ra: base.ra + 0.1 });
    const r = computeOdds(prep, neutrinos, { terrestrialOdds: 0.3 });
    for (const t of r.neutrinos) {
      for (const v of [t.odds_ratio, t.p_h_s1, t.p_h_s2, t.p_h_0, t.p_h_c, t.dump.background_density_per_sr_per_log10e]) {
        expect(Number.isFinite(v)).toBe(true);
        expect(v).toBeGreaterThanOrEqual(0);
      }
    }
    expect(r.neutrinos.at(-1)!.p_h_s2).toBeGreaterThan(0);
    expect(r.combinedOdds).toBeGreaterThan(0);
    expect(r.p_h_c).toBeGreaterThan(1 - 1 / params.fb);
    expect(r.p_h_c).toBeLessThanOrEqual(1);
  });
  it('a terrestrial GW lowers the odds; a distant source lowers them too', () => {
    const a = computeOdds(prep, [base], { terrestrialOdds: 0 }).neutrinos[0]!.odds_ratio;
    const b = computeOdds(prep, [base], { terrestrialOdds: 2 }).neutrinos[0]!.odds_ratio;
    expect(b).toBeLessThan(a);
    const far = fisherMixtureSkymap([{ ra: 120, dec: 20, sigmaDeg: 4, weight: 1 }], { maxOrder: 9, minOrder: 3, refineMass: 1e-4, distMu: 900, distSigma: 200 });
    expect(odds(new PreparedSkymap(far, params, model), base)).toBeLessThan(a);
  });
  it('uses the distance prior up to the horizon where the map has no distance', () => {
    const noDist = fisherMixtureSkymap([{ ra: 120, dec: 20, sigmaDeg: 4, weight: 1 }], { maxOrder: 9, minOrder: 3, refineMass: 1e-4 });
    const bns = odds(new PreparedSkymap(noDist, params, model), base);
    const bbh = odds(new PreparedSkymap(noDist, searchParameters('bbh', 'H1,L1,V1'), model), base);
    expect(bns).toBeGreaterThan(0);
    expect(bbh).toBeLessThan(bns);
  });
  it('psf density integrates like a normalised vMF', () => {
    expect(psfDensity(1 / 0.01 ** 2, 1)).toBeCloseTo(1 / (2 * Math.PI * 0.01 ** 2), -2);
  });
});
