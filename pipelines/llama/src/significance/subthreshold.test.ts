import { describe, expect, it } from 'vitest';
import { orderToNpix, pix2ang } from '../healpix/index.js';
import { PreparedBackground, subthresholdDensities } from './density.js';
import { Rng } from './numeric.js';
import type { GwTerms, OpaNeutrino } from './odds.js';
import { r0, searchParameters } from './parameters.js';
import { backgroundSampleFromArrays } from './samples.js';
import { aeff, psfGaussian, SkySums } from './sky.js';
import { computeSubthresholdOdds, pEmpGw, poissonPmf } from './subthreshold.js';
import { fisherMixtureSkymap } from './synthetic.js';
import { ANGLE_LIST } from './tables-351.js';

const p = searchParameters('bbh', 'H1,L1');
const rel = (a: number, b: number): number => Math.abs(a / b - 1);
const R2D = 180 / Math.PI;

describe('3.5.1 Pempgw (utils.py:117-145)', () => {
  const snrs = [0, 3, 3, 3, 10];
  it('counts ρ\'s bin of the 50-bin histogram over [min, max], per unit SNR', () => {
    expect(rel(pEmpGw(3.1, snrs), 3 / 5 / 10 * 50)).toBeLessThan(1e-15);
  });
  it('an empty bin counts as one event; above the maximum the last bin is used', () => {
    expect(rel(pEmpGw(6.1, snrs), 1 / 5 / 10 * 50)).toBeLessThan(1e-15);
    expect(rel(pEmpGw(20, snrs), 1 / 5 / 10 * 50)).toBeLessThan(1e-15);
  });
});

describe('3.5.1 subthreshold odds (subthreshold.py, significance-351.md §6)', () => {
  const rng = new Rng(11);
  const zen: number[] = [];
  const en: number[] = [];
  for (let i = 0; i < 20000; i++) {
    zen.push(Math.acos(2 * rng.uniform() - 1) * R2D);
    en.push(10 ** (2 + 4 * rng.uniform()));
  }
  const background = new PreparedBackground(backgroundSampleFromArrays(zen, en, 'sub-sample'));
  const ORDER = 5;
  const map = fisherMixtureSkymap([{ ra: 300, dec: -30, sigmaDeg: 10, weight: 1 }], { maxOrder: ORDER });
  const sky = new SkySums(map);
  const gw: GwTerms = { tgw: 2e9, rho: 9, dist: 400, cwb: false };
  const snrs = Array.from({ length: 400 }, (_, i) => 4 + (i % 40) * 0.2);
  const nus: OpaNeutrino[] = [
    { gps: 2e9 + 100, zenith: 60, azimuth: 10, sigma: 1.5, energy: 3e3, ra: 301, dec: -29 },
    { gps: 2e9 - 300, zenith: 120, azimuth: 250, sigma: 0.7, energy: 4e4, ra: 296, dec: -33 },
  ];

  it('matches the formula evaluated plainly (1e-9)', () => {
    const pTerr = 0.3;
    const r = computeSubthresholdOdds(gw, pTerr, nus, sky, background, snrs, p);
    // Independent evaluation of sub.py:451-544.
    const dens = subthresholdDensities(background, nus, p);
    const area = (4 * Math.PI) / orderToNpix(ORDER);
    const R = r0(p.egwmax, p);
    const V0 = (4 / 3) * Math.PI * R ** 3;
    const L = Math.log(p.enumax / p.enumin);
    const I1 = (k: number): number => (Math.exp(-k * p.enumin) - Math.exp(-k * p.enumax)) / L;
    const simpson = (f: (d: number) => number): number => {
      const steps = 200000;
      const h = R / steps;
      let s = 0;
      for (let i = 1; i <= steps; i++) s += (i === steps ? 1 : i % 2 === 1 ? 4 : 2) * f(i * h);
      return (s * h) / 3;
    };
    let five = 0;
    let wogw = 0;
    nus.forEach((n, i) => {
      const a = ANGLE_LIST[Math.trunc(n.zenith / 5)]!;
      let S = 0;
      let AG = 0;
      let G = 0;
      for (let k = 0; k < orderToNpix(ORDER); k++) {
        const [theta, phi] = pix2ang(ORDER, k);
        const ra = phi * R2D;
        const dec = 90 - theta * R2D;
        const psi = Math.acos(Math.sin(dec / R2D) * Math.sin(n.dec / R2D) + Math.cos(dec / R2D) * Math.cos(n.dec / R2D) * Math.cos(ra / R2D - n.ra / R2D)) * R2D;
        const g = psfGaussian(psi, n.sigma);
        const A = aeff(dens[i]!.energy, 90 + dec);
        S += map.probDensity[k]! * area * A * g;
        AG += A * g;
        G += g;
      }
      const t = Math.max(0, 500 - Math.abs(n.gps - gw.tgw));
      five += (t / dens[i]!.density) * I1(11 * a * (100 / gw.dist) ** 2) * S;
      wogw += (1 / dens[i]!.density) * simpson((d) => I1((11 * a * 1e4) / d ** 2) * d ** 2) * (AG / G);
    });
    const pegw = (e: number): number => 1 / (e * Math.log(p.egwmax / p.egwmin));
    const numerator = pegw((gw.dist * gw.rho / p.k0) ** 2) * gw.dist * (p.egwmax - p.egwmin) * p.k0 ** 2 / gw.rho ** 2;
    const lam = p.ratebgnu * 500;
    const pois = (k: number): number => (lam ** k * Math.exp(-lam)) / [1, 1, 2, 6][k]!;
    const pXgwH0 = ((pEmpGw(gw.rho, snrs) * p.ratebggw + (3 * p.rhomin ** 3 / gw.rho ** 4) * V0 * p.ndotgwnu) * pTerr) / (p.ratebggw + V0 * p.ndotgwnu);
    const pHS1 = (five * numerator / 500 ** 2) * p.ndotgwnu * pois(1);
    const pH0 = (pXgwH0 * pois(2)) / V0;
    const pHC = gw.dist * pegw((gw.rho * gw.dist / p.k0) ** 2) * pois(2) * (p.egwmax - p.egwmin) * p.k0 ** 2 / gw.rho ** 2 * p.ndotgwnu + pXgwH0 * wogw * p.ndotgwnu * pois(1);
    expect(r.p_h_s2).toBe(0);
    expect(rel(r.p_h_s1, pHS1)).toBeLessThan(1e-9);
    expect(rel(r.p_h_0, pH0)).toBeLessThan(1e-12);
    expect(rel(r.p_h_c, pHC)).toBeLessThan(1e-9);
    expect(rel(r.odds_ratio, pHS1 / (pHC + pH0))).toBeLessThan(1e-9);
    expect(r.odds_ratio).toBeGreaterThan(0);
  });

  it('poissonPmf', () => {
    expect(rel(poissonPmf(3, 3.2), (3.2 ** 3 * Math.exp(-3.2)) / 6)).toBeLessThan(1e-15);
    expect(poissonPmf(0, 2)).toBe(Math.exp(-2));
  });

  it('no neutrinos: odds 0', () => {
    expect(computeSubthresholdOdds(gw, 0.5, [], sky, background, snrs, p).odds_ratio).toBe(0);
  });
});
