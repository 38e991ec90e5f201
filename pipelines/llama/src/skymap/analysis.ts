/**
 * Figures derived from a skymap, computed on its native pixels: credible levels and areas, the
 * maximum-probability direction, the all-sky distance moments, the density at a direction, and
 * flattening a multi-order map to one order.
 *
 * Credible regions follow the fixtures' (healpy) convention: pixels sorted by probability density,
 * descending, are counted until the cumulative probability reaches the level, *including* the
 * pixel that crosses it. On a multi-order map this is computed as on the map flattened to its
 * finest order, so a coarse crossing pixel contributes only the sub-pixels needed to reach the level.
 */
import { ang2pixRadec, nest2ring, orderToNpix, pix2radec, pixelAreaDeg2, pixelAreaSr } from '../healpix/index.js';
import type { Skymap } from './types.js';

const SR_TO_DEG2 = (180 / Math.PI) ** 2;

// ---------------------------------------------------------------------------------------------
// Sorting: an LSD radix argsort (4 passes of 16 bits over the IEEE-754 bits of non-negative
// doubles, whose bit patterns order like the numbers). Sorting 12.6M pixels this way takes a
// fraction of a second, where a comparator sort of an index array takes many seconds.

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Indices that order `values` by decreasing value; ties keep increasing index order. NaN and
 * negative values count as 0.
 */
export function argsortDescending(values: Float64Array): Uint32Array {
  const n = values.length;
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    keys[i] = v > 0 ? v : 0;
  }
  const words = new Uint32Array(keys.buffer);
  const loWord = LITTLE_ENDIAN ? 0 : 1;
  const hiWord = 1 - loWord;
  let index = new Uint32Array(n);
  for (let i = 0; i < n; i++) index[i] = i;
  let scratch = new Uint32Array(n);
  const counts = new Uint32Array(65537);
  for (let pass = 0; pass < 4; pass++) {
    const word = pass < 2 ? loWord : hiWord;
    const shift = pass % 2 === 0 ? 0 : 16;
    counts.fill(0);
    // Complemented digits make an ascending stable sort a descending one with stable ties.
    for (let i = 0; i < n; i++) counts[0xffff - ((words[2 * i + word]! >>> shift) & 0xffff) + 1]!++;
    if (counts.some((c) => c === n)) continue;
    for (let d = 1; d <= 65536; d++) counts[d]! += counts[d - 1]!;
    for (let i = 0; i < n; i++) {
      const k = index[i]!;
      const digit = 0xffff - ((words[2 * k + word]! >>> shift) & 0xffff);
      scratch[counts[digit]!++] = k;
    }
    [index, scratch] = [scratch, index];
  }
  return index;
}

// ---------------------------------------------------------------------------------------------
// Cached per-skymap derived arrays (a skymap is immutable once read).

interface Derived {
  flat?: boolean;
  probability?: Float64Array;
  total?: number;
  ranking?: Uint32Array;
  levels?: Float64Array;
  lookup?: PixelLookup;
}

const cache = new WeakMap<Skymap, Derived>();

function derived(skymap: Skymap): Derived {
  let entry = cache.get(skymap);
  if (entry === undefined) {
    entry = {};
    cache.set(skymap, entry);
  }
  return entry;
}

/** True when every pixel has the same order and ipix[i] = i (a flat NESTED map). */
export function isFlat(skymap: Skymap): boolean {
  const entry = derived(skymap);
  if (entry.flat === undefined) {
    const { order, ipix } = skymap;
    const maxOrder = skymap.meta.maxOrder;
    const n = order.length;
    let flat = n === orderToNpix(maxOrder);
    for (let i = 0; flat && i < n; i++) flat = order[i] === maxOrder && ipix[i] === i;
    entry.flat = flat;
  }
  return entry.flat;
}

/** Probability in each pixel (density × pixel area). */
export function pixelProbabilities(skymap: Skymap): Float64Array {
  const entry = derived(skymap);
  if (entry.probability === undefined) {
    const { order, probDensity } = skymap;
    const probability = new Float64Array(probDensity.length);
    const areaByOrder = Float64Array.from({ length: 32 }, (_, o) => pixelAreaSr(o));
    let total = 0;
    for (let i = 0; i < probability.length; i++) {
      const p = probDensity[i]! * areaByOrder[order[i]!]!;
      probability[i] = p;
      if (p > 0) total += p;
    }
    entry.probability = probability;
    entry.total = total;
  }
  return entry.probability;
}

/** Sum of the (positive) pixel probabilities; 1 for a normalised map. */
export function totalProbability(skymap: Skymap): number {
  pixelProbabilities(skymap);
  return derived(skymap).total!;
}

/** Pixel indices by decreasing probability density. */
export function densityRanking(skymap: Skymap): Uint32Array {
  const entry = derived(skymap);
  entry.ranking ??= argsortDescending(skymap.probDensity);
  return entry.ranking;
}

/**
 * Credible level of each pixel: the normalised cumulative probability of all pixels at least as
 * dense, this one included (ligo.skymap's find_greedy_credible_levels). A pixel belongs to the
 * region of level L when its level minus its own probability is below L (see inCredibleRegion).
 */
export function credibleLevels(skymap: Skymap): Float64Array {
  const entry = derived(skymap);
  if (entry.levels === undefined) {
    const probability = pixelProbabilities(skymap);
    const total = totalProbability(skymap);
    const ranking = densityRanking(skymap);
    const levels = new Float64Array(probability.length);
    let cumulative = 0;
    for (let k = 0; k < ranking.length; k++) {
      const i = ranking[k]!;
      const p = probability[i]!;
      if (p > 0) cumulative += p;
      levels[i] = total > 0 ? cumulative / total : NaN;
    }
    entry.levels = levels;
  }
  return entry.levels;
}

/**
 * Whether pixel `index` lies in the smallest region holding `level` (crossing pixel included):
 * the probability of the pixels ranked before it (denser, or as dense with a lower index) is
 * below the level. One pass over the pixels, no sort, unless credibleLevels was computed already.
 */
export function pixelInCredibleRegion(skymap: Skymap, index: number, level: number): boolean {
  const probability = pixelProbabilities(skymap);
  const total = totalProbability(skymap);
  const cached = derived(skymap).levels;
  if (cached !== undefined) return cached[index]! - Math.max(0, probability[index]!) / total < level;
  const density = skymap.probDensity;
  const own = density[index]! > 0 ? density[index]! : 0;
  let before = 0;
  for (let j = 0; j < density.length; j++) {
    const d = density[j]! > 0 ? density[j]! : 0;
    if (d > own || (d === own && j < index)) before += Math.max(0, probability[j]!);
  }
  return before < level * total;
}

/**
 * Areas (deg²) of the smallest regions holding each credible level (0 < level ≤ 1), counting the
 * crossing pixel; on multi-order maps, at the resolution of the finest order.
 *
 * No full sort: pixels are binned by the top 16 bits of their density (which order like the
 * densities), whole bins are counted until the one where a level is crossed, and only that bin is
 * sorted. The result is the same as walking the fully sorted pixels.
 */
export function credibleAreas(skymap: Skymap, levels: readonly number[]): number[] {
  for (const level of levels) {
    if (!(level > 0 && level <= 1)) throw new RangeError(`credible level must be in (0, 1], got ${level}`);
  }
  const probability = pixelProbabilities(skymap);
  const total = totalProbability(skymap);
  const { order, probDensity } = skymap;
  const maxOrder = skymap.meta.maxOrder;
  const n = probDensity.length;
  const areaByOrder = Float64Array.from({ length: 32 }, (_, o) => pixelAreaSr(o));
  const keys = new Float64Array(1);
  const keyWords = new Uint32Array(keys.buffer);
  const hiWord = LITTLE_ENDIAN ? 1 : 0;
  const binOf = (d: number): number => {
    keys[0] = d > 0 ? d : 0;
    return keyWords[hiWord]! >>> 16;
  };
  const binProbability = new Float64Array(65536);
  const binArea = new Float64Array(65536);
  const binCount = new Uint32Array(65536);
  const bins = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    const bin = binOf(probDensity[i]!);
    bins[i] = bin;
    binProbability[bin]! += Math.max(0, probability[i]!);
    binArea[bin]! += areaByOrder[order[i]!]!;
    binCount[bin]!++;
  }
  const wanted = levels.map((level, position) => ({ level, position })).sort((a, b) => a.level - b.level);
  const areas = new Array<number>(levels.length).fill(NaN);
  let next = 0;
  let cumulative = 0;
  let areaSr = 0;
  for (let bin = 65535; bin >= 0 && next < wanted.length; bin--) {
    if (binCount[bin] === 0) continue;
    if (cumulative + binProbability[bin]! < wanted[next]!.level * total) {
      cumulative += binProbability[bin]!;
      areaSr += binArea[bin]!;
      continue;
    }
    // A level is crossed in this bin: walk its pixels in exact density order.
    const members = new Uint32Array(binCount[bin]!);
    for (let i = 0, k = 0; i < n; i++) if (bins[i] === bin) members[k++] = i;
    const ranking = argsortDescending(Float64Array.from(members, (i) => probDensity[i]!));
    for (let k = 0; k < ranking.length && next < wanted.length; k++) {
      const i = members[ranking[k]!]!;
      const p = Math.max(0, probability[i]!);
      const pixelArea = areaByOrder[order[i]!]!;
      const before = cumulative;
      cumulative += p;
      while (next < wanted.length && cumulative >= wanted[next]!.level * total) {
        const target = wanted[next]!.level * total;
        const depth = maxOrder - order[i]!;
        let counted = pixelArea;
        if (depth > 0 && p > 0) {
          // Only as many finest-order sub-pixels (of equal probability) as reach the level.
          const subpixels = 4 ** depth;
          const needed = Math.min(subpixels, Math.max(1, Math.ceil(((target - before) / p) * subpixels - 1e-9)));
          counted = needed * areaByOrder[maxOrder]!;
        }
        areas[wanted[next]!.position] = (areaSr + counted) * SR_TO_DEG2;
        next++;
      }
      areaSr += pixelArea;
    }
  }
  // Levels never reached (rounding at level 1): the whole area with probability.
  for (let j = next; j < wanted.length; j++) areas[wanted[j]!.position] = areaSr * SR_TO_DEG2;
  return areas;
}

// ---------------------------------------------------------------------------------------------
// Directions.

/** Maps a direction to the native pixel containing it; built once per multi-order skymap. */
class PixelLookup {
  /** Start of each pixel's range of finest-order NESTED indices, sorted, and its row. */
  private readonly starts: Float64Array;
  private readonly ends: Float64Array;
  private readonly rows: Uint32Array;

  constructor(skymap: Skymap) {
    const n = skymap.order.length;
    const maxOrder = skymap.meta.maxOrder;
    const starts = new Float64Array(n);
    for (let i = 0; i < n; i++) starts[i] = skymap.ipix[i]! * 4 ** (maxOrder - skymap.order[i]!);
    const rows = Uint32Array.from({ length: n }, (_, i) => i).sort((a, b) => starts[a]! - starts[b]!);
    this.rows = rows;
    this.starts = Float64Array.from(rows, (r) => starts[r]!);
    this.ends = Float64Array.from(rows, (r) => starts[r]! + 4 ** (maxOrder - skymap.order[r]!));
  }

  /** Row of the pixel holding this finest-order NESTED index, or -1 where the map has none. */
  find(finest: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid]! <= finest) lo = mid + 1;
      else hi = mid - 1;
    }
    return hi >= 0 && finest < this.ends[hi]! ? this.rows[hi]! : -1;
  }
}

/** Row (native pixel) of the skymap that contains the direction, or -1 if the map omits it. */
export function pixelIndexAt(skymap: Skymap, raDeg: number, decDeg: number): number {
  const finest = ang2pixRadec(skymap.meta.maxOrder, raDeg, decDeg, 'NESTED');
  if (isFlat(skymap)) return finest;
  const entry = derived(skymap);
  entry.lookup ??= new PixelLookup(skymap);
  return entry.lookup.find(finest);
}

/** Probability density (per sr) at a direction; 0 where a partial map has no pixel. */
export function densityAt(skymap: Skymap, raDeg: number, decDeg: number): number {
  const row = pixelIndexAt(skymap, raDeg, decDeg);
  return row < 0 ? 0 : skymap.probDensity[row]!;
}

/** Whether a direction lies in the smallest region holding `level` of the probability. */
export function inCredibleRegion(skymap: Skymap, raDeg: number, decDeg: number, level = 0.9): boolean {
  const row = pixelIndexAt(skymap, raDeg, decDeg);
  return row >= 0 && pixelInCredibleRegion(skymap, row, level);
}

/**
 * Credible level at a direction (see credibleLevels): the contour a plot draws at 0.5 and 0.9.
 * NaN where a partial map has no pixel. Sorts all pixels once per skymap (cached).
 */
export function credibleLevelAt(skymap: Skymap, raDeg: number, decDeg: number): number {
  const row = pixelIndexAt(skymap, raDeg, decDeg);
  return row < 0 ? NaN : credibleLevels(skymap)[row]!;
}

/** Densities (per sr) at many directions (degrees), e.g. the pixels of a plot; 0 where uncovered. */
export function densitiesAt(skymap: Skymap, raDeg: ArrayLike<number>, decDeg: ArrayLike<number>): Float64Array {
  if (raDeg.length !== decDeg.length) throw new RangeError(`densitiesAt: ${raDeg.length} RAs but ${decDeg.length} Decs`);
  const out = new Float64Array(raDeg.length);
  for (let k = 0; k < out.length; k++) out[k] = densityAt(skymap, raDeg[k]!, decDeg[k]!);
  return out;
}

export interface Direction {
  readonly ra: number;
  readonly dec: number;
}

/**
 * The centre of the densest pixel, at the finest order (on a multi-order map, the first
 * finest-order sub-pixel of the densest pixel, as argmax on the flattened NESTED map picks).
 */
export function maxProbabilityDirection(skymap: Skymap): Direction & { readonly row: number } {
  const { probDensity, order, ipix } = skymap;
  const maxOrder = skymap.meta.maxOrder;
  let best = -1;
  let bestFinest = Infinity;
  for (let i = 0; i < probDensity.length; i++) {
    const d = probDensity[i]!;
    if (!(d >= 0)) continue;
    const bestDensity = best < 0 ? -1 : probDensity[best]!;
    if (d > bestDensity || (d === bestDensity && ipix[i]! * 4 ** (maxOrder - order[i]!) < bestFinest)) {
      best = i;
      bestFinest = ipix[i]! * 4 ** (maxOrder - order[i]!);
    }
  }
  if (best < 0) throw new RangeError('the skymap has no pixel with a finite probability density');
  const [ra, dec] = pix2radec(maxOrder, bestFinest, 'NESTED');
  return { ra, dec, row: best };
}

// ---------------------------------------------------------------------------------------------
// Distances (Singer et al. 2016, ApJL 829 L15): p(r | pixel) = DISTNORM · r² · N(r; DISTMU, DISTSIGMA).

const SQRT_PI = Math.sqrt(Math.PI);
const SQRT2 = Math.SQRT2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** exp(x²)·erfc(x) for x ≥ 0: Taylor series of erf below 2, a continued fraction above. */
function erfcxNonNegative(x: number): number {
  if (x < 2) {
    // erf(x) = 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1))
    let term = x;
    let sum = x;
    const x2 = x * x;
    for (let n = 1; n < 80; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.exp(x2) * (1 - (2 / SQRT_PI) * sum);
  }
  // erfc(x) = exp(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated with Lentz's method.
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    d = x + a * d;
    d = Math.abs(d) < tiny ? tiny : d;
    c = x + a / c;
    c = Math.abs(c) < tiny ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return 1 / (SQRT_PI * f);
}

/**
 * R(a) = Φ(a)/φ(a) (Φ, φ: the standard normal CDF and density), for a in [-TABLE_LIMIT, TABLE_LIMIT].
 * Evaluated from a table every 1/64 and a Taylor series around the nearest entry (derivatives of
 * φ are Hermite polynomials: Φ(a0 + h) = Φ(a0) + φ(a0) Σ (-1)^n He_n(a0) h^(n+1)/(n+1)!), so a
 * 12.6M-pixel map needs no 12.6M erfc evaluations. Relative error below 1e-13.
 */
const TABLE_STEP = 1 / 64;
const TABLE_LIMIT = 36;
const TAYLOR_TERMS = 11;
let millsTable: { ratio: Float64Array; coefficients: Float64Array } | undefined;

function exactMillsRatio(a: number): number {
  // For a ≥ 0, Φ(a) = 1 - erfc(a/√2)/2; for a < 0, Φ(a) = erfc(-a/√2)/2 = erfcx(-a/√2)·e^(-a²/2)/2.
  if (a < 0) return Math.sqrt(Math.PI / 2) * erfcxNonNegative(-a / SQRT2);
  const phi = INV_SQRT_2PI * Math.exp(-0.5 * a * a);
  return (1 - 0.5 * Math.exp(-0.5 * a * a) * erfcxNonNegative(a / SQRT2)) / phi;
}

function millsRatio(a: number): number {
  if (millsTable === undefined) {
    const size = Math.round((2 * TABLE_LIMIT) / TABLE_STEP) + 1;
    const ratio = new Float64Array(size);
    const coefficients = new Float64Array(size * TAYLOR_TERMS);
    for (let k = 0; k < size; k++) {
      const a0 = -TABLE_LIMIT + k * TABLE_STEP;
      ratio[k] = exactMillsRatio(a0);
      let previous = 1; // He_0
      let current = a0; // He_1
      let factorial = 1;
      for (let n = 0; n < TAYLOR_TERMS; n++) {
        factorial *= n + 1;
        const hermite = n === 0 ? 1 : current;
        coefficients[k * TAYLOR_TERMS + n] = ((n % 2 === 0 ? 1 : -1) * hermite) / factorial;
        if (n >= 1) {
          const following = a0 * current - n * previous;
          previous = current;
          current = following;
        }
      }
    }
    millsTable = { ratio, coefficients };
  }
  const k = Math.round((a + TABLE_LIMIT) / TABLE_STEP);
  const a0 = -TABLE_LIMIT + k * TABLE_STEP;
  const h = a - a0;
  const { ratio, coefficients } = millsTable;
  let series = 0;
  for (let n = TAYLOR_TERMS - 1; n >= 0; n--) series = series * h + coefficients[k * TAYLOR_TERMS + n]!;
  // Φ(a)/φ(a) = (Φ(a0)/φ(a0) + h·series)·φ(a0)/φ(a), and φ(a0)/φ(a) = exp(a0·h + h²/2).
  return (ratio[k]! + h * series) * Math.exp(a0 * h + 0.5 * h * h);
}

/**
 * Conditional mean and second moment of r in one pixel: [E(r), E(r²)], or undefined when the
 * parameters carry no distance information (non-finite or non-positive sigma).
 */
export function pixelDistanceMoments(mu: number, sigma: number): [number, number] | undefined {
  if (!Number.isFinite(mu) || !(sigma > 0) || !Number.isFinite(sigma)) return undefined;
  const a = mu / sigma;
  // J_n = ∫_{-a}^∞ t^n φ(t) dt, all divided by φ(a) (so J_1 = 1, J_0 = Φ(a)/φ(a)) to avoid
  // underflow for a ≪ 0; beyond the table, a ≫ 0 is a plain Gaussian (J_0 = 1, J_1 = φ(a) ≈ 0).
  let j0: number;
  let j1: number;
  if (a > TABLE_LIMIT) {
    j0 = 1;
    j1 = INV_SQRT_2PI * Math.exp(-0.5 * a * a);
  } else {
    j0 = a < -TABLE_LIMIT ? exactMillsRatio(a) : millsRatio(a);
    j1 = 1;
  }
  const j2 = j0 - a * j1;
  const j3 = (a * a + 2) * j1;
  const j4 = 3 * j0 - (a * a * a + 3 * a) * j1;
  const a2 = a * a;
  const m2 = a2 * j0 + 2 * a * j1 + j2;
  const m3 = a2 * a * j0 + 3 * a2 * j1 + 3 * a * j2 + j3;
  const m4 = a2 * a2 * j0 + 4 * a2 * a * j1 + 6 * a2 * j2 + 4 * a * j3 + j4;
  if (!(m2 > 0) || !Number.isFinite(m3) || !Number.isFinite(m4)) return undefined;
  return [(sigma * m3) / m2, (sigma * sigma * m4) / m2];
}

/** Exported for tests: the table-based and the direct Φ(a)/φ(a). */
export const _millsRatioForTests = { table: millsRatio, exact: exactMillsRatio };

export interface DistanceSummary {
  /** Posterior mean distance, Mpc. */
  readonly mean: number;
  /** Posterior standard deviation, Mpc. */
  readonly std: number;
  /** 'ansatz': integrated from DISTMU/DISTSIGMA; 'header': DISTMEAN/DISTSTD of the file. */
  readonly source: 'ansatz' | 'header';
}

/**
 * All-sky distance posterior moments, Σ p_i·E(r|i) over pixels with distance information
 * (normalised by their total probability), as ligo.skymap's parameters_to_marginal_moments. Falls
 * back to the header's DISTMEAN/DISTSTD for maps without distance columns; undefined if neither.
 */
export function distanceMoments(skymap: Skymap): DistanceSummary | undefined {
  const { distMu, distSigma } = skymap;
  if (distMu !== undefined && distSigma !== undefined) {
    const probability = pixelProbabilities(skymap);
    let weight = 0;
    let first = 0;
    let second = 0;
    for (let i = 0; i < probability.length; i++) {
      const p = probability[i]!;
      if (!(p > 0)) continue;
      const moments = pixelDistanceMoments(distMu[i]!, distSigma[i]!);
      if (moments === undefined) continue;
      weight += p;
      first += p * moments[0];
      second += p * moments[1];
    }
    if (weight > 0) {
      const mean = first / weight;
      return { mean, std: Math.sqrt(Math.max(0, second / weight - mean * mean)), source: 'ansatz' };
    }
  }
  const { distMean, distStd } = skymap.meta;
  if (distMean !== undefined && distStd !== undefined) return { mean: distMean, std: distStd, source: 'header' };
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Flattening.

/**
 * The map as a flat NESTED map at `order` (default: its finest order). Finer than a pixel, values
 * are copied to its sub-pixels; coarser (order below maxOrder), the density is the area-weighted
 * mean and the distance layers are left out (they do not average linearly). Sky not covered by a
 * partial map gets density 0 and no distance (DISTMU = +inf, DISTSIGMA = 1, DISTNORM = 0, as LVK).
 */
export function flattenToOrder(skymap: Skymap, order = skymap.meta.maxOrder): Skymap {
  const npix = orderToNpix(order);
  const density = new Float64Array(npix);
  const { distMu, distSigma, distNorm } = skymap;
  const keepDistances = distMu !== undefined && distSigma !== undefined && distNorm !== undefined && order >= skymap.meta.maxOrder;
  const mu = keepDistances ? new Float64Array(npix).fill(Infinity) : undefined;
  const sigma = keepDistances ? new Float64Array(npix).fill(1) : undefined;
  const norm = keepDistances ? new Float64Array(npix) : undefined;
  for (let i = 0; i < skymap.order.length; i++) {
    const o = skymap.order[i]!;
    const value = skymap.probDensity[i]!;
    if (o <= order) {
      const span = 4 ** (order - o);
      const start = skymap.ipix[i]! * span;
      density.fill(value, start, start + span);
      if (mu !== undefined && sigma !== undefined && norm !== undefined) {
        mu.fill(distMu![i]!, start, start + span);
        sigma.fill(distSigma![i]!, start, start + span);
        norm.fill(distNorm![i]!, start, start + span);
      }
    } else {
      const fraction = 1 / 4 ** (o - order);
      density[Math.floor(skymap.ipix[i]! * fraction)]! += value * fraction;
    }
  }
  const ipix = new Float64Array(npix);
  for (let i = 0; i < npix; i++) ipix[i] = i;
  return {
    order: new Uint8Array(npix).fill(order),
    ipix,
    probDensity: density,
    ...(mu !== undefined && sigma !== undefined && norm !== undefined ? { distMu: mu, distSigma: sigma, distNorm: norm } : {}),
    meta: { ...skymap.meta, maxOrder: order },
  };
}

// ---------------------------------------------------------------------------------------------
// The summary `llama skymap` prints.

export interface ProbeResult {
  readonly ra: number;
  readonly dec: number;
  /** Pixel index in the file's own scheme at the finest order: RING for RING maps, else NESTED. */
  readonly pixel: number;
  readonly probDensityPerSr: number;
  readonly in90: boolean;
}

export interface SkymapSummary {
  readonly nside: number;
  readonly maxOrder: number;
  readonly ordering: Skymap['meta']['ordering'];
  readonly pixels: number;
  readonly minOrder: number;
  readonly objectId?: string;
  readonly totalProbability: number;
  readonly area50Deg2: number;
  readonly area90Deg2: number;
  readonly maxProbability: Direction;
  readonly distance?: DistanceSummary;
  readonly probes: readonly ProbeResult[];
}

export function summarizeSkymap(skymap: Skymap, probes: readonly Direction[] = []): SkymapSummary {
  const [area50, area90] = credibleAreas(skymap, [0.5, 0.9]);
  const maxProbability = maxProbabilityDirection(skymap);
  const distance = distanceMoments(skymap);
  const { maxOrder, ordering } = skymap.meta;
  let minOrder = maxOrder;
  for (const o of skymap.order) if (o < minOrder) minOrder = o;
  return {
    nside: 2 ** maxOrder,
    maxOrder,
    ordering,
    pixels: skymap.order.length,
    minOrder,
    ...(skymap.meta.objectId === undefined ? {} : { objectId: skymap.meta.objectId }),
    totalProbability: totalProbability(skymap),
    area50Deg2: area50!,
    area90Deg2: area90!,
    maxProbability: { ra: maxProbability.ra, dec: maxProbability.dec },
    ...(distance === undefined ? {} : { distance }),
    probes: probes.map(({ ra, dec }) => {
      const nested = ang2pixRadec(maxOrder, ra, dec, 'NESTED');
      return {
        ra,
        dec,
        pixel: ordering === 'RING' ? nest2ring(maxOrder, nested) : nested,
        probDensityPerSr: densityAt(skymap, ra, dec),
        in90: inCredibleRegion(skymap, ra, dec, 0.9),
      };
    }),
  };
}

/** Pixel area in deg² at an order (re-exported for consumers that format areas). */
export { pixelAreaDeg2 };
