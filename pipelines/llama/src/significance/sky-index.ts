import { orderToNpix, pix2vec, pixelAreaSr, queryDiscCentres } from '../healpix/index.js';
import type { Skymap } from '../skymap/types.js';

/** Solid angle of a pixel by order (sr). */
const AREA_BY_ORDER = Float64Array.from({ length: 30 }, (_, o) => pixelAreaSr(Math.min(o, 24)));

/**
 * A spatial index over a (multi-order) skymap's own pixels, so a neutrino's PSF integral visits
 * only the pixels near it. Pixels are bucketed by their ancestor (or descendants, for pixels
 * coarser than the bucket order) at a coarse order; a disc query picks buckets with the HEALPix
 * disc query and then tests pixel centres. A complete flat NESTED map in index order (the usual
 * LvcSkymapHdf5 layout) needs no buckets: a bucket is a contiguous index range. Pixel centres are
 * computed lazily and cached.
 */
export class SkyIndex {
  readonly skymap: Skymap;
  readonly size: number;
  readonly coarseOrder: number;
  /** For complete flat NESTED maps in index order: the map's order; otherwise -1. */
  private readonly flatOrder: number;
  private readonly cellStart: Int32Array;
  private readonly cellPixels: Int32Array;
  /** Unit vectors of pixel centres; NaN until computed. */
  readonly vx: Float64Array;
  readonly vy: Float64Array;
  readonly vz: Float64Array;
  private readonly stamp: Uint32Array;
  private query = 0;

  constructor(skymap: Skymap) {
    this.skymap = skymap;
    const n = skymap.probDensity.length;
    this.size = n;
    if (skymap.order.length !== n || skymap.ipix.length !== n) {
      throw new RangeError('skymap: order, ipix and probDensity must have the same length');
    }
    let maxOrder = 0;
    let minOrder = 99;
    for (let p = 0; p < n; p++) {
      const o = skymap.order[p] as number;
      if (o > maxOrder) maxOrder = o;
      if (o < minOrder) minOrder = o;
    }
    const K = Math.min(maxOrder, 6);
    this.coarseOrder = K;
    let flat = minOrder === maxOrder && n === orderToNpix(maxOrder);
    for (let p = 0; flat && p < n; p += 997) flat = skymap.ipix[p] === p;
    flat = flat && skymap.ipix[n - 1] === n - 1;
    this.flatOrder = flat ? maxOrder : -1;
    const ncell = orderToNpix(K);
    if (flat) {
      this.cellStart = new Int32Array(0);
      this.cellPixels = new Int32Array(0);
    } else {
      const counts = new Int32Array(ncell + 1);
      const forEachCell = (p: number, visit: (cell: number) => void): void => {
        const o = skymap.order[p] as number;
        const ipix = skymap.ipix[p] as number;
        if (o >= K) {
          visit(Math.floor(ipix / 4 ** (o - K)));
        } else {
          const span = 4 ** (K - o);
          for (let c = ipix * span; c < (ipix + 1) * span; c++) visit(c);
        }
      };
      for (let p = 0; p < n; p++) {
        if (!((skymap.probDensity[p] as number) > 0)) continue;
        forEachCell(p, (c) => {
          counts[c + 1] = (counts[c + 1] as number) + 1;
        });
      }
      for (let c = 0; c < ncell; c++) counts[c + 1] = (counts[c + 1] as number) + (counts[c] as number);
      this.cellStart = counts;
      this.cellPixels = new Int32Array(counts[ncell] as number);
      const fill = counts.slice(0, ncell);
      for (let p = 0; p < n; p++) {
        if (!((skymap.probDensity[p] as number) > 0)) continue;
        forEachCell(p, (c) => {
          this.cellPixels[fill[c] as number] = p;
          fill[c] = (fill[c] as number) + 1;
        });
      }
    }
    this.vx = new Float64Array(n).fill(NaN);
    this.vy = new Float64Array(n);
    this.vz = new Float64Array(n);
    this.stamp = new Uint32Array(n);
  }

  /** Solid angle of pixel p (sr). */
  area(p: number): number {
    return AREA_BY_ORDER[this.skymap.order[p] as number] as number;
  }

  /** Make sure pixel p's centre vector is cached. */
  centre(p: number): void {
    if (!Number.isNaN(this.vx[p] as number)) return;
    const [x, y, z] = pix2vec(this.skymap.order[p] as number, this.skymap.ipix[p] as number, 'NESTED');
    this.vx[p] = x;
    this.vy[p] = y;
    this.vz[p] = z;
  }

  /** The coarse cell (at `coarseOrder`) holding pixel p, for pixels at or below that order. */
  coarseCellOf(p: number): number {
    const o = this.skymap.order[p] as number;
    return o >= this.coarseOrder ? Math.floor((this.skymap.ipix[p] as number) / 4 ** (o - this.coarseOrder)) : -1;
  }

  /**
   * Pixels (with positive probability) that may overlap the disc of `radius` radians around the
   * unit vector (x, y, z): pixels whose centre lies within radius + the pixel's own half-diagonal.
   */
  disc(x: number, y: number, z: number, radius: number): number[] {
    this.query = (this.query + 1) >>> 0;
    if (this.query === 0) {
      this.stamp.fill(0);
      this.query = 1;
    }
    const K = this.coarseOrder;
    const cellSlack = (1.4 * Math.sqrt(Math.PI / 3)) / 2 ** K;
    const theta = Math.acos(Math.max(-1, Math.min(1, z)));
    const phi = Math.atan2(y, x);
    const cells = radius + cellSlack >= Math.PI
      ? Array.from({ length: orderToNpix(K) }, (_, i) => i)
      : queryDiscCentres(K, theta, phi < 0 ? phi + 2 * Math.PI : phi, radius + cellSlack);
    const out: number[] = [];
    const consider = (p: number): void => {
      if (this.stamp[p] === this.query || !((this.skymap.probDensity[p] as number) > 0)) return;
      this.stamp[p] = this.query;
      this.centre(p);
      const dot = x * (this.vx[p] as number) + y * (this.vy[p] as number) + z * (this.vz[p] as number);
      const slack = (1.4 * Math.sqrt(Math.PI / 3)) / 2 ** (this.skymap.order[p] as number);
      const reach = radius + slack;
      if (reach >= Math.PI || dot >= Math.cos(reach)) out.push(p);
    };
    if (this.flatOrder >= 0) {
      const span = 4 ** (this.flatOrder - K);
      for (const c of cells) for (let p = c * span; p < (c + 1) * span; p++) consider(p);
      return out;
    }
    for (const c of cells) {
      const end = this.cellStart[c + 1] as number;
      for (let q = this.cellStart[c] as number; q < end; q++) consider(this.cellPixels[q] as number);
    }
    return out;
  }
}
