import { ang2pixRadec } from '../healpix/index.js';
import { credibleLevels, pixelIndexAt } from '../skymap/analysis.js';
import type { Skymap } from '../skymap/types.js';

/**
 * Direction → value lookups on a (multi-order) skymap for drawing: the probability density and
 * the greedy credible level (the probability inside the smallest region, built from the densest
 * pixels down, that contains the direction; 0.9 on the 90% contour).
 */
export interface SkyLookup {
  /**
   * Index of the skymap pixel containing the direction, or -1 outside every pixel; resolved at
   * HEALPix order ≤ LOOKUP_ORDER (fast, for all-sky drawing).
   */
  pixelAt(raDeg: number, decDeg: number): number;
  /** The same at the map's own resolution (slower; for the zoom panel). */
  exactPixelAt(raDeg: number, decDeg: number): number;
  /** Probability density per steradian of each pixel. */
  readonly density: Float64Array;
  /** Credible level of each pixel, in [0, 1] (the skymap module's greedy levels). */
  readonly level: Float64Array;
  readonly maxDensity: number;
  /** HEALPix order and NESTED index of each pixel (the skymap's own). */
  readonly order: Uint8Array;
  readonly ipix: Float64Array;
  /** Typical pixel size of the lookup, degrees. */
  readonly resolutionDeg: number;
}

/**
 * Finest HEALPix order the drawing resolves: order 9 pixels are 0.11° across, finer than a PNG
 * pixel of the all-sky map (0.18°) and than the contour grid (0.25°).
 */
export const LOOKUP_ORDER = 9;

export function skyLookup(skymap: Skymap, lookupOrder = LOOKUP_ORDER): SkyLookup {
  const n = skymap.probDensity.length;
  let finest = 0;
  for (let i = 0; i < n; i++) finest = Math.max(finest, skymap.order[i] ?? 0);
  const tableOrder = Math.min(finest, lookupOrder);

  // A direct table at tableOrder: coarser pixels fill their whole range; of several finer pixels
  // inside one table cell, the densest represents it (peaks stay visible).
  const density = skymap.probDensity;
  const table = new Int32Array(12 * 4 ** tableOrder).fill(-1);
  for (let i = 0; i < n; i++) {
    const order = skymap.order[i] ?? 0;
    const ipix = skymap.ipix[i] ?? 0;
    if (order <= tableOrder) {
      const span = 4 ** (tableOrder - order);
      table.fill(i, ipix * span, (ipix + 1) * span);
    } else {
      const cell = Math.floor(ipix / 4 ** (order - tableOrder));
      const current = table[cell] ?? -1;
      if (current < 0 || (skymap.probDensity[i] ?? 0) > (skymap.probDensity[current] ?? 0)) table[cell] = i;
    }
  }

  const level = credibleLevels(skymap);
  let maxDensity = 0;
  for (let i = 0; i < n; i++) maxDensity = Math.max(maxDensity, density[i] ?? 0);

  return {
    density,
    level,
    maxDensity,
    order: skymap.order,
    ipix: skymap.ipix,
    resolutionDeg: Math.sqrt((4 * Math.PI) / (12 * 4 ** tableOrder)) * (180 / Math.PI),
    exactPixelAt(raDeg, decDeg) {
      return pixelIndexAt(skymap, raDeg, Math.max(-90, Math.min(90, decDeg)));
    },
    pixelAt(raDeg, decDeg) {
      return table[ang2pixRadec(tableOrder, raDeg, Math.max(-90, Math.min(90, decDeg)), 'NESTED')] ?? -1;
    },
  };
}
