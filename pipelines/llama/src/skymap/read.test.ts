import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeBinTableFits } from '../fits/write.js';
import { ang2pixRadec, nest2ring, orderToNpix, pixelAreaSr } from '../healpix/index.js';
import { readSkymapFits } from './read.js';

const fixture = (name: string): string => new URL(`../../test-fixtures/${name}`, import.meta.url).pathname;
interface Reference { nside: number; ordering: string; probes: { ra: number; dec: number; pixel: number; prob_density_per_sr: number }[] }
const reference = JSON.parse(readFileSync(fixture('reference.json'), 'utf8')) as Record<string, Reference>;
const dir = mkdtempSync(join(tmpdir(), 'llama-skymap-read-'));

describe('readSkymapFits', () => {
  it.each(['MS260101a.fits', 'MS260102b.fits.gz'])('%s: a flat map becomes NESTED pixels with densities per sr', async (name) => {
    const ref = reference[name]!;
    const skymap = await readSkymapFits(fixture(name));
    const order = Math.log2(ref.nside);
    expect(skymap.meta.maxOrder).toBe(order);
    expect(skymap.meta.ordering).toBe(ref.ordering);
    expect(skymap.probDensity.length).toBe(orderToNpix(order));
    expect(skymap.order.every((o) => o === order)).toBe(true);
    expect(skymap.ipix[12345]).toBe(12345);
    let total = 0;
    for (const d of skymap.probDensity) total += d * pixelAreaSr(order);
    expect(total).toBeCloseTo(1, 5);
    expect(skymap.distMu?.length).toBe(skymap.probDensity.length);
    expect(skymap.meta.objectId).toBe(name.slice(0, 9));
    expect(skymap.meta.distMean).toBeGreaterThan(0);
    // MS260102b stores PROB as float32 (1024E) while healpy's reference densities come from the
    // float64 map before it was written, so there agreement is float32 rounding (2^-24), not 1e-9.
    const tolerance = name === 'MS260102b.fits.gz' ? 2 ** -23 : 1e-9;
    for (const probe of ref.probes) {
      const nest = ang2pixRadec(order, probe.ra, probe.dec, 'NESTED');
      const density = skymap.probDensity[nest]!;
      expect(Math.abs(density - probe.prob_density_per_sr)).toBeLessThanOrEqual(tolerance * Math.abs(probe.prob_density_per_sr));
    }
  });

  it('reads a multi-order map natively', async () => {
    const skymap = await readSkymapFits(fixture('MS260103c.multiorder.fits'));
    expect(skymap.meta.ordering).toBe('NUNIQ');
    expect(skymap.meta.maxOrder).toBe(8);
    expect(new Set(skymap.order).size).toBeGreaterThan(1);
    let total = 0;
    let area = 0;
    for (let i = 0; i < skymap.order.length; i++) {
      total += skymap.probDensity[i]! * pixelAreaSr(skymap.order[i]!);
      area += pixelAreaSr(skymap.order[i]!);
    }
    expect(total).toBeCloseTo(1, 5);
    expect(area).toBeCloseTo(4 * Math.PI, 9);
  });

  it('gives the same map for RING one-pixel-a-row, NESTED 1024-a-row and float32/float64 layouts', async () => {
    const order = 4;
    const npix = orderToNpix(order);
    const nested = Float64Array.from({ length: npix }, (_, i) => (i % 7) + 1);
    const ring = new Float64Array(npix);
    for (let i = 0; i < npix; i++) ring[nest2ring(order, i)] = nested[i]!;
    const header = { PIXTYPE: 'HEALPIX', NSIDE: 16, INDXSCHM: 'IMPLICIT' };
    const ringPath = join(dir, 'ring.fits');
    writeFileSync(ringPath, writeBinTableFits([{ name: 'PROB', type: 'D', data: ring }], { ...header, ORDERING: 'RING' }));
    const nestPath = join(dir, 'nest.fits');
    writeFileSync(nestPath, writeBinTableFits([{ name: 'PROB', type: 'E', repeat: 1024, data: nested }], { ...header, ORDERING: 'NESTED' }));
    const fromRing = await readSkymapFits(ringPath);
    const fromNest = await readSkymapFits(nestPath);
    expect(Array.from(fromRing.probDensity)).toEqual(Array.from(fromNest.probDensity));
    expect(fromRing.distMu).toBeUndefined();
    expect(fromRing.meta.ordering).toBe('RING');
  });

  it('rejects non-HEALPix tables and inconsistent maps with the file and the cause', async () => {
    const write = (name: string, bytes: Uint8Array): string => {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      return path;
    };
    const catalogue = write('catalogue.fits', writeBinTableFits([{ name: 'RA', type: 'D', data: [1, 2] }], { EXTNAME: 'STARS' }));
    await expect(readSkymapFits(catalogue)).rejects.toThrow(/catalogue\.fits: is not a HEALPix skymap: PIXTYPE is missing/);
    const short = write('short.fits', writeBinTableFits([{ name: 'PROB', type: 'D', data: new Float64Array(100) }], { PIXTYPE: 'HEALPIX', ORDERING: 'NESTED', NSIDE: 16 }));
    await expect(readSkymapFits(short)).rejects.toThrow(/short\.fits: has 100 values in column PROB, but NSIDE 16 needs 3072/);
    const badNside = write('nside.fits', writeBinTableFits([{ name: 'PROB', type: 'D', data: new Float64Array(12 * 9) }], { PIXTYPE: 'HEALPIX', ORDERING: 'NESTED', NSIDE: 3 }));
    await expect(readSkymapFits(badNside)).rejects.toThrow(/nside\.fits: has NSIDE 3/);
    const badOrdering = write('ordering.fits', writeBinTableFits([{ name: 'PROB', type: 'D', data: new Float64Array(12) }], { PIXTYPE: 'HEALPIX', ORDERING: 'SPIRAL', NSIDE: 1 }));
    await expect(readSkymapFits(badOrdering)).rejects.toThrow(/ordering\.fits: has ORDERING 'SPIRAL'/);
    const overlap = write('overlap.fits', writeBinTableFits(
      [{ name: 'UNIQ', type: 'K', data: [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16] }, { name: 'PROBDENSITY', type: 'D', data: new Float64Array(13) }],
      { PIXTYPE: 'HEALPIX', ORDERING: 'NUNIQ' },
    ));
    await expect(readSkymapFits(overlap)).rejects.toThrow(/overlap\.fits: its pixels cover .* more than the whole sky/);
    const noDensity = write('nodensity.fits', writeBinTableFits([{ name: 'UNIQ', type: 'K', data: [4] }], { PIXTYPE: 'HEALPIX', ORDERING: 'NUNIQ' }));
    await expect(readSkymapFits(noDensity)).rejects.toThrow(/nodensity\.fits: is a NUNIQ skymap without a PROBDENSITY column/);
  });
});
