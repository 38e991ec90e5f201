import { describe, expect, it } from 'vitest';
import { orderToNpix, pix2ang } from '../healpix/index.js';
import { PreparedBackground, primaryDensity, secondaryDensity } from './density.js';
import { Rng } from './numeric.js';
import { cleanOdds, computeOpaOdds, integralOne, integralTwo, METHOD_PAIRFIX, type GwTerms, type OpaNeutrino } from './odds.js';
import { r0, searchParameters } from './parameters.js';
import { backgroundSampleFromArrays } from './samples.js';
import { aeff, psfGaussian, SkySums } from './sky.js';
import { fisherMixtureSkymap } from './synthetic.js';
import { ANGLE_LIST } from './tables-351.js';

const p = searchParameters('bns', 'H1,L1,V1');
const rel = (a: number, b: number): number => Math.abs(a / b - 1);
const R2D = 180 / Math.PI;

function randomSample(seed: number, n: number) {
  const rng = new Rng(seed);
  const zen: number[] = [];
  const en: number[] = [];
  for (let i = 0; i < n; i++) {
    zen.push(Math.acos(2 * rng.uniform() - 1) * R2D);
    en.push(10 ** (2 + 4 * rng.uniform()));
  }
  return new PreparedBackground(backgroundSampleFromArrays(zen, en, 'test-sample'));
}

const background = randomSample(7, 20000);
const ORDER = 5;
const map = fisherMixtureSkymap([{ ra: 150, dec: 20, sigmaDeg: 8, weight: 1 }], { maxOrder: ORDER });
const sky = new SkySums(map);
const gw: GwTerms = { tgw: 1e9, rho: 12, dist: 150, cwb: false };

/** 3.5.1's sky sums written plainly over every pixel (trig dot product, as healpix/utils.py). */
function skySum(nus: { ra: number; dec: number; sigma: number; energy: number }[]): number {
  const area = (4 * Math.PI) / orderToNpix(ORDER);
  let sum = 0;
  for (let k = 0; k < orderToNpix(ORDER); k++) {
    const [theta, phi] = pix2ang(ORDER, k);
    const ra = phi * R2D;
    const dec = 90 - theta * R2D;
    let term = map.probDensity[k]! * area;
    for (const n of nus) {
      const psi = Math.acos(Math.sin(dec / R2D) * Math.sin(n.dec / R2D) + Math.cos(dec / R2D) * Math.cos(n.dec / R2D) * Math.cos(ra / R2D - n.ra / R2D)) * R2D;
      term *= aeff(n.energy, 90 + dec) * psfGaussian(psi, n.sigma);
    }
    sum += term;
  }
  return sum;
}

/** ∫ Pois(m; kE)·PEnu(E) dE by Simpson's rule in ln E (independent of the closed forms). */
function energyQuadrature(k: number, m: 1 | 2): number {
  const a = Math.log(p.enumin);
  const b = Math.log(p.enumax);
  const steps = 20000;
  const h = (b - a) / steps;
  let sum = 0;
  for (let i = 0; i <= steps; i++) {
    const e = Math.exp(a + i * h);
    const lam = k * e;
    const pois = m === 1 ? lam * Math.exp(-lam) : (lam * lam * Math.exp(-lam)) / 2;
    // PEnu(E) dE = dlnE / ln(Emax/Emin)
    sum += (i === 0 || i === steps ? 1 : i % 2 === 1 ? 4 : 2) * pois;
  }
  return (sum * h) / 3 / (b - a);
}

const neutrino = (over: Partial<OpaNeutrino>): OpaNeutrino => ({ gps: gw.tgw + 120, zenith: 110, azimuth: 40, sigma: 1, energy: 5e3, ra: 151, dec: 21, ...over });

describe('3.5.1 OPA odds (opa.py), single neutrino', () => {
  it('closed forms I1, I2 equal the quadrature of Pois(1), Pois(2) over the log-uniform prior (1e-9)', () => {
    for (const k of [1e-3, 0.5, 11, 300, 5e4]) {
      expect(rel(integralOne(k, p), energyQuadrature(k, 1))).toBeLessThan(1e-9);
      expect(rel(integralTwo(k, p), energyQuadrature(k, 2))).toBeLessThan(1e-9);
    }
  });

  it('equals S·(500−|Δt|)/500²·I1/(fb·R_ν·Pempnu) to 1e-12 (significance-351.md §3, after the cancellations)', () => {
    const nu = neutrino({});
    const r = computeOpaOdds(gw, [nu], sky, background, p).neutrinos[0]!;
    const d = primaryDensity(background, nu.zenith, nu.energy, p.deltaomega, p.deltae);
    const S = skySum([{ ...nu, energy: d.energy }]);
    const k = 11 * ANGLE_LIST[Math.trunc(nu.zenith / 5)]! * (100 / gw.dist) ** 2;
    const I1 = (Math.exp(-k * p.enumin) - Math.exp(-k * p.enumax)) / Math.log(p.enumax / p.enumin);
    const expected = (S * ((500 - 120) / 500 ** 2) * I1) / (p.fb * p.ratebgnu * d.density);
    expect(r.odds_ratio).toBeGreaterThan(0);
    expect(rel(r.odds_ratio, expected)).toBeLessThan(1e-12);
    expect(r.p_h_0).toBe(0);
    expect(r.p_h_s2).toBe(0);
    // The unnormalised terms as 3.5.1 writes them: p_h_c = D²·PEgw((ρD/k0)²)·Pempnu·R_ν·ndotgwnu.
    const pegw = 1 / ((gw.rho * gw.dist / p.k0) ** 2 * Math.log(p.egwmax / p.egwmin));
    expect(rel(r.p_h_c, gw.dist ** 2 * pegw * d.density * p.ratebgnu * p.ndotgwnu)).toBeLessThan(1e-12);
  });

  it('is zero beyond |Δt| = 500 s and the combined odds is the sum', () => {
    const r = computeOpaOdds(gw, [neutrino({ gps: gw.tgw - 501 }), neutrino({ azimuth: 200 })], sky, background, p);
    expect(r.neutrinos[0]!.odds_ratio).toBe(0);
    expect(r.combined).toBe(r.neutrinos[0]!.odds_ratio + r.neutrinos[1]!.odds_ratio);
  });

  it('cWB branch: distance uniform on [0, r0 = 310.06 Mpc], DISTMEAN unused (1e-9 against Simpson in d)', () => {
    expect(r0(p.egwmax, p)).toBeCloseTo(310.05, 1);
    const nu = neutrino({});
    const cwb = computeOpaOdds({ ...gw, cwb: true, dist: 1 }, [nu], sky, background, p).neutrinos[0]!;
    const cwbOtherDist = computeOpaOdds({ ...gw, cwb: true, dist: 5000, rho: 30 }, [nu], sky, background, p).neutrinos[0]!;
    expect(rel(cwbOtherDist.odds_ratio, cwb.odds_ratio)).toBeLessThan(1e-14);
    const d = primaryDensity(background, nu.zenith, nu.energy, p.deltaomega, p.deltae);
    const S = skySum([{ ...nu, energy: d.energy }]);
    const c = 11 * ANGLE_LIST[Math.trunc(nu.zenith / 5)]! * 1e4;
    const R = r0(p.egwmax, p);
    const steps = 200000;
    const h = R / steps;
    let avg = 0;
    for (let i = 1; i <= steps; i++) {
      const dist = i * h;
      const k = c / dist ** 2;
      const v = (Math.exp(-k * p.enumin) - Math.exp(-k * p.enumax)) / Math.log(p.enumax / p.enumin);
      avg += (i === steps ? 1 : i % 2 === 1 ? 4 : 2) * v;
    }
    avg = (avg * h) / 3 / R;
    const expected = (S * ((500 - 120) / 500 ** 2) * avg) / (p.fb * p.ratebgnu * d.density);
    expect(rel(cwb.odds_ratio, expected)).toBeLessThan(1e-9);
  });

  it('non-finite (but not +inf) and negative odds become 0, −0 becomes 0 (opa.py:591-601)', () => {
    expect(cleanOdds(Number.NaN)).toBe(0);
    expect(cleanOdds(-1e-30)).toBe(0);
    expect(Object.is(cleanOdds(-0), 0)).toBe(true);
    expect(cleanOdds(Infinity)).toBe(Infinity);
    expect(cleanOdds(-Infinity)).toBe(0);
    // A missing DISTMEAN (NaN) makes every term NaN; 3.5.1 then reports 0.
    const r = computeOpaOdds({ ...gw, dist: Number.NaN }, [neutrino({})], sky, background, p).neutrinos[0]!;
    expect(Number.isNaN(r.p_h_c)).toBe(true);
    expect(r.odds_ratio).toBe(0);
  });

  it('fails clearly where 3.5.1 raised IndexError (zenith 180°)', () => {
    expect(() => computeOpaOdds(gw, [neutrino({ zenith: 180 })], sky, randomSample(3, 20000), p)).toThrow(/angle_list has no entry 36/);
  });
});

describe('3.5.1 OPA pairs (opa.py:439-479)', () => {
  // Threshold 5(σi + σj) = 5·(1 + 1.2) = 11° in (zenith, azimuth).
  const first = neutrino({ sigma: 1, energy: 5e3 });
  const secondAt = (daz: number): OpaNeutrino => neutrino({ gps: gw.tgw - 60, azimuth: 40 + daz, sigma: 1.2, energy: 2e5, ra: 149, dec: 19.5 });

  it('a pair inside the criterion is credited once, to the first neutrino, with the five2/Pempnu2 term', () => {
    const second = secondAt(10.9);
    const r = computeOpaOdds(gw, [first, second], sky, background, p);
    expect(r.neutrinos[0]!.p_h_s2).toBeGreaterThan(0);
    expect(r.neutrinos[1]!.p_h_s2).toBe(0);
    // Independent: five2 = S2 · t_overlap(max, min)/500² · PEgw·D²·I2(k2), a2 = angle_list[int((θi+θj)/10)].
    const d1 = primaryDensity(background, first.zenith, first.energy, p.deltaomega, p.deltae);
    const d2 = secondaryDensity(background, second.zenith, second.energy, d1, p, true, { value: d1.density });
    const S2 = skySum([{ ...first, energy: d1.energy }, { ...second, energy: d2.energy }]);
    const k2 = 11 * ANGLE_LIST[Math.trunc((first.zenith + second.zenith) / 10)]! * (100 / gw.dist) ** 2;
    const pegw = 1 / ((gw.dist * gw.rho / p.k0) ** 2 * Math.log(p.egwmax / p.egwmin));
    const t = 500 - (120 - -60);
    const five2 = (S2 * t * pegw * gw.dist ** 2 * energyQuadrature(k2, 2)) / 500 ** 2;
    expect(rel(r.neutrinos[0]!.p_h_s2, ((five2 / d2.density) * p.ndotgwnu) / p.fb)).toBeLessThan(1e-8);
  });

  it('a pair just outside the criterion adds nothing', () => {
    const r = computeOpaOdds(gw, [first, secondAt(11.1)], sky, background, p);
    expect(r.neutrinos[0]!.p_h_s2).toBe(0);
    expect(r.neutrinos[1]!.p_h_s2).toBe(0);
  });

  it('loop quirk (default) vs the named fix: the pair term differs by the ratio of the second neutrino\'s densities', () => {
    const second = secondAt(5);
    const quirk = computeOpaOdds(gw, [first, second], sky, background, p);
    const fixed = computeOpaOdds(gw, [first, second], sky, background, p, { method: METHOD_PAIRFIX });
    const d1 = primaryDensity(background, first.zenith, first.energy, p.deltaomega, p.deltae);
    const dq = secondaryDensity(background, second.zenith, second.energy, d1, p, true, { value: d1.density });
    const df = secondaryDensity(background, second.zenith, second.energy, d1, p, false, { value: d1.density });
    // θ_j = 110° > 80° and E_j = 2e5 above the median: the quirk divides ε by 10, then resets it with f = 10^3.7.
    expect(dq.energy).toBe(df.energy);
    expect(rel(dq.energyFactor, 10 ** 3.7)).toBeLessThan(1e-12);
    expect(rel(quirk.neutrinos[0]!.p_h_s2 / fixed.neutrinos[0]!.p_h_s2, df.density / dq.density)).toBeLessThan(1e-12);
    expect(quirk.neutrinos[0]!.p_h_s2 / fixed.neutrinos[0]!.p_h_s2).toBeGreaterThan(1000);
    expect(quirk.neutrinos[0]!.p_h_s1).toBe(fixed.neutrinos[0]!.p_h_s1);
  });
});
