import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { orderToNpix, pixelAreaSr } from '../healpix/index.js';
import {
  argsortDescending,
  credibleAreas,
  credibleLevelAt,
  credibleLevels,
  densitiesAt,
  densityAt,
  distanceMoments,
  flattenToOrder,
  inCredibleRegion,
  maxProbabilityDirection,
  pixelDistanceMoments,
  pixelInCredibleRegion,
  pixelIndexAt,
  pixelProbabilities,
  summarizeSkymap,
  totalProbability,
  _millsRatioForTests,
} from './analysis.js';
import { readSkymapFits } from './read.js';
import type { Skymap } from './types.js';

const fixture = (name: string): string => new URL(`../../test-fixtures/${name}`, import.meta.url).pathname;
interface Reference {
  nside: number;
  ordering: string;
  area50_deg2: number;
  area90_deg2: number;
  distmean_mpc: number;
  diststd_mpc: number;
  max_prob_ra_deg: number;
  max_prob_dec_deg: number;
  probes: { ra: number; dec: number; pixel: number; prob_density_per_sr: number; in_90: boolean }[];
}
const reference = JSON.parse(readFileSync(fixture('reference.json'), 'utf8')) as Record<string, Reference>;
const relative = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

describe.each(Object.keys(reference))('%s agrees with healpy', (name) => {
  const ref = reference[name]!;
  const load = (() => {
    let promise: Promise<Skymap> | undefined;
    return () => (promise ??= readSkymapFits(fixture(name)));
  })();
  // The float32 fixture's reference densities were computed before rounding to float32.
  const densityTolerance = name === 'MS260102b.fits.gz' ? 2 ** -23 : 1e-9;

  it('50% and 90% credible areas within 1%', async () => {
    const [a50, a90] = credibleAreas(await load(), [0.5, 0.9]);
    expect(relative(a50!, ref.area50_deg2)).toBeLessThan(0.01);
    expect(relative(a90!, ref.area90_deg2)).toBeLessThan(0.01);
  });

  it('distance mean and std within 1%, from the per-pixel ansatz', async () => {
    const distance = distanceMoments(await load());
    expect(distance?.source).toBe('ansatz');
    expect(relative(distance!.mean, ref.distmean_mpc)).toBeLessThan(0.01);
    expect(relative(distance!.std, ref.diststd_mpc)).toBeLessThan(0.01);
  });

  it('maximum-probability direction', async () => {
    const direction = maxProbabilityDirection(await load());
    expect(direction.ra).toBeCloseTo(ref.max_prob_ra_deg, 9);
    expect(direction.dec).toBeCloseTo(ref.max_prob_dec_deg, 9);
  });

  it('density and 90% membership at the probes, in the summary too', async () => {
    const skymap = await load();
    const summary = summarizeSkymap(skymap, ref.probes);
    expect(summary.nside).toBe(ref.nside);
    expect(summary.ordering).toBe(ref.ordering);
    ref.probes.forEach((probe, k) => {
      const density = densityAt(skymap, probe.ra, probe.dec);
      if (probe.prob_density_per_sr === 0) expect(density).toBe(0);
      else expect(relative(density, probe.prob_density_per_sr)).toBeLessThanOrEqual(densityTolerance);
      expect(inCredibleRegion(skymap, probe.ra, probe.dec, 0.9)).toBe(probe.in_90);
      expect(densitiesAt(skymap, [probe.ra], [probe.dec])[0]).toBe(density);
      // A direction is in the 90% region when the probability ranked before its pixel is below 0.9.
      const row = pixelIndexAt(skymap, probe.ra, probe.dec);
      const before = credibleLevelAt(skymap, probe.ra, probe.dec) - pixelProbabilities(skymap)[row]! / totalProbability(skymap);
      expect(before < 0.9).toBe(probe.in_90);
      expect(summary.probes[k]).toMatchObject({ pixel: probe.pixel, in90: probe.in_90 });
    });
  });
});

describe('skymap analysis', () => {
  it('argsortDescending orders by value with stable ties, treating NaN and negatives as 0', () => {
    const values = Float64Array.from([0.5, 3, NaN, 3, -1, 1e-300, 2]);
    expect(Array.from(argsortDescending(values))).toEqual([1, 3, 6, 0, 5, 2, 4]);
    const random = Float64Array.from({ length: 5000 }, (_, i) => ((i * 7919) % 1000) / 7);
    const order = argsortDescending(random);
    for (let k = 1; k < order.length; k++) expect(random[order[k - 1]!]!).toBeGreaterThanOrEqual(random[order[k]!]!);
  });

  it('pixel distance moments reproduce the χ3 distribution for μ = 0, σ = 1 and a Gaussian far from 0', () => {
    const [mean, second] = pixelDistanceMoments(0, 1)!;
    expect(mean).toBeCloseTo(2 * Math.sqrt(2 / Math.PI), 12);
    expect(second).toBeCloseTo(3, 12);
    // μ ≫ σ: r²·N(μ, σ) has mean μ + 2σ²/μ to first order.
    const [farMean] = pixelDistanceMoments(1000, 10)!;
    expect(farMean).toBeCloseTo(1000 + 0.2, 2);
    // μ ≪ 0: r ~ Gamma(3, σ²/|μ|): mean 3σ²/|μ|, computed without cancellation or underflow.
    const [negMean, negSecond] = pixelDistanceMoments(-300, 10)!;
    expect(relative(negMean, 3 * 100 / 300)).toBeLessThan(0.02);
    expect(relative(negSecond, 12 * (100 / 300) ** 2)).toBeLessThan(0.05);
    expect(pixelDistanceMoments(Infinity, 1)).toBeUndefined();
    expect(pixelDistanceMoments(10, 0)).toBeUndefined();
  });

  it('the tabulated Mills ratio Φ(a)/φ(a) matches the direct erfc evaluation to 1e-12', () => {
    for (let a = -36; a <= 36; a += 0.0173) {
      const exact = _millsRatioForTests.exact(a);
      expect(relative(_millsRatioForTests.table(a), exact)).toBeLessThan(1e-12);
    }
    // Known values: Φ(0)/φ(0) = √(π/2); Φ(1) = 0.8413447460685429.
    expect(_millsRatioForTests.table(0)).toBeCloseTo(Math.sqrt(Math.PI / 2), 14);
    expect(relative(_millsRatioForTests.table(1) * Math.exp(-0.5) / Math.sqrt(2 * Math.PI), 0.8413447460685429)).toBeLessThan(1e-14);
  });

  it('binned credible areas and one-pass membership equal the full-sort walk', async () => {
    const skymap = await readSkymapFits(fixture('MS260101a.fits'));
    const probability = pixelProbabilities(skymap);
    const total = totalProbability(skymap);
    const sampled = [17820, 109965, 183149, 0, 5000, 70000];
    const beforeCache = sampled.map((i) => pixelInCredibleRegion(skymap, i, 0.9));
    const levels = credibleLevels(skymap);
    const pixelArea = (4 * Math.PI) / skymap.probDensity.length * (180 / Math.PI) ** 2;
    const [a50, a90] = credibleAreas(skymap, [0.5, 0.9]);
    [a50!, a90!].forEach((area, k) => {
      const level = [0.5, 0.9][k]!;
      let count = 0;
      for (let i = 0; i < levels.length; i++) if (levels[i]! - probability[i]! / total < level) count++;
      expect(area).toBeCloseTo(count * pixelArea, 9);
    });
    expect(sampled.map((i) => pixelInCredibleRegion(skymap, i, 0.9))).toEqual(beforeCache);
    expect(beforeCache.slice(0, 3)).toEqual([true, true, false]);
  });

  it('flattening a multi-order map keeps probability, areas and densities', async () => {
    const skymap = await readSkymapFits(fixture('MS260103c.multiorder.fits'));
    const flat = flattenToOrder(skymap);
    expect(flat.probDensity.length).toBe(orderToNpix(8));
    let total = 0;
    for (const d of flat.probDensity) total += d * pixelAreaSr(8);
    expect(total).toBeCloseTo(1, 9);
    const [native90] = credibleAreas(skymap, [0.9]);
    const [flat90] = credibleAreas(flat, [0.9]);
    expect(relative(native90!, flat90!)).toBeLessThan(1e-9);
    expect(densityAt(flat, 270.2, 64.9)).toBe(densityAt(skymap, 270.2, 64.9));
    expect(relative(distanceMoments(flat)!.mean, distanceMoments(skymap)!.mean)).toBeLessThan(1e-9);
    const coarse = flattenToOrder(skymap, 3);
    let coarseTotal = 0;
    for (const d of coarse.probDensity) coarseTotal += d * pixelAreaSr(3);
    expect(coarseTotal).toBeCloseTo(1, 9);
    expect(coarse.distMu).toBeUndefined();
  });

  it('credible levels rise with decreasing density and reach 1; header distances are the fallback', async () => {
    const skymap = await readSkymapFits(fixture('MS260101a.fits'));
    const levels = credibleLevels(skymap);
    let maxLevel = 0;
    let densest = 0;
    for (let i = 0; i < levels.length; i++) {
      maxLevel = Math.max(maxLevel, levels[i]!);
      if (skymap.probDensity[i]! > skymap.probDensity[densest]!) densest = i;
    }
    expect(maxLevel).toBeCloseTo(1, 12);
    expect(levels.every((l) => l >= levels[densest]!)).toBe(true);
    const { distMu: _mu, distSigma: _sigma, distNorm: _norm, ...withoutDistances } = skymap;
    expect(distanceMoments(withoutDistances)).toEqual({ mean: skymap.meta.distMean, std: skymap.meta.distStd, source: 'header' });
    expect(() => credibleAreas(skymap, [1.5])).toThrow(/credible level/);
  });
});
