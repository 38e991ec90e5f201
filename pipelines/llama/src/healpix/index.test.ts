import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ang2pix,
  ang2pixRadec,
  nest2ring,
  nestToRingTable,
  orderIpixToUniq,
  orderToNpix,
  pix2ang,
  pix2vec,
  pixelAreaDeg2,
  queryDiscCentres,
  radecToThetaPhi,
  ring2nest,
  thetaPhiToRadec,
  uniqToOrderIpix,
  vec2pix,
} from './index.js';

/** [order, nest, ring, theta, phi] computed by healpy 1.16 (hp.nest2ring, hp.pix2ang(nest=True)). */
const HEALPY: [number, number, number, number, number][] = [
  [0, 5, 5, 1.5707963267948966, 1.5707963267948966],
  [0, 8, 8, 2.300523983021863, 0.7853981633974483],
  [0, 11, 11, 2.300523983021863, 5.497787143782138],
  [1, 0, 13, 1.2309594173407747, 0.7853981633974483],
  [1, 1, 5, 0.8410686705679303, 1.1780972450961724],
  [1, 15, 3, 0.4111378623223478, 5.497787143782138],
  [1, 16, 28, 1.9106332362490186, 0.0],
  [3, 281, 369, 1.5707963267948966, 0.2945243112740431],
  [3, 390, 512, 1.9106332362490186, 3.2397674240144743],
  [3, 508, 232, 1.141020895490369, 4.71238898038469],
  [3, 583, 716, 2.625576266234473, 2.670353755551324],
  [8, 21758, 132847, 0.8480347378955981, 1.4695535947944443],
  [8, 176485, 100411, 0.7305737448965524, 3.558835427894688],
  [8, 575956, 582267, 2.073470732783362, 0.7547185476397354],
  [8, 691090, 701580, 2.4721366152168467, 3.2979097637805475],
  [10, 188317, 3463582, 1.1049056271659832, 0.6358350365785983],
  [10, 745431, 1009818, 0.5748034039664444, 0.4385415905327524],
  [10, 8790268, 11099074, 2.440814104895275, 0.9605392172561127],
  [13, 121930838, 59534382, 0.5507331928302062, 2.7127618015441555],
  [13, 602957303, 460935225, 1.7160822945943526, 0.7963277765111334],
  [13, 776094449, 718985327, 2.474457735991193, 5.2358682128835365],
  [20, 4429457428799, 9675623981032, 2.056301365900689, 0.13495435665922034],
  [20, 8701467426185, 4161975194115, 1.1927367855249678, 4.473860210966868],
  [20, 12359594413590, 11483778823678, 2.404966238538694, 5.529086376573009],
];

interface Probe { ra: number; dec: number; pixel: number }
interface Reference { nside: number; ordering: string; probes: Probe[] }
const reference = JSON.parse(
  readFileSync(new URL('../../test-fixtures/reference.json', import.meta.url), 'utf8'),
) as Record<string, Reference>;

describe('HEALPix against healpy', () => {
  it.each(HEALPY)('order %i nest %i: ring index and centre', (order, nest, ring, theta, phi) => {
    expect(nest2ring(order, nest)).toBe(ring);
    expect(ring2nest(order, ring)).toBe(nest);
    const [t, p] = pix2ang(order, nest, 'NESTED');
    expect(t).toBeCloseTo(theta, 12);
    expect(p).toBeCloseTo(phi, 12);
    const [tr, pr] = pix2ang(order, ring, 'RING');
    expect(tr).toBeCloseTo(theta, 12);
    expect(pr).toBeCloseTo(phi, 12);
    expect(ang2pix(order, theta, phi, 'NESTED')).toBe(nest);
    expect(ang2pix(order, theta, phi, 'RING')).toBe(ring);
  });

  it('finds the fixtures\' probe pixels (flat NESTED, flat RING, NUNIQ at its finest order)', () => {
    let checked = 0;
    for (const ref of Object.values(reference)) {
      const order = Math.log2(ref.nside);
      const ordering = ref.ordering === 'RING' ? 'RING' : 'NESTED';
      for (const probe of ref.probes) {
        expect(ang2pixRadec(order, probe.ra, probe.dec, ordering)).toBe(probe.pixel);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(7);
  });
});

describe('HEALPix self-consistency', () => {
  it('nest↔ring is a bijection and pix2ang/ang2pix round-trip for orders 0–5', () => {
    for (let order = 0; order <= 5; order++) {
      const npix = orderToNpix(order);
      const table = nestToRingTable(order);
      const seen = new Uint8Array(npix);
      for (let nest = 0; nest < npix; nest++) {
        const ring = table[nest]!;
        expect(ring2nest(order, ring)).toBe(nest);
        seen[ring] = 1;
        const [theta, phi] = pix2ang(order, nest);
        expect(ang2pix(order, theta, phi)).toBe(nest);
        const [x, y, z] = pix2vec(order, nest);
        expect(vec2pix(order, x, y, z)).toBe(nest);
        expect(Math.hypot(x, y, z)).toBeCloseTo(1, 14);
      }
      expect(seen.every((s) => s === 1)).toBe(true);
    }
  });

  it('the NSIDE 1024 nest→ring table agrees with nest2ring', () => {
    const table = nestToRingTable(10);
    for (let nest = 0; nest < table.length; nest += 997) expect(table[nest]).toBe(nest2ring(10, nest));
    expect(table[table.length - 1]).toBe(nest2ring(10, table.length - 1));
  });

  it('handles the poles, phi wrap-around and the pixel area', () => {
    expect(ang2pix(4, 0, 0)).toBe(ang2pix(4, 1e-12, 0));
    expect(ang2pix(4, Math.PI, 0, 'RING')).toBe(orderToNpix(4) - 4);
    expect(ang2pix(6, 1.0, -0.1)).toBe(ang2pix(6, 1.0, 2 * Math.PI - 0.1));
    expect(pixelAreaDeg2(0) * 12).toBeCloseTo((4 * Math.PI * 180 * 180) / (Math.PI * Math.PI), 9);
    expect(() => ang2pix(3, -0.1, 0)).toThrow(/theta/);
    expect(() => pix2ang(3, orderToNpix(3))).toThrow(/outside/);
  });

  it('encodes and decodes NUNIQ, including near the top of each order\'s range', () => {
    for (const order of [0, 1, 8, 12, 15, 16, 20, 24]) {
      for (const ipix of [0, 1, orderToNpix(order) - 1]) {
        const uniq = orderIpixToUniq(order, ipix);
        expect(uniqToOrderIpix(uniq)).toEqual([order, ipix]);
      }
    }
    expect(orderIpixToUniq(0, 0)).toBe(4);
    expect(() => uniqToOrderIpix(3)).toThrow(/NUNIQ/);
    expect(() => uniqToOrderIpix(4.5)).toThrow(/NUNIQ/);
  });

  it('converts RA/Dec and finds the pixels of a disc', () => {
    const [theta, phi] = radecToThetaPhi(-30, 45);
    expect(thetaPhiToRadec(theta, phi)[0]).toBeCloseTo(330, 12);
    expect(thetaPhiToRadec(theta, phi)[1]).toBeCloseTo(45, 12);
    const order = 5;
    const radius = (5 * Math.PI) / 180;
    const disc = new Set(queryDiscCentres(order, theta, phi, radius));
    const centre = pix2vec(order, ang2pix(order, theta, phi));
    expect(disc.size).toBeGreaterThan(0);
    // Brute force over all pixels gives the same set.
    const [cx, cy, cz] = [Math.sin(theta) * Math.cos(phi), Math.sin(theta) * Math.sin(phi), Math.cos(theta)];
    let expected = 0;
    for (let p = 0; p < orderToNpix(order); p++) {
      const [x, y, z] = pix2vec(order, p);
      const inside = Math.acos(Math.min(1, x * cx + y * cy + z * cz)) <= radius;
      if (inside) expected++;
      expect(disc.has(p)).toBe(inside);
    }
    expect(disc.size).toBe(expected);
    expect(centre.length).toBe(3);
  });
});
