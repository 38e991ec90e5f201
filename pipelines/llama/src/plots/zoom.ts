import { contours } from 'd3-contour';
import { geoAzimuthalEquidistant, geoCircle, geoDistance, geoGraticule, geoPath, type GeoProjection } from 'd3-geo';
import type { MultiLineString } from 'geojson';
import { pix2radec } from '../healpix/index.js';
import { drawNeutrinoMarker, drawZtfMarker } from './markers.js';
import type { Painter, PathSink } from './painter.js';
import type { SkyLookup } from './sky-lookup.js';
import type { SkyPlotModel } from './sky-plot.js';
import { COLOUR_LUT, GRID, INK, LUT_SIZE, NEUTRINO, ZOOM } from './style.js';

/** A zoom panel on the 90% region: where it looks and where it is drawn. */
export interface ZoomGeometry {
  /** [RA, Dec] of the panel's centre, degrees. */
  readonly centre: [number, number];
  /** Angular radius shown (at least) around the centre, degrees. */
  readonly radius: number;
  readonly box: { readonly x0: number; readonly y0: number; readonly x1: number; readonly y1: number };
}

/** Regions larger than this are readable on the all-sky map; no zoom then. */
export const MAX_ZOOM_RADIUS_DEG = 25;
const DEG = 180 / Math.PI;

/**
 * Decide whether a zoom panel helps: centred on the densest pixel, wide enough for the whole 90%
 * contour (plus a margin), and only when that is a small part of the sky.
 */
export function zoomGeometry(lookup: SkyLookup, ninety: MultiLineString | undefined, box: ZoomGeometry['box']): ZoomGeometry | undefined {
  if (ninety === undefined || ninety.coordinates.length === 0) return undefined;
  let densest = -1;
  for (let i = 0; i < lookup.density.length; i++) {
    if (densest < 0 || (lookup.density[i] ?? 0) > (lookup.density[densest] ?? 0)) densest = i;
  }
  if (densest < 0) return undefined;
  const centre = pix2radec(lookup.order[densest] ?? 0, lookup.ipix[densest] ?? 0, 'NESTED');
  let farthest = 0;
  for (const line of ninety.coordinates) {
    for (const point of line) farthest = Math.max(farthest, geoDistance(centre, [point[0] ?? 0, point[1] ?? 0]) * DEG);
  }
  if (farthest > MAX_ZOOM_RADIUS_DEG) return undefined;
  return { centre, radius: Math.max(1.5, farthest * 1.15 + 0.3), box };
}

/** Azimuthal equidistant view on the centre, RA increasing to the left, clipped to the panel. */
export function zoomProjection(zoom: ZoomGeometry): GeoProjection {
  const { box, centre, radius } = zoom;
  return geoAzimuthalEquidistant()
    .rotate([-centre[0], -centre[1]])
    .reflectX(true)
    .precision(0.05)
    .fitExtent([[box.x0 + 4, box.y0 + 4], [box.x1 - 4, box.y1 - 4]], geoCircle().center(centre).radius(radius)())
    .clipExtent([[box.x0, box.y0], [box.x1, box.y1]]);
}

function niceStep(span: number): number {
  for (const step of [0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10, 15, 20, 30, 45]) if (span / step <= 5) return step;
  return 60;
}

function formatDegrees(value: number, step: number): string {
  const decimals = step < 1 ? (step < 0.25 ? 1 : 2) : 0;
  const text = value.toFixed(decimals).replace(/\.?0+$/, (m) => (decimals > 0 && m.startsWith('.') ? '' : m));
  return `${text === '-0' ? '0' : text}°`;
}

/**
 * RA steps of the zoom panel, in minutes of time: RA is labelled in hours as on the all-sky map.
 * Returned in degrees (1 min = 0.25°).
 */
export function niceRaStepDeg(spanDeg: number): number {
  for (const minutes of [1, 2, 4, 5, 10, 15, 20, 30, 60, 120, 180, 240]) if (spanDeg / (minutes / 4) <= 5) return minutes / 4;
  return 90;
}

/** RA in hours and minutes of time, rounded to the minute: `10h`, `9h40m`, `0h04m`. */
export function formatRaHours(raDeg: number): string {
  const minutes = Math.round((((raDeg % 360) + 360) % 360) * 4) % (24 * 60);
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m === 0 ? `${h}h` : `${h}h${String(m).padStart(2, '0')}m`;
}

function unwrap(previous: number | undefined, value: number): number {
  if (previous === undefined) return value;
  let v = value;
  while (v - previous > 180) v -= 360;
  while (v - previous < -180) v += 360;
  return v;
}

/** Points along an edge where a coordinate crosses a multiple of step. */
function edgeCrossings(
  projection: GeoProjection,
  from: [number, number],
  to: [number, number],
  coordinate: 0 | 1,
  step: number,
): { at: [number, number]; value: number }[] {
  const crossings: { at: [number, number]; value: number }[] = [];
  const samples = Math.ceil(Math.hypot(to[0] - from[0], to[1] - from[1]) * 2);
  let previous: number | undefined;
  for (let k = 0; k <= samples; k++) {
    const t = k / samples;
    const at: [number, number] = [from[0] + (to[0] - from[0]) * t, from[1] + (to[1] - from[1]) * t];
    const sky = projection.invert?.(at);
    if (!sky) continue;
    const value = coordinate === 0 ? unwrap(previous, sky[0]) : sky[1];
    if (previous !== undefined && Math.floor(value / step) !== Math.floor(previous / step)) {
      const boundary = Math.max(Math.floor(value / step), Math.floor(previous / step)) * step;
      const normalised = coordinate === 0 ? ((boundary % 360) + 360) % 360 : boundary;
      crossings.push({ at, value: normalised });
    }
    previous = value;
  }
  return crossings;
}

/** Draw the zoom panel: colour map, graticule with edge labels, contours, neutrinos, ZTF. */
export function drawZoom(painter: Painter, model: SkyPlotModel, zoom: ZoomGeometry): void {
  const { box } = zoom;
  const { lookup } = model;
  const projection = zoomProjection(zoom);
  const pathOn = (sink: PathSink) => geoPath(projection, sink);
  const width = box.x1 - box.x0;
  const height = box.y1 - box.y0;
  const [cra, cdec] = zoom.centre;
  painter.text(
    `Zoom on the 90% credible region, centred at RA ${formatRaHours(cra)}, Dec ${cdec >= 0 ? '+' : '-'}${Math.abs(cdec).toFixed(1)}°`,
    box.x0,
    box.y0 - 5,
    { size: 9.5, color: INK, bold: true },
  );

  const scale = lookup.maxDensity > 0 ? (LUT_SIZE - 1) / lookup.maxDensity : 0;
  painter.raster(box.x0, box.y0, width, height, (pw, ph) => {
    const data = new Uint8ClampedArray(pw * ph * 4);
    for (let py = 0; py < ph; py++) {
      for (let px = 0; px < pw; px++) {
        const sky = projection.invert?.([box.x0 + ((px + 0.5) * width) / pw, box.y0 + ((py + 0.5) * height) / ph]);
        const o = (py * pw + px) * 4;
        data[o + 3] = 255;
        if (!sky || !Number.isFinite(sky[0]) || !Number.isFinite(sky[1])) {
          data[o] = data[o + 1] = data[o + 2] = 255;
          continue;
        }
        const pixel = lookup.exactPixelAt(((sky[0] % 360) + 360) % 360, Math.max(-90, Math.min(90, sky[1])));
        const index = pixel < 0 ? 0 : Math.min(LUT_SIZE - 1, Math.max(0, Math.round((lookup.density[pixel] ?? 0) * scale)));
        data[o] = COLOUR_LUT[index * 3]!;
        data[o + 1] = COLOUR_LUT[index * 3 + 1]!;
        data[o + 2] = COLOUR_LUT[index * 3 + 2]!;
      }
    }
    return { width: pw, height: ph, data };
  }, 0.5);

  // Graticule: about four lines across; RA steps widened towards the poles.
  const span = (2 * zoom.radius * width) / height;
  const decStep = niceStep(2 * zoom.radius);
  const raStep = niceRaStepDeg(span / Math.max(0.2, Math.cos((Math.min(80, Math.abs(cdec)) * Math.PI) / 180)));
  // Only around the panel: a whole-sphere graticule at this precision costs a second.
  const reach = (zoom.radius * Math.hypot(width, height)) / height + decStep;
  const decMin = Math.max(-90, cdec - reach);
  const decMax = Math.min(90, cdec + reach);
  const polar = decMin <= -89 || decMax >= 89;
  const raReach = polar ? 180 : Math.min(180, reach / Math.cos((Math.max(Math.abs(decMin), Math.abs(decMax)) * Math.PI) / 180));
  const graticule = geoGraticule()
    .extent([[cra - raReach, decMin], [cra + raReach, decMax]])
    .step([raStep, decStep])
    .precision(Math.min(decStep, raStep) / 20);
  painter.path((sink) => pathOn(sink)(graticule()), { stroke: GRID, lineWidth: 0.5, strokeOpacity: 0.7, dash: [2, 2] });

  // Contours in the panel's own pixels: marching squares on a 1-unit grid, sharp at any zoom.
  const nx = Math.ceil(width);
  const ny = Math.ceil(height);
  const values = new Float64Array(nx * ny);
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      const sky = projection.invert?.([box.x0 + i + 0.5, box.y0 + j + 0.5]);
      if (!sky) continue;
      const pixel = lookup.exactPixelAt(((sky[0] % 360) + 360) % 360, Math.max(-90, Math.min(90, sky[1])));
      values[j * nx + i] = pixel < 0 ? 0 : 1 - (lookup.level[pixel] ?? 1);
    }
  }
  const onEdge = (a: number[], b: number[]) =>
    (a[0] === 0 && b[0] === 0) || (a[0] === nx && b[0] === nx) || (a[1] === 0 && b[1] === 0) || (a[1] === ny && b[1] === ny);
  for (const polygon of contours().size([nx, ny]).thresholds([0.1, 0.5])(values as unknown as number[])) {
    const ninety = Math.abs(polygon.value - 0.1) < 1e-9;
    painter.path(
      (sink) => {
        for (const rings of polygon.coordinates) {
          for (const ring of rings) {
            let drawing = false;
            for (let k = 1; k < ring.length; k++) {
              const a = ring[k - 1]!;
              const b = ring[k]!;
              if (onEdge(a, b)) {
                drawing = false;
                continue;
              }
              if (!drawing) sink.moveTo(box.x0 + a[0]!, box.y0 + a[1]!);
              sink.lineTo(box.x0 + b[0]!, box.y0 + b[1]!);
              drawing = true;
            }
          }
        }
      },
      ninety ? { stroke: INK, lineWidth: 1.3 } : { stroke: INK, lineWidth: 1.0, dash: [4, 2.5] },
    );
  }

  const inside = (point: [number, number] | null, ra: number, dec: number): point is [number, number] =>
    point !== null &&
    geoDistance(zoom.centre, [ra, dec]) < Math.PI / 2 &&
    point[0] >= box.x0 && point[0] <= box.x1 && point[1] >= box.y0 && point[1] <= box.y1;

  for (const trigger of model.ztf ?? []) {
    const point = projection([trigger.ra, trigger.dec]);
    if (!inside(point, trigger.ra, trigger.dec)) continue;
    drawZtfMarker(painter, point[0], point[1]);
  }
  for (const [index, neutrino] of (model.neutrinos ?? []).entries()) {
    if (neutrino.sigma > 0 && geoDistance(zoom.centre, [neutrino.ra, neutrino.dec]) * DEG < 90 + neutrino.sigma) {
      const circle = geoCircle().center([neutrino.ra, neutrino.dec]).radius(neutrino.sigma).precision(1)();
      painter.path((sink) => pathOn(sink)(circle), { fill: NEUTRINO, fillOpacity: 0.15, stroke: NEUTRINO, lineWidth: 1.2 });
    }
    const point = projection([neutrino.ra, neutrino.dec]);
    if (!inside(point, neutrino.ra, neutrino.dec)) continue;
    drawNeutrinoMarker(painter, point[0], point[1], String(index + 1));
  }

  // Frame and edge labels (RA in hours along the bottom, as on the all-sky map; Dec along the left).
  painter.path(
    (sink) => {
      sink.moveTo(box.x0, box.y0);
      sink.lineTo(box.x1, box.y0);
      sink.lineTo(box.x1, box.y1);
      sink.lineTo(box.x0, box.y1);
      sink.closePath();
    },
    // In the outline's colour, which marks this region on the all-sky map.
    { stroke: ZOOM, lineWidth: 1.2 },
  );
  let lastX = -Infinity;
  for (const { at, value } of edgeCrossings(projection, [box.x0, box.y1], [box.x1, box.y1], 0, raStep)) {
    if (at[0] - lastX < 34 || at[0] < box.x0 + 12 || at[0] > box.x1 - 12) continue;
    painter.text(formatRaHours(value), at[0], box.y1 + 3, { size: 8.5, color: INK, align: 'center', baseline: 'top' });
    lastX = at[0];
  }
  let lastY = -Infinity;
  for (const { at, value } of edgeCrossings(projection, [box.x0, box.y0], [box.x0, box.y1], 1, decStep)) {
    if (at[1] - lastY < 14 || at[1] < box.y0 + 6 || at[1] > box.y1 - 6) continue;
    painter.text(`${value > 0 ? '+' : ''}${formatDegrees(value, decStep)}`, box.x0 - 3, at[1], { size: 8.5, color: INK, align: 'right', baseline: 'middle' });
    lastY = at[1];
  }
  painter.text('RA', box.x1 + 3, box.y1 + 3, { size: 8.5, color: INK, baseline: 'top' });
  painter.text('Dec', box.x0 - 3, box.y0 + 8, { size: 8.5, color: INK, align: 'right', baseline: 'middle' });
}
