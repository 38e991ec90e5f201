import { contours } from 'd3-contour';
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
  const values = new Float64Array(nx * ny);
  for (let j = 0; j < ny; j++) {
    const dec = 90 - (j + 0.5) * stepDeg;
    for (let i = 0; i < nx; i++) {
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
  for (const polygon of generator(Array.from(values))) {
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
