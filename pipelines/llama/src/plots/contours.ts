import { contours } from 'd3-contour';
import { pix2radec } from '../healpix/index.js';
import type { MultiLineString, Position } from 'geojson';
import type { SkyLookup } from './sky-lookup.js';

/**
 * Credible-region contours as lines on the sphere: marching squares (d3-contour) on a grid of
 * credible levels in RA/Dec, returned as [RA, Dec] line strings so that d3-geo projects and clips
 * them like any other line. Edges of the grid (RA 0/360, the poles) are not contour lines and are
 * dropped, so regions crossing RA = 0 join up seamlessly.
 */
export function credibleContours(lookup: SkyLookup, levels: readonly number[], stepDeg: number): Map<number, MultiLineString> {
  const nx = Math.round(360 / stepDeg);
  const ny = Math.round(180 / stepDeg);
  const mask = regionMask(lookup, Math.max(...levels) + 0.03, stepDeg, nx, ny);
  const values = new Float64Array(nx * ny);
  for (let j = 0; j < ny; j++) {
    const dec = 90 - (j + 0.5) * stepDeg;
    for (let i = 0; i < nx; i++) {
      // Far from every credible region the value is 0 (level 1) without a lookup.
      if (mask[j * nx + i] === 0) continue;
      const pixel = lookup.pixelAt((i + 0.5) * stepDeg, dec);
      // 1 − level: high inside the region, so d3 polygons enclose the credible region.
      values[j * nx + i] = pixel < 0 ? 0 : 1 - (lookup.level[pixel] ?? 1);
    }
  }
  const generator = contours().size([nx, ny]).thresholds(levels.map((level) => 1 - level));
  const result = new Map<number, MultiLineString>();
  const onEdge = (a: Position, b: Position) =>
    (a[0] === 0 && b[0] === 0) || (a[0] === nx && b[0] === nx) || (a[1] === 0 && b[1] === 0) || (a[1] === ny && b[1] === ny);
  const toSky = (p: Position): Position => [(p[0] ?? 0) * stepDeg, 90 - (p[1] ?? 0) * stepDeg];
  for (const polygon of generator(values as unknown as number[])) {
    // d3 returns one polygon per threshold, tagged with its value (not necessarily in our order).
    const level = levels.find((candidate) => Math.abs(1 - candidate - polygon.value) < 1e-12) ?? 1 - polygon.value;
    const lines: Position[][] = [];
    for (const rings of polygon.coordinates) {
      for (const ring of rings) {
        let current: Position[] = [];
        for (let k = 1; k < ring.length; k++) {
          const a = ring[k - 1]!;
          const b = ring[k]!;
          if (onEdge(a, b)) {
            if (current.length > 1) lines.push(current);
            current = [];
            continue;
          }
          if (current.length === 0) current.push(toSky(a));
          current.push(toSky(b));
        }
        if (current.length > 1) lines.push(current);
      }
    }
    result.set(level, { type: 'MultiLineString', coordinates: lines });
  }
  return result;
}

/**
 * Grid cells that may lie near a contour: those within about a degree (or a pixel, for coarse
 * pixels) of a skymap pixel whose credible level is at most `maxLevel`. Looking up only these keeps
 * a fine contour grid cheap for maps whose regions cover a small part of the sky.
 */
function regionMask(lookup: SkyLookup, maxLevel: number, stepDeg: number, nx: number, ny: number): Uint8Array {
  const mask = new Uint8Array(nx * ny);
  const n = lookup.level.length;
  for (let p = 0; p < n; p++) {
    if (!((lookup.level[p] ?? 1) <= maxLevel)) continue;
    const order = lookup.order[p] ?? 0;
    const [ra, dec] = pix2radec(order, lookup.ipix[p] ?? 0, 'NESTED');
    const pixelDeg = Math.sqrt((4 * Math.PI) / (12 * 4 ** order)) * (180 / Math.PI);
    const radius = pixelDeg + 1;
    const j0 = Math.max(0, Math.floor((90 - dec - radius) / stepDeg));
    const j1 = Math.min(ny - 1, Math.ceil((90 - dec + radius) / stepDeg));
    const cosDec = Math.max(Math.cos(((Math.abs(dec) + radius) * Math.PI) / 180), 1e-3);
    const raRadius = Math.min(180, radius / cosDec);
    const i0 = Math.floor((ra - raRadius) / stepDeg);
    const i1 = Math.ceil((ra + raRadius) / stepDeg);
    const nearPole = Math.abs(dec) + radius >= 89;
    for (let j = j0; j <= j1; j++) {
      const row = j * nx;
      if (nearPole || raRadius >= 180) {
        mask.fill(1, row, row + nx);
        continue;
      }
      for (let i = i0; i <= i1; i++) mask[row + (((i % nx) + nx) % nx)] = 1;
    }
  }
  return mask;
}
