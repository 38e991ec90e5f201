import { geoCircle, geoGraticule, geoPath, type GeoProjection } from 'd3-geo';
import { geoMollweide } from 'd3-geo-projection';
import { colormap } from './colormap.js';
import { COLOUR_LUT, GRID, INK, LUT_SIZE, NEUTRINO, ZOOM, ZTF } from './style.js';
import type { MultiLineString } from 'geojson';
import { credibleContours } from './contours.js';
import { drawZoom, zoomGeometry, type ZoomGeometry } from './zoom.js';
import type { Neutrino, ZtfTrigger } from './messengers.js';
import { drawNeutrinoMarker, drawZtfMarker } from './markers.js';
import type { Painter, PathSink, Rgba } from './painter.js';
import type { SkyLookup } from './sky-lookup.js';

/** Everything one sky plot shows. */
export interface SkyPlotModel {
  /** e.g. `S250101ab`. */
  readonly graceid: string;
  /** Event time as text, e.g. `2025-01-01 10:00:00 UTC`; undefined when unknown. */
  readonly eventTime: string | undefined;
  readonly lookup: SkyLookup;
  /** Undefined when the plot has no neutrino layer (ZTF-only plots). */
  readonly neutrinos?: readonly Neutrino[];
  /** False while more neutrinos may arrive. */
  readonly neutrinosComplete?: boolean;
  readonly ztf?: readonly ZtfTrigger[];
  /** Areas of the 50% and 90% credible regions, deg², for the legend. */
  readonly areasDeg2?: { readonly fifty: number; readonly ninety: number };
}

/** Figure size in units (pt in the PDF; ×2.5 pixels in the PNG). */
export const FIGURE = { width: 800, height: 520 } as const;
/** Where the map goes. */
export const MAP_EXTENT: [[number, number], [number, number]] = [[40, 66], [760, 426]];
export const CREDIBLE_LEVELS = [0.5, 0.9] as const;

const PROB_PER_DEG2 = (Math.PI / 180) ** 2;
/** The zoom region's outline on the all-sky map (and its legend entry). */
export const ZOOM_OUTLINE = { stroke: ZOOM, lineWidth: 1.2 } as const;
export const ZOOM_LEGEND = 'Region shown in the zoom panel';

/**
 * Mollweide, equatorial, centred on RA 12h with RA increasing to the left (east left, as on the
 * sky seen from inside the sphere); d3 longitude = RA.
 */
export function skyProjection(): GeoProjection {
  return geoMollweide().rotate([-180, 0]).reflectX(true).precision(0.1).fitExtent(MAP_EXTENT, { type: 'Sphere' });
}

/** The ellipse the sphere projects to, for pixel tests and the colour map. */
export function mapEllipse(projection: GeoProjection): { cx: number; cy: number; a: number; b: number } {
  const [[x0, y0], [x1, y1]] = geoPath(projection).bounds({ type: 'Sphere' });
  return { cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, a: (x1 - x0) / 2, b: (y1 - y0) / 2 };
}

export function niceTicks(max: number, count = 4): number[] {
  if (!(max > 0)) return [0];
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let value = 0; value <= max * (1 + 1e-9); value += step) ticks.push(Number(value.toPrecision(12)));
  return ticks;
}

export function formatTick(value: number): string {
  if (value === 0) return '0';
  if (Math.abs(value) >= 1e-4 && Math.abs(value) < 1e4) return String(Number(value.toPrecision(3)));
  const [mantissa, exponent] = value.toExponential(1).split('e');
  return `${mantissa?.replace(/\.0$/, '')}e${Number(exponent)}`;
}

/** The title line: GraceID and what the plot shows. */
export function plotTitle(model: SkyPlotModel): string {
  const layers = ['GW skymap'];
  if (model.neutrinos !== undefined) layers.push('IceCube neutrinos');
  if (model.ztf !== undefined) layers.push('ZTF candidates');
  const last = layers.pop();
  return `${model.graceid}: ${layers.length > 0 ? `${layers.join(', ')} and ${last}` : last}`;
}

/**
 * The colour map as pixels: every output pixel inside the ellipse is inverse-projected and looked
 * up in the skymap. Mollweide parallels are horizontal lines along which RA is linear in x, so
 * each row needs two inversions, not one per pixel.
 */
export function densityRaster(
  projection: GeoProjection,
  ellipse: { cx: number; cy: number; a: number; b: number },
  lookup: SkyLookup,
  pw: number,
  ph: number,
): Rgba {
  const data = new Uint8ClampedArray(pw * ph * 4);
  const x0 = ellipse.cx - ellipse.a;
  const y0 = ellipse.cy - ellipse.b;
  const sx = (2 * ellipse.a) / pw;
  const sy = (2 * ellipse.b) / ph;
  const scale = lookup.maxDensity > 0 ? (LUT_SIZE - 1) / lookup.maxDensity : 0;
  for (let py = 0; py < ph; py++) {
    const y = y0 + (py + 0.5) * sy;
    const ny = (y - ellipse.cy) / ellipse.b;
    if (Math.abs(ny) >= 1) continue;
    const halfWidth = ellipse.a * Math.sqrt(1 - ny * ny);
    // Two points on the row, well inside the ellipse, give Dec and RA(x) = ra0 + slope·(x − cx).
    const centre = projection.invert?.([ellipse.cx, y]);
    const side = projection.invert?.([ellipse.cx + halfWidth / 2, y]);
    if (!centre || !side) continue;
    const dec = Math.max(-90, Math.min(90, centre[1]));
    let dra = side[0] - centre[0];
    if (dra > 180) dra -= 360;
    if (dra < -180) dra += 360;
    const slope = dra / (halfWidth / 2);
    const first = Math.max(0, Math.ceil((ellipse.cx - halfWidth - x0) / sx - 0.5));
    const last = Math.min(pw - 1, Math.floor((ellipse.cx + halfWidth - x0) / sx - 0.5));
    for (let px = first; px <= last; px++) {
      const x = x0 + (px + 0.5) * sx;
      let ra = (centre[0] + slope * (x - ellipse.cx)) % 360;
      if (ra < 0) ra += 360;
      const pixel = lookup.pixelAt(ra, dec);
      const index = pixel < 0 ? 0 : Math.min(LUT_SIZE - 1, Math.max(0, Math.round((lookup.density[pixel] ?? 0) * scale)));
      const o = (py * pw + px) * 4;
      data[o] = COLOUR_LUT[index * 3]!;
      data[o + 1] = COLOUR_LUT[index * 3 + 1]!;
      data[o + 2] = COLOUR_LUT[index * 3 + 2]!;
      data[o + 3] = 255;
    }
  }
  return { width: pw, height: ph, data };
}

/** Where the parts of the figure go; the zoom panel adds a row below the all-sky map. */
export interface FigureLayout {
  readonly width: number;
  readonly height: number;
  readonly zoom: ZoomGeometry | undefined;
  readonly colourBar: { readonly x: number; readonly y: number; readonly width: number };
  readonly legend: { readonly x: number; readonly y: number; readonly columns: 1 | 2; readonly columnWidth: number };
}

/** A plot ready to draw: the model, its contours and its layout. */
export interface PreparedSkyPlot {
  readonly model: SkyPlotModel;
  readonly contours: ReadonlyMap<number, MultiLineString>;
  readonly layout: FigureLayout;
}

export function prepareSkyPlot(model: SkyPlotModel): PreparedSkyPlot {
  const { lookup } = model;
  // Half a skymap pixel, at least 0.25° (about one PNG pixel) and at most 1°.
  const contourStep = Math.min(1, Math.max(0.25, lookup.resolutionDeg / 2));
  const contours = credibleContours(lookup, CREDIBLE_LEVELS, contourStep);
  const zoom = zoomGeometry(lookup, contours.get(0.9), { x0: 40, y0: 458, x1: 430, y1: 758 });
  const layout: FigureLayout = zoom
    ? { width: FIGURE.width, height: 780, zoom, colourBar: { x: 480, y: 478, width: 260 }, legend: { x: 470, y: 530, columns: 1, columnWidth: 300 } }
    : { width: FIGURE.width, height: FIGURE.height, zoom: undefined, colourBar: { x: 50, y: 462, width: 220 }, legend: { x: 315, y: 456, columns: 2, columnWidth: 205 } };
  return { model, contours, layout };
}

/** Draw the whole figure. */
export function drawSkyPlot(painter: Painter, prepared: PreparedSkyPlot): void {
  const { model, layout } = prepared;
  const projection = skyProjection();
  const ellipse = mapEllipse(projection);
  const pathOn = (sink: PathSink) => geoPath(projection, sink);
  const W = painter.width;

  // Title block.
  painter.text(plotTitle(model), W / 2, 24, { size: 17, color: INK, align: 'center', bold: true });
  const when = model.eventTime === undefined ? 'event time unknown' : `event time ${model.eventTime}`;
  painter.text(`${when}  ·  Mollweide projection, equatorial coordinates (J2000), RA increasing to the left`, W / 2, 43, {
    size: 10.5,
    color: '#444444',
    align: 'center',
  });
  if (model.neutrinos !== undefined && model.neutrinosComplete === false) {
    painter.text('PARTIAL RESULT: MORE ICECUBE EVENTS INCOMING', W / 2, 59, { size: 10.5, color: '#c00000', align: 'center', bold: true });
  }

  // Colour map: each output pixel is inverse-projected and looked up in the skymap.
  const { lookup } = model;
  const maxDensity = lookup.maxDensity;
  const [[bx0, by0], [bx1, by1]] = [
    [ellipse.cx - ellipse.a, ellipse.cy - ellipse.b],
    [ellipse.cx + ellipse.a, ellipse.cy + ellipse.b],
  ];
  // Half the device resolution, interpolated: the density is smooth at that scale and the
  // lookups dominate the rendering time; contours and markers stay sharp vectors on top.
  painter.raster(bx0, by0, bx1 - bx0, by1 - by0, (pw, ph) => densityRaster(projection, ellipse, lookup, pw, ph), 0.5);

  // Graticule: meridians every 2h, parallels every 30°.
  const graticule = geoGraticule().step([30, 30]).extentMajor([[-180, -90], [180, 90]]).precision(1);
  painter.path((sink) => pathOn(sink)(graticule()), { stroke: GRID, lineWidth: 0.5, strokeOpacity: 0.7, dash: [2, 2] });

  // Credible contours.
  const ninety = prepared.contours.get(0.9);
  const fifty = prepared.contours.get(0.5);
  if (ninety) painter.path((sink) => pathOn(sink)(ninety), { stroke: INK, lineWidth: 1.3 });
  if (fifty) painter.path((sink) => pathOn(sink)(fifty), { stroke: INK, lineWidth: 1.0, dash: [4, 2.5] });

  // Outline of the sky.
  painter.path((sink) => pathOn(sink)({ type: 'Sphere' }), { stroke: INK, lineWidth: 1 });

  // Axis labels: RA in hours along the equator, Dec on the left edge.
  for (let hours = 2; hours <= 22; hours += 2) {
    const point = projection([hours * 15, 0]);
    if (!point) continue;
    painter.text(`${hours}h`, point[0], point[1] + 3, { size: 9, color: INK, align: 'center', baseline: 'top', halo: '#ffffff' });
  }
  for (const dec of [-60, -30, 0, 30, 60]) {
    const left = projection([359.999, dec]);
    const right = projection([0.001, dec]);
    if (!left || !right) continue;
    const label = `${dec > 0 ? '+' : dec < 0 ? '-' : ''}${Math.abs(dec)}°`;
    painter.text(label, left[0] - 4, left[1], { size: 9, color: INK, align: 'right', baseline: 'middle' });
    painter.text(label, right[0] + 4, right[1], { size: 9, color: INK, align: 'left', baseline: 'middle' });
  }
  const leftEdge = projection([359.999, 0]);
  const rightEdge = projection([0.001, 0]);
  if (leftEdge) painter.text('24h', leftEdge[0] + 3, leftEdge[1] + 3, { size: 9, color: INK, align: 'left', baseline: 'top', halo: '#ffffff' });
  if (rightEdge) painter.text('0h', rightEdge[0] - 3, rightEdge[1] + 3, { size: 9, color: INK, align: 'right', baseline: 'top', halo: '#ffffff' });

  // ZTF candidates: open diamonds.
  for (const trigger of model.ztf ?? []) {
    const point = projection([trigger.ra, trigger.dec]);
    if (!point) continue;
    drawZtfMarker(painter, point[0], point[1]);
  }

  // Neutrinos: uncertainty circles (true circles on the sphere), × markers, row numbers.
  for (const [index, neutrino] of (model.neutrinos ?? []).entries()) {
    if (neutrino.sigma > 0) {
      const circle = geoCircle().center([neutrino.ra, neutrino.dec]).radius(neutrino.sigma).precision(2)();
      painter.path((sink) => pathOn(sink)(circle), { fill: NEUTRINO, fillOpacity: 0.15, stroke: NEUTRINO, lineWidth: 1.2 });
    }
    const point = projection([neutrino.ra, neutrino.dec]);
    if (!point) continue;
    drawNeutrinoMarker(painter, point[0], point[1], String(index + 1));
  }

  if (layout.zoom) {
    drawZoom(painter, model, layout.zoom);
    // Where the zoom looks, on the all-sky map: solid and in the panel frame's colour, so that it
    // cannot be taken for the dashed 50% contour.
    const outline = geoCircle().center(layout.zoom.centre).radius(layout.zoom.radius).precision(2)();
    painter.path((sink) => pathOn(sink)(outline), ZOOM_OUTLINE);
  }
  drawColourBar(painter, maxDensity * PROB_PER_DEG2, layout.colourBar);
  drawLegend(painter, model, layout.legend, layout.zoom !== undefined);
}

function drawColourBar(painter: Painter, maxPerDeg2: number, at: FigureLayout['colourBar']): void {
  const { x, y, width } = at;
  const height = 11;
  painter.text('GW probability per deg²', x + width / 2, y - 5, { size: 10, color: INK, align: 'center' });
  painter.raster(x, y, width, height, (pw, ph) => {
    const data = new Uint8ClampedArray(pw * ph * 4);
    for (let px = 0; px < pw; px++) {
      const [r, g, b] = colormap((px + 0.5) / pw);
      for (let py = 0; py < ph; py++) {
        const o = (py * pw + px) * 4;
        data[o] = r;
        data[o + 1] = g;
        data[o + 2] = b;
        data[o + 3] = 255;
      }
    }
    return { width: pw, height: ph, data };
  });
  painter.path(
    (sink) => {
      sink.moveTo(x, y);
      sink.lineTo(x + width, y);
      sink.lineTo(x + width, y + height);
      sink.lineTo(x, y + height);
      sink.closePath();
    },
    { stroke: INK, lineWidth: 0.6 },
  );
  for (const tick of niceTicks(maxPerDeg2)) {
    const tx = x + (maxPerDeg2 > 0 ? (tick / maxPerDeg2) * width : 0);
    painter.path(
      (sink) => {
        sink.moveTo(tx, y + height);
        sink.lineTo(tx, y + height + 3);
      },
      { stroke: INK, lineWidth: 0.6 },
    );
    painter.text(formatTick(tick), tx, y + height + 5, { size: 9, color: INK, align: 'center', baseline: 'top' });
  }
}

function drawLegend(painter: Painter, model: SkyPlotModel, at: FigureLayout['legend'], zoom: boolean): void {
  const entries: { draw: (x: number, y: number) => void; label: string }[] = [];
  const line = (dash?: readonly number[], width = 1.3) => (x: number, y: number) =>
    painter.path(
      (sink) => {
        sink.moveTo(x, y);
        sink.lineTo(x + 22, y);
      },
      { stroke: INK, lineWidth: width, ...(dash ? { dash } : {}) },
    );
  const area = (value: number | undefined) =>
    value === undefined || !Number.isFinite(value) ? '' : ` (${value >= 100 ? Math.round(value).toLocaleString('en-US') : Number(value.toPrecision(2))} deg²)`;
  entries.push({ draw: line(undefined, 1.3), label: `90% credible region${area(model.areasDeg2?.ninety)}` });
  entries.push({ draw: line([4, 2.5], 1.0), label: `50% credible region${area(model.areasDeg2?.fifty)}` });
  if (model.neutrinos !== undefined) {
    const count = model.neutrinos.length;
    entries.push({
      draw: (x, y) => {
        painter.path((sink) => sink.arc(x + 11, y, 6, 0, 2 * Math.PI), { fill: NEUTRINO, fillOpacity: 0.15, stroke: NEUTRINO, lineWidth: 1.2 });
        painter.path(
          (sink) => {
            sink.moveTo(x + 8, y - 3);
            sink.lineTo(x + 14, y + 3);
            sink.moveTo(x + 8, y + 3);
            sink.lineTo(x + 14, y - 3);
          },
          { stroke: NEUTRINO, lineWidth: 1.5 },
        );
      },
      label: count === 0 ? 'IceCube neutrinos: none' : `IceCube neutrino (${count}), angular uncertainty`,
    });
  }
  if (model.ztf !== undefined) {
    const count = model.ztf.length;
    entries.push({
      draw: (x, y) =>
        painter.path(
          (sink) => {
            sink.moveTo(x + 11, y - 5);
            sink.lineTo(x + 15, y);
            sink.lineTo(x + 11, y + 5);
            sink.lineTo(x + 7, y);
            sink.closePath();
          },
          { stroke: ZTF, lineWidth: 1.3 },
        ),
      label: count === 0 ? 'ZTF candidates: none' : `ZTF candidate (${count})`,
    });
  }
  if (zoom) {
    entries.push({
      draw: (x, y) =>
        painter.path(
          (sink) => {
            sink.moveTo(x, y);
            sink.lineTo(x + 22, y);
          },
          ZOOM_OUTLINE,
        ),
      label: ZOOM_LEGEND,
    });
  }
  const rowHeight = 17;
  entries.forEach((entry, index) => {
    const column = at.columns === 2 ? (index < 2 ? 0 : 1) : 0;
    const row = at.columns === 2 ? index % 2 : index;
    const x = at.x + column * at.columnWidth;
    const y = at.y + row * rowHeight;
    entry.draw(x, y);
    painter.text(entry.label, x + 28, y, { size: 9.5, color: INK, baseline: 'middle' });
  });
}
