import { describe, expect, it } from 'vitest';
import { colormap } from '../../pipelines/llama/src/plots/colormap.js';
import { renderSkyPlotPdf, renderSkyPlotPng, PNG_SCALE } from '../../pipelines/llama/src/plots/render.js';
import { skyLookup } from '../../pipelines/llama/src/plots/sky-lookup.js';
import { mapEllipse, prepareSkyPlot, skyProjection, type SkyPlotModel } from '../../pipelines/llama/src/plots/sky-plot.js';
import { zoomProjection } from '../../pipelines/llama/src/plots/zoom.js';
import { fisherRadius, syntheticSkymap } from '../../pipelines/llama/src/plots/synthetic.js';
import { decodePng, isBlue, isGreen, isInk, offsetOnSphere, pdfText } from './pixels.js';

const BLOB = { ra: 75, dec: 10, kappa: 200 }; // off the graticule lines
const skymap = syntheticSkymap(7, [BLOB], { objectId: 'S250101ab' });
const lookup = skyLookup(skymap);
const NEUTRINO = { mjd: 60676.4, ra: 200, dec: -20, sigma: 1, energy: 1e4 };
const WIDE_NEUTRINO = { mjd: 60676.41, ra: 300, dec: 40, sigma: 10, energy: 1e3 };
const ZTF = { gps: 1419674418, ra: 120, dec: 60 };
const model: SkyPlotModel = {
  graceid: 'S250101ab',
  eventTime: '2025-01-01 10:00:00 UTC',
  lookup,
  neutrinos: [NEUTRINO, WIDE_NEUTRINO],
  neutrinosComplete: true,
  ztf: [ZTF],
};

const projection = skyProjection();
const toPixel = (ra: number, dec: number): [number, number] => {
  const point = projection([ra, dec]);
  if (!point) throw new Error('unprojectable');
  return [point[0] * PNG_SCALE, point[1] * PNG_SCALE];
};

describe('sky plot PNG', async () => {
  const png = await renderSkyPlotPng(model);
  const pixels = await decodePng(png);

  it('is at least 1600 px wide', () => {
    expect(pixels.width).toBeGreaterThanOrEqual(1600);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  });

  it('draws the 90% and 50% contours at the radii the geometry gives, and nothing in between', () => {
    const r90 = fisherRadius(BLOB.kappa, 0.9);
    const r50 = fisherRadius(BLOB.kappa, 0.5);
    for (const bearing of [0, 45, 90, 135, 180, 225, 270, 315]) {
      const [x90, y90] = toPixel(...offsetOnSphere(BLOB.ra, BLOB.dec, r90, bearing));
      expect(pixels.anyNear(x90, y90, 3, isInk), `90% contour at bearing ${bearing}`).toBe(true);
      const [x50, y50] = toPixel(...offsetOnSphere(BLOB.ra, BLOB.dec, r50, bearing));
      expect(pixels.anyNear(x50, y50, 4, isInk), `50% contour at bearing ${bearing}`).toBe(true);
      const [xm, ym] = toPixel(...offsetOnSphere(BLOB.ra, BLOB.dec, (r50 + r90) / 2, bearing));
      expect(pixels.anyNear(xm, ym, 2, isInk), `no contour between 50% and 90% at bearing ${bearing}`).toBe(false);
    }
  });

  it('colours the densest pixel with the top of the colour map and leaves the empty sky white', () => {
    const [x, y] = toPixel(BLOB.ra, BLOB.dec);
    const [r, g, b] = pixels.at(x, y);
    const [er, eg, eb] = colormap(1);
    expect(Math.abs(r - er) + Math.abs(g - eg) + Math.abs(b - eb)).toBeLessThan(40);
    expect(pixels.at(...toPixel(250, 5)).slice(0, 3)).toEqual([255, 255, 255]);
  });

  it('puts RA increasing to the left: the neutrino marker is where the geometry says, not mirrored', () => {
    const [x, y] = toPixel(NEUTRINO.ra, NEUTRINO.dec);
    const { cx } = mapEllipse(projection);
    expect(x / PNG_SCALE).toBeLessThan(cx); // RA 200° > 180°: left of centre
    expect(isGreen(pixels.at(x, y))).toBe(true);
    const mirrored = 2 * cx * PNG_SCALE - x;
    expect(pixels.anyNear(mirrored, y, 6, isGreen)).toBe(false);
  });

  it('draws the angular uncertainty as a circle on the sphere', () => {
    for (const bearing of [0, 90, 180, 270]) {
      const [x, y] = toPixel(...offsetOnSphere(WIDE_NEUTRINO.ra, WIDE_NEUTRINO.dec, WIDE_NEUTRINO.sigma, bearing));
      expect(pixels.anyNear(x, y, 3, isGreen), `circle at bearing ${bearing}`).toBe(true);
    }
    // Twice the radius away there is no circle.
    const [xo, yo] = toPixel(...offsetOnSphere(WIDE_NEUTRINO.ra, WIDE_NEUTRINO.dec, 2 * WIDE_NEUTRINO.sigma, 90));
    expect(pixels.anyNear(xo, yo, 3, isGreen)).toBe(false);
  });

  it('marks ZTF candidates with blue diamonds', () => {
    const [x, y] = toPixel(ZTF.ra, ZTF.dec);
    expect(pixels.anyNear(x, y - 5 * PNG_SCALE, 3, isBlue)).toBe(true);
    expect(pixels.anyNear(x, y, 2, isGreen)).toBe(false);
  });

  it('renders identical bytes for identical inputs (early cutoff)', async () => {
    expect((await renderSkyPlotPng(model)).equals(png)).toBe(true);
  });
});

describe('zoom panel', async () => {
  const prepared = prepareSkyPlot(model);
  const zoom = prepared.layout.zoom;
  const png = await renderSkyPlotPng(model);
  const pixels = await decodePng(png);

  it('is added below the map for a compact region, centred on the densest pixel', () => {
    expect(zoom).toBeDefined();
    expect(pixels.height).toBe(Math.round(prepared.layout.height * PNG_SCALE));
    expect(pixels.height).toBeGreaterThan(1300);
    expect(Math.abs(zoom!.centre[0] - BLOB.ra)).toBeLessThan(1);
    expect(Math.abs(zoom!.centre[1] - BLOB.dec)).toBeLessThan(1);
  });

  it('draws the 90% contour where the geometry says', () => {
    const projection = zoomProjection(zoom!);
    const r90 = fisherRadius(BLOB.kappa, 0.9);
    for (const bearing of [0, 60, 120, 180, 240, 300]) {
      const point = projection(offsetOnSphere(BLOB.ra, BLOB.dec, r90, bearing))!;
      expect(pixels.anyNear(point[0] * PNG_SCALE, point[1] * PNG_SCALE, 4, isInk), `zoomed 90% contour at bearing ${bearing}`).toBe(true);
    }
    const centre = projection([BLOB.ra, BLOB.dec])!;
    expect(pixels.anyNear(centre[0] * PNG_SCALE, centre[1] * PNG_SCALE, 4, isInk)).toBe(false);
  });

  it('is left out when the 90% region is large', () => {
    const wide = skyLookup(syntheticSkymap(4, [{ ra: 10, dec: 0, kappa: 8 }]));
    expect(prepareSkyPlot({ ...model, lookup: wide }).layout.zoom).toBeUndefined();
  });
});

describe('sky plot PDF', async () => {
  const pdf = await renderSkyPlotPdf({ ...model, neutrinosComplete: false });

  it('is a PDF with the title, legend and labels as text', async () => {
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const text = await pdfText(pdf);
    expect(text).toContain('S250101ab: GW skymap, IceCube neutrinos and ZTF candidates');
    expect(text).toContain('2025-01-01 10:00:00 UTC');
    expect(text).toContain('90% credible region');
    expect(text).toContain('50% credible region');
    expect(text).toContain('IceCube neutrino (2)');
    expect(text).toContain('ZTF candidate (1)');
    expect(text).toContain('PARTIAL RESULT: MORE ICECUBE EVENTS INCOMING');
    expect(text).toMatch(/\+60°/);
    expect(text).toMatch(/12h/);
  });

  it('is deterministic', async () => {
    expect((await renderSkyPlotPdf({ ...model, neutrinosComplete: false })).equals(pdf)).toBe(true);
  });
});
