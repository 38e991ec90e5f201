import { describe, expect, it } from 'vitest';
import type { Skymap } from '../skymap/types.js';
import { aeffByBin, SkySums } from './sky.js';
import { fisherMixtureSkymap } from './synthetic.js';

/**
 * SkySums takes a shortcut for flat NESTED maps (no sorted copies; the node table from the
 * densities in one pass). It must give the very same bits as the general path, which a flat map
 * stored in another pixel order takes (it is sorted back into the same order, so every sum adds
 * the same terms in the same order).
 */
describe('flat NESTED maps: shortcut = general path, bit for bit', () => {
  const flat = fisherMixtureSkymap([{ ra: 40, dec: 10, sigmaDeg: 6, weight: 1 }, { ra: 60, dec: 70, sigmaDeg: 4, weight: 0.5 }], { maxOrder: 6 });
  const n = flat.probDensity.length;
  const reversed: Skymap = {
    order: Uint8Array.from(flat.order).reverse(),
    ipix: Float64Array.from(flat.ipix).reverse(),
    probDensity: Float64Array.from(flat.probDensity).reverse(),
    meta: flat.meta,
  };
  // A reader's flag: `order` and `ipix` must then not be touched at all.
  const flagged: Skymap = {
    get order(): Uint8Array {
      throw new Error('order read despite flatNested');
    },
    get ipix(): Float64Array {
      throw new Error('ipix read despite flatNested');
    },
    probDensity: flat.probDensity,
    meta: flat.meta,
    flatNested: true,
  };
  const sums = [new SkySums(flat), new SkySums(flagged), new SkySums(reversed)];
  const sources = [
    { ra: 42, dec: 12, sigma: 1.5, aeff: aeffByBin(3e3) },
    { ra: 58, dec: 72, sigma: 0.6, aeff: aeffByBin(2e4) },
    { ra: 200, dec: -50, sigma: 3, aeff: aeffByBin(500) },
    { ra: 41, dec: 10.5, sigma: 0.2, aeff: aeffByBin(8e4) },
  ];

  it('is a whole flat map', () => {
    expect(n).toBe(12 * 4 ** 6);
    expect(flat.ipix[n - 1]).toBe(n - 1);
  });

  it('same total probability', () => {
    expect(sums[1]!.totalProbability).toBe(sums[0]!.totalProbability);
    expect(sums[2]!.totalProbability).toBe(sums[0]!.totalProbability);
    expect(Math.abs(sums[0]!.totalProbability - 1)).toBeLessThan(1e-6);
  });

  for (const s of sources) {
    it(`single and all-sky sums at (${s.ra}, ${s.dec}) σ ${s.sigma}°`, () => {
      const [a, b, c] = sums.map((sky) => sky.single(s, true));
      expect(a!.weighted).toBeGreaterThan(0);
      expect(b).toEqual(a);
      expect(c).toEqual(a);
      const leaves = sums.map((sky) => (sky.single(s), sky.leaves));
      expect(new Set(leaves).size).toBe(1);
    });
  }

  it('pair sums', () => {
    const [a, b, c] = sums.map((sky) => sky.pair(sources[0]!, sources[3]!));
    expect(a).toBeGreaterThan(0);
    expect(b).toBe(a);
    expect(c).toBe(a);
  });
});
