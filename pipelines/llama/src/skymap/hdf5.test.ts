import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import { describe, expect, it, vi } from 'vitest';
import { orderToNpix } from '../healpix/index.js';
import { summarizeSkymap } from './analysis.js';
import { HDF5_LAYOUT, readSkymapHdf5, writeSkymapHdf5 } from './hdf5.js';
import { readSkymapFits } from './read.js';

const fixture = (name: string): string => new URL(`../../test-fixtures/${name}`, import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'llama-hdf5-'));

describe('HDF5 skymap', () => {
  it.each(['MS260101a.fits', 'MS260102b.fits.gz', 'MS260103c.multiorder.fits'])('%s round-trips through HDF5 with native pixels', async (name) => {
    const original = await readSkymapFits(fixture(name));
    const path = join(dir, `${name}.hdf5`);
    await writeSkymapHdf5(original, path);
    const back = await readSkymapHdf5(path);
    expect(Array.from(back.order)).toEqual(Array.from(original.order));
    expect(back.ipix).toEqual(original.ipix);
    for (let i = 0; i < original.probDensity.length; i += 97) {
      expect(back.probDensity[i]).toBeCloseTo(original.probDensity[i]!, 12);
      expect(back.distMu![i]).toBe(original.distMu![i]);
    }
    expect(back.meta).toMatchObject({ ordering: original.meta.ordering, maxOrder: original.meta.maxOrder, objectId: original.meta.objectId, distMean: original.meta.distMean });
    const a = summarizeSkymap(original);
    const b = summarizeSkymap(back);
    expect(b.area90Deg2).toBeCloseTo(a.area90Deg2, 9);
    expect(b.distance!.mean).toBeCloseTo(a.distance!.mean, 9);
  });

  it('writes the same bytes for the same map at any time (no HDF5 object timestamps)', async () => {
    const original = await readSkymapFits(fixture('MS260103c.multiorder.fits'));
    const now = join(dir, 'now.hdf5');
    const later = join(dir, 'later.hdf5');
    await writeSkymapHdf5(original, now);
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 86_400_000 });
    try {
      await writeSkymapHdf5(original, later);
    } finally {
      vi.useRealTimers();
    }
    expect(readFileSync(later).equals(readFileSync(now))).toBe(true);
  });

  it('writes rows in blocks (as for NSIDE 2048 maps) with the same result', async () => {
    const original = await readSkymapFits(fixture('MS260101a.fits'));
    const whole = join(dir, 'whole.hdf5');
    const blocks = join(dir, 'blocks.hdf5');
    await writeSkymapHdf5(original, whole);
    await writeSkymapHdf5(original, blocks, { blockValues: 1 });
    const [a, b] = await Promise.all([readSkymapHdf5(whole), readSkymapHdf5(blocks)]);
    expect(b.probDensity).toEqual(a.probDensity);
    expect(b.distNorm).toEqual(original.distNorm);
  });

  it('writes the 3.5.1 datasets: skymaps/pixels (N_maps × N_pix, NESTED PROB first), nest, descriptions', async () => {
    const skymap = await readSkymapFits(fixture('MS260103c.multiorder.fits'));
    const path = join(dir, 'layout.hdf5');
    await writeSkymapHdf5(skymap, path);
    await h5wasm.ready;
    const file = new h5wasm.File(path, 'r');
    try {
      const pixels = file.get('skymaps/pixels') as InstanceType<typeof h5wasm.Dataset>;
      expect(pixels.shape).toEqual([4, orderToNpix(8)]);
      const prob = pixels.slice([[0, 1], []]) as Float64Array;
      expect(prob.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 9);
      expect(Array.from((file.get('skymaps/nest') as InstanceType<typeof h5wasm.Dataset>).value as Int8Array)).toEqual([1, 1, 1, 1]);
      expect((file.get('skymaps/descriptions') as InstanceType<typeof h5wasm.Dataset>).value).toEqual(['PROB [pix-1]', 'DISTMU [Mpc]', 'DISTSIGMA [Mpc]', 'DISTNORM [Mpc-2]']);
      expect((file.get('skymaps') as InstanceType<typeof h5wasm.Group>).attrs.layout!.value).toBe(HDF5_LAYOUT);
      expect((file.get('skymaps/uniq') as InstanceType<typeof h5wasm.Dataset>).shape).toEqual([skymap.order.length]);
    } finally {
      file.close();
    }
  });

  it('reads a file written by h5py in the 3.5.1 layout (bool enum nest, no LLAMA attributes)', async () => {
    const skymap = await readSkymapHdf5(fixture('h5py-351-layout.hdf5'));
    expect(skymap.meta.maxOrder).toBe(2);
    expect(skymap.meta.ordering).toBe('NESTED');
    expect(skymap.probDensity).toHaveLength(192);
    expect(Math.abs(skymap.probDensity[24]! - 0.8433548393775464)).toBeLessThan(1e-9 * 0.8433548393775464);
    expect(skymap.distMu).toBeUndefined();
  });

  it('names the file and the cause for files that are not LLAMA HDF5 skymaps', async () => {
    const text = join(dir, 'not.hdf5');
    writeFileSync(text, 'plain text');
    await expect(readSkymapHdf5(text)).rejects.toThrow(/not\.hdf5: is not a readable HDF5 file/);
    await h5wasm.ready;
    const other = join(dir, 'other.hdf5');
    const file = new h5wasm.File(other, 'w');
    file.create_group('elsewhere');
    file.close();
    await expect(readSkymapHdf5(other)).rejects.toThrow(/other\.hdf5: has no group `skymaps`/);
    expect(readFileSync(other).length).toBeGreaterThan(0);
  });
});

describe('reading flat rows straight from the wasm heap', () => {
  it('gives what h5wasm slice gives (PROB × 1/pixel area, bit for bit), in any block size, and skips distances when asked', async () => {
    const original = await readSkymapFits(fixture('MS260101a.fits'));
    const path = join(dir, 'flat-read.hdf5');
    await writeSkymapHdf5(original, path);
    const order = original.meta.maxOrder;
    const npix = orderToNpix(order);
    await h5wasm.ready;
    const file = new h5wasm.File(path, 'r');
    const expected: Float64Array[] = [];
    try {
      const pixels = file.get('skymaps/pixels') as InstanceType<typeof h5wasm.Dataset>;
      for (let r = 0; r < 4; r++) expected.push(Float64Array.from(pixels.slice([[r, r + 1], []]) as Float64Array));
    } finally {
      file.close();
    }
    const inverseArea = 1 / ((4 * Math.PI) / npix);
    const density = expected[0]!.map((p) => p * inverseArea);
    for (const blockValues of [undefined, 100_003]) {
      const back = await readSkymapHdf5(path, blockValues === undefined ? {} : { blockValues });
      expect(back.probDensity).toEqual(density);
      expect(back.distMu).toEqual(expected[1]);
      expect(back.distSigma).toEqual(expected[2]);
      expect(back.distNorm).toEqual(expected[3]);
    }
    const probOnly = await readSkymapHdf5(path, { probabilityOnly: true, blockValues: 250_001 });
    expect(probOnly.probDensity).toEqual(density);
    expect(probOnly.distMu).toBeUndefined();
    expect(probOnly.distSigma).toBeUndefined();
    expect(probOnly.distNorm).toBeUndefined();
    // Flat maps say so; `order` and `ipix` are built on first use and are the NESTED identity.
    expect(probOnly.flatNested).toBe(true);
    expect(probOnly.ipix).toHaveLength(npix);
    expect(probOnly.ipix[12345]).toBe(12345);
    expect(probOnly.ipix).toBe(probOnly.ipix);
    expect(Array.from(new Set(probOnly.order))).toEqual([order]);
    expect(probOnly.order).toHaveLength(npix);
  });

  it('multi-order files are read from their native pixels, without distances when asked', async () => {
    const original = await readSkymapFits(fixture('MS260103c.multiorder.fits'));
    const path = join(dir, 'multi-read.hdf5');
    await writeSkymapHdf5(original, path);
    const back = await readSkymapHdf5(path, { probabilityOnly: true });
    expect(back.probDensity).toEqual(original.probDensity);
    expect(back.distMu).toBeUndefined();
    expect(back.flatNested).toBeUndefined();
  });
});
