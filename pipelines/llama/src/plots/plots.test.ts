import { describe, expect, it } from 'vitest';
import { GenerationError } from '@llama/core';
import { colormap } from './colormap.js';
import { formatEventTime } from './generate.js';
import { parseZtfTriggers } from './messengers.js';
import { skyLookup } from './sky-lookup.js';
import type { Painter, PathSink, ShapeStyle } from './painter.js';
import { drawSkyPlot, formatTick, niceTicks, plotTitle, prepareSkyPlot, skyProjection, ZOOM_LEGEND } from './sky-plot.js';
import { GRID, INK, NEUTRINO, ZOOM, ZTF } from './style.js';
import { formatRaHours, niceRaStepDeg } from './zoom.js';
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

/** A painter that records what is drawn (styles and text), for layout tests without pixels. */
function recordingPainter(width: number, height: number) {
  const paths: ShapeStyle[] = [];
  const texts: { text: string; x: number; y: number }[] = [];
  const sink: PathSink = { beginPath: () => undefined, moveTo: () => undefined, lineTo: () => undefined, closePath: () => undefined, arc: () => undefined };
  const painter: Painter = {
    width,
    height,
    path: (build, style) => {
      build(sink);
      paths.push(style);
    },
    text: (text, x, y) => void texts.push({ text, x, y }),
    textWidth: (text, size) => text.length * size * 0.5,
    raster: () => undefined,
  };
  return { painter, paths, texts };
}

describe('zoom panel', () => {
  const lookup = skyLookup(syntheticSkymap(6, [{ ra: 150, dec: 20, kappa: 300 }]));
  const prepared = prepareSkyPlot({ graceid: 'S1', eventTime: undefined, lookup, areasDeg2: { fifty: 48, ninety: 159 }, neutrinos: [] });
  const { painter, paths, texts } = recordingPainter(800, prepared.layout.height);
  drawSkyPlot(painter, prepared);
  const zoom = prepared.layout.zoom!;

  it('outlines its region solid, in a colour of its own, and names it in the legend', () => {
    expect(zoom).toBeDefined();
    expect([INK, GRID, NEUTRINO, ZTF]).not.toContain(ZOOM);
    const zoomPaths = paths.filter((style) => style.stroke === ZOOM);
    // The outline on the all-sky map, its legend sample and the panel's frame.
    expect(zoomPaths).toHaveLength(3);
    for (const style of zoomPaths) expect(style.dash).toBeUndefined();
    // The 50% contour stays the only dashed ink line: nothing else is drawn like it.
    expect(paths.filter((style) => style.dash !== undefined && style.stroke !== GRID).every((style) => style.stroke === INK && style.dash?.[0] === 4)).toBe(true);
    expect(texts.map((t) => t.text)).toContain(ZOOM_LEGEND);
  });

  it('labels RA in hours, as the all-sky map does', () => {
    const below = texts.filter((t) => t.y > zoom.box.y1 && t.x >= zoom.box.x0 && t.x <= zoom.box.x1);
    expect(below.length).toBeGreaterThanOrEqual(2);
    for (const label of below) expect(label.text).toMatch(/^\d{1,2}h(\d{2}m)?$/);
    expect(below.map((t) => t.text)).toContain('10h');
    // Unsigned degrees would be RA; Dec labels carry a sign (or are 0°).
    expect(texts.filter((t) => /^[1-9]\d*(\.\d+)?°$/.test(t.text))).toEqual([]);
    expect(texts.find((t) => t.text.startsWith('Zoom on the 90% credible region'))?.text).toMatch(/centred at RA 10h0\dm, Dec \+20\.\d°$/);
  });

  it('formats RA in hours and minutes with steps of whole minutes', () => {
    expect(formatRaHours(150)).toBe('10h');
    expect(formatRaHours(145)).toBe('9h40m');
    expect(formatRaHours(1)).toBe('0h04m');
    expect(formatRaHours(359.999)).toBe('0h');
    expect(formatRaHours(-15)).toBe('23h');
    expect(niceRaStepDeg(4)).toBe(1);
    expect(niceRaStepDeg(20)).toBe(5);
    expect(niceRaStepDeg(200)).toBe(45);
  });
});
