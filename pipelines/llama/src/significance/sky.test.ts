import { describe, expect, it } from 'vitest';
import { orderToNpix, pix2ang } from '../healpix/index.js';
import type { Skymap } from '../skymap/types.js';
import { aeff, aeffByBin, maxPixrad, psfGaussian, SkySums } from './sky.js';
import { fisherMixtureSkymap } from './synthetic.js';
import { AEFF_TABLE } from './tables-351.js';

/** The multi-order map rasterised to its finest order, as ligo.skymap read_sky_map(nest=None) does. */
function rasterise(map: Skymap): Skymap {
  const max = map.meta.maxOrder;
  const n = orderToNpix(max);
  const density = new Float64Array(n);
  for (let i = 0; i < map.order.length; i++) {
    const span = 4 ** (max - map.order[i]!);
    density.fill(map.probDensity[i]!, map.ipix[i]! * span, (map.ipix[i]! + 1) * span);
  }
  return { order: new Uint8Array(n).fill(max), ipix: Float64Array.from({ length: n }, (_, i) => i), probDensity: density, meta: { ...map.meta, ordering: 'NESTED' } };
}

const R2D = 180 / Math.PI;

/** 3.5.1's sums written as its numpy code: every pixel of the flat map, trig dot product, no cut-off. */
function bruteForce(flat: Skymap, ra: number, dec: number, sigma: number, energy: number, other?: { ra: number; dec: number; sigma: number; energy: number }) {
  const order = flat.meta.maxOrder;
  const area = (4 * Math.PI) / orderToNpix(order);
  let weighted = 0;
  let ag = 0;
  let g = 0;
  let pair = 0;
  const dangle = (r: number, d: number, mr: number, md: number): number =>
    Math.acos(Math.sin(md / R2D) * Math.sin(d / R2D) + Math.cos(md / R2D) * Math.cos(d / R2D) * Math.cos(mr / R2D - r / R2D)) * R2D;
  for (let p = 0; p < orderToNpix(order); p++) {
    const [theta, phi] = pix2ang(order, p);
    const mapRa = phi * R2D;
    const mapDec = 90 - theta * R2D;
    const P = flat.probDensity[p]! * area;
    const A = aeff(energy, 90 + mapDec);
    const G = psfGaussian(dangle(ra, dec, mapRa, mapDec), sigma);
    weighted += P * A * G;
    ag += A * G;
    g += G;
    if (other !== undefined) pair += P * A * aeff(other.energy, 90 + mapDec) * G * psfGaussian(dangle(other.ra, other.dec, mapRa, mapDec), other.sigma);
  }
  return { weighted, ag, g, pair };
}

const rel = (a: number, b: number): number => Math.abs(a / b - 1);

describe('3.5.1 Aeff table and PSF', () => {
  it('Aeff picks the first band with log10 e < u/2 and the 10° zenith bin (utils.py:450-467)', () => {
    const [f, x] = AEFF_TABLE['6']!;
    // log10(3e3) = 3.477 < 3.5 → u = 7, table[6]; θ = 123° → bin 12.
    const expected = 10 ** (f[12]! + (Math.log10(3e3) - 3.5 + 0.5) * 2 * x[12]!);
    expect(rel(aeff(3e3, 123), expected)).toBeLessThan(1e-15);
    expect(aeff(2e8, 100)).toBe(1e-15);
    expect(aeffByBin(1e3)).toHaveLength(19);
  });

  it('flat Gaussian PSF in sr⁻¹ (healpix/skymap.py:20-53)', () => {
    expect(rel(psfGaussian(1, 1), (Math.exp(-0.5) / (2 * Math.PI)) * (180 / Math.PI) ** 2)).toBeLessThan(1e-15);
  });

  it('max_pixrad bounds the centre-to-corner distance', () => {
    expect(maxPixrad(0) * R2D).toBeCloseTo(Math.acos(2 / 3) * R2D, 10);
  });
});

describe('sky sums at the finest order\'s pixel centres', () => {
  const multi = fisherMixtureSkymap([{ ra: 40, dec: 10, sigmaDeg: 6, weight: 1 }, { ra: 60, dec: 70, sigmaDeg: 4, weight: 0.5 }], { maxOrder: 6, minOrder: 2, refineMass: 3e-4 });
  const flat = rasterise(multi);
  const skyMulti = new SkySums(multi);
  const skyFlat = new SkySums(flat);
  const cases = [
    { ra: 42, dec: 12, sigma: 1.5, energy: 3e3 },
    { ra: 58, dec: 72, sigma: 0.6, energy: 2e4 },
    { ra: 200, dec: -50, sigma: 3, energy: 500 },
  ];

  it('the multi-order map is multi-order and the flat one is not', () => {
    expect(new Set(multi.order).size).toBeGreaterThan(2);
    expect(multi.order.length).toBeLessThan(flat.order.length / 4);
  });

  for (const c of cases) {
    it(`neutrino at (${c.ra}, ${c.dec}) σ ${c.sigma}°: multi-order = rasterised = brute force to 1e-12`, () => {
      const source = { ra: c.ra, dec: c.dec, sigma: c.sigma, aeff: aeffByBin(c.energy) };
      const m = skyMulti.single(source, true);
      const f = skyFlat.single(source, true);
      const b = bruteForce(flat, c.ra, c.dec, c.sigma, c.energy);
      expect(b.weighted).toBeGreaterThan(0);
      expect(rel(m.weighted, f.weighted)).toBeLessThan(1e-12);
      expect(rel(f.weighted, b.weighted)).toBeLessThan(1e-12);
      expect(rel(m.allSkyAG, b.ag)).toBeLessThan(1e-12);
      expect(rel(m.allSkyG, b.g)).toBeLessThan(1e-12);
    });
  }

  it('pair sum: multi-order = brute force to 1e-12', () => {
    const [a, b] = [cases[0]!, { ra: 41, dec: 10.5, sigma: 2, energy: 800 }];
    const s = skyMulti.pair({ ra: a.ra, dec: a.dec, sigma: a.sigma, aeff: aeffByBin(a.energy) }, { ra: b.ra, dec: b.dec, sigma: b.sigma, aeff: aeffByBin(b.energy) });
    const ref = bruteForce(flat, a.ra, a.dec, a.sigma, a.energy, b).pair;
    expect(ref).toBeGreaterThan(0);
    expect(rel(s, ref)).toBeLessThan(1e-12);
  });

  it('visits far fewer pixel centres than the rasterised map holds for a narrow PSF', () => {
    skyMulti.single({ ra: 42, dec: 12, sigma: 0.5, aeff: aeffByBin(1e3) });
    expect(skyMulti.leaves).toBeLessThan(orderToNpix(6) / 10);
  });
});
