import { describe, expect, it } from 'vitest';
import { GenerationError } from '@llama/core';
import { colormap } from './colormap.js';
import { formatEventTime } from './generate.js';
import { parseZtfTriggers } from './messengers.js';
import { skyLookup } from './sky-lookup.js';
import { formatTick, niceTicks, plotTitle, skyProjection } from './sky-plot.js';
import { fisherRadius, syntheticSkymap } from './synthetic.js';

describe('projection', () => {
  it('centres RA 12h, puts RA increasing to the left and north up', () => {
    const projection = skyProjection();
    const centre = projection([180, 0])!;
    expect(projection([170, 0])![0]).toBeGreaterThan(centre[0]);
    expect(projection([190, 0])![0]).toBeLessThan(centre[0]);
    expect(projection([180, 45])![1]).toBeLessThan(centre[1]);
    const back = projection.invert!(projection([123.4, -56.7])!)!;
    expect(back[0]).toBeCloseTo(123.4, 6);
    expect(back[1]).toBeCloseTo(-56.7, 6);
  });
});

describe('skymap lookup', () => {
  it('finds the pixel of a direction and its credible level', () => {
    const skymap = syntheticSkymap(6, [{ ra: 40, dec: -20, kappa: 100 }]);
    const lookup = skyLookup(skymap);
    const peak = lookup.pixelAt(40, -20);
    expect(lookup.level[peak]).toBeLessThan(0.01);
    expect(lookup.density[peak]).toBeCloseTo(lookup.maxDensity, 1);
    const r90 = fisherRadius(100, 0.9);
    // Just inside and just outside the 90% radius, north of the centre.
    expect(lookup.level[lookup.pixelAt(40, -20 + r90 - 2)]).toBeLessThan(0.9);
    expect(lookup.level[lookup.pixelAt(40, -20 + r90 + 2)]).toBeGreaterThan(0.9);
  });

  it('resolves multi-order maps at their pixels', () => {
    // Two coarse pixels of order 0 and the rest at order 1.
    const order = new Uint8Array([0, 1, 1, 1, 1]);
    const ipix = new Float64Array([1, 0, 1, 2, 3]);
    const skymap = { order, ipix, probDensity: new Float64Array([5, 1, 2, 3, 4]), meta: { maxOrder: 1, ordering: 'NUNIQ' as const, header: {} } };
    const lookup = skyLookup(skymap, 3);
    const { pix2radec } = { pix2radec: (o: number, p: number) => import('../healpix/index.js').then((m) => m.pix2radec(o, p, 'NESTED')) };
    return Promise.all([pix2radec(0, 1), pix2radec(1, 2)]).then(([coarse, fine]) => {
      expect(lookup.pixelAt(coarse![0], coarse![1])).toBe(0);
      expect(lookup.pixelAt(fine![0], fine![1])).toBe(3);
    });
  });
});

describe('labels', () => {
  it('ticks and titles', () => {
    expect(niceTicks(0.0103)).toEqual([0, 0.005, 0.01]);
    expect(niceTicks(0.0031)).toEqual([0, 0.001, 0.002, 0.003]);
    expect(formatTick(0.0005)).toBe('0.0005');
    expect(formatTick(2e-6)).toBe('2e-6');
    expect(plotTitle({ graceid: 'S1', eventTime: undefined, lookup: skyLookup(syntheticSkymap(1, [{ ra: 0, dec: 0, kappa: 1 }])), ztf: [] })).toBe('S1: GW skymap and ZTF candidates');
    expect(formatEventTime('2019-08-14T21:10:39.0130Z')).toBe('2019-08-14 21:10:39.013 UTC');
    expect(formatEventTime(undefined)).toBeUndefined();
  });

  it('colours from white to dark', () => {
    expect(colormap(0)).toEqual([255, 255, 255]);
    const lightness = (c: number[]) => 0.2126 * c[0]! + 0.7152 * c[1]! + 0.0722 * c[2]!;
    for (let v = 0.05; v <= 1; v += 0.05) expect(lightness(colormap(v))).toBeLessThan(lightness(colormap(v - 0.05)));
  });
});

describe('messenger inputs', () => {
  it('reads ZTF candidates through the ZTF validator and keeps a display name', () => {
    expect(parseZtfTriggers(JSON.stringify([{ gps: 1e9, ra: 1, dec: 2, objectId: 'ZTF25abc' }]), 'z.json')).toEqual([{ gps: 1e9, ra: 1, dec: 2, name: 'ZTF25abc' }]);
    expect(() => parseZtfTriggers(JSON.stringify([{ gps: 1e9, ra: 1 }]), 'z.json')).toThrow(/z\.json: entry 0: "dec" must be a number/);
    expect(() => parseZtfTriggers('{', 'z.json')).toThrow(GenerationError);
  });
});
