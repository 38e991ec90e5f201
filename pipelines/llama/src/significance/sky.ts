import { nest2xyf, pix2vec, type Xyf } from '../healpix/index.js';
import type { Skymap } from '../skymap/types.js';
import { AEFF_TABLE } from './tables-351.js';

/**
 * The sky sums of 3.5.1's signal terms, evaluated as 3.5.1 did on the map rasterised to its finest
 * order (ligo.skymap `read_sky_map(nest=None)`): every finest-order pixel centre k carries
 * P_k = density × pixel area, the flat-sky Gaussian PSF G_σ(ψ_k) = exp(−ψ²/2σ²)/(2πσ²) (deg⁻²,
 * converted to sr⁻¹; ψ = arccos of the dot product, unclipped, in degrees) and the "Aeff" table
 * at θ = 90° + δ_k. The full 12·4^order array is never built: the map's own pixels are visited
 * as a tree of HEALPix nodes, a node is dropped when what it could add is provably negligible
 * (branch and bound, see `bounded`), and the rest are expanded into their finest-order children
 * in blocks. Everything dropped is below 1e-14 of the sum.
 */

const R2D = 180 / Math.PI;
const D2R = Math.PI / 180;
/** astropy's 1/deg² → 1/sr factor. */
const PER_DEG2_TO_PER_SR = R2D * R2D;
/** Finest-order children enumerated per block (4^LEAF_LEVELS). */
const LEAF_LEVELS = 3;
/** What may be dropped in all: this fraction of the sum (the tests ask 1e-12). */
const RELATIVE_TOLERANCE = 1e-14;
/** A node is dropped when it could add less than this fraction of the estimated sum. */
const DROP = 1e-18;
/** Order of the nodes whose centres give the first estimate. */
const ESTIMATE_ORDER = 5;

/** 3.5.1 `Aeff(e, θ)` (utils.py:450-467), for every 10° zenith bin j = int(θ/10) (19 bins). */
export function aeffByBin(e: number): Float64Array {
  const logE = Math.log10(e);
  let key = 'high_e';
  let upper = 16;
  for (let u = 5; u < 17; u++) {
    if (logE < u / 2.0) {
      key = String(u - 1);
      upper = u;
      break;
    }
  }
  const [factor, exponent] = AEFF_TABLE[key]!;
  const out = new Float64Array(19);
  for (let j = 0; j < 19; j++) out[j] = 10 ** (factor[j]! + (logE - upper / 2.0 + 0.5) * 2.0 * exponent[j]!);
  return out;
}

/** Scalar `Aeff(e, θ)`. */
export function aeff(e: number, thetaDeg: number): number {
  return aeffByBin(e)[Math.trunc(thetaDeg / 10)]!;
}

/** The flat Gaussian PSF of 3.5.1 (healpix/skymap.py:20-53), per sr, at angle ψ (deg). */
export function psfGaussian(psiDeg: number, sigmaDeg: number): number {
  const twoSigma2 = 2 * sigmaDeg ** 2;
  return (Math.exp(-(psiDeg ** 2) / twoSigma2) / (Math.PI * twoSigma2)) * PER_DEG2_TO_PER_SR;
}

/** Healpix C++ `max_pixrad`: the largest centre-to-corner angle of a pixel at this order (rad). */
export function maxPixrad(order: number): number {
  const nside = 2 ** order;
  const za = 2 / 3;
  const pa = Math.PI / (4 * nside);
  let t1 = 1 - 1 / nside;
  t1 *= t1;
  const zb = 1 - t1 / 3;
  const sa = Math.sqrt((1 - za) * (1 + za));
  const sb = Math.sqrt((1 - zb) * (1 + zb));
  const dot = sa * sb * Math.cos(pa) + za * zb;
  return Math.acos(Math.min(1, dot));
}

/** A neutrino on the sky: unit vector, σ (deg) and the Aeff values of its adjusted energy. */
export interface SkySource {
  readonly ra: number;
  readonly dec: number;
  readonly sigma: number;
  readonly aeff: Float64Array;
}

interface Prepared {
  readonly x: number;
  readonly y: number;
  readonly z: number;
  /** ρ = √(x²+y²) and its azimuth, for dot = z·z_k + ρ·sinθ_k·cos(φ_k − φ). */
  readonly rho: number;
  readonly phi: number;
  readonly sigma: number;
  readonly twoSigma2: number;
  readonly norm: number;
  readonly aeff: Float64Array;
  /** Largest PSF value and largest Aeff (for the bound on what is skipped). */
  readonly g0: number;
  readonly amax: number;
}

function prepare(s: SkySource): Prepared {
  const ra = s.ra * D2R;
  const dec = s.dec * D2R;
  const x = Math.cos(dec) * Math.cos(ra);
  const y = Math.cos(dec) * Math.sin(ra);
  const z = Math.sin(dec);
  const twoSigma2 = 2 * s.sigma ** 2;
  const norm = PER_DEG2_TO_PER_SR / (Math.PI * twoSigma2);
  let amax = 0;
  for (const a of s.aeff) amax = Math.max(amax, a);
  return { x, y, z, rho: Math.hypot(x, y), phi: Math.atan2(y, x), sigma: s.sigma, twoSigma2, norm, aeff: s.aeff, g0: norm, amax };
}

/** Block offsets: in-node x, y of the k-th child LEAF_LEVELS orders down (NESTED bit order). */
function blockOffsets(levels: number): { dx: Int32Array; dy: Int32Array } {
  const n = 4 ** levels;
  const dx = new Int32Array(n);
  const dy = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    let x = 0;
    let y = 0;
    for (let b = 0; b < levels; b++) {
      x |= ((k >> (2 * b)) & 1) << b;
      y |= ((k >> (2 * b + 1)) & 1) << b;
    }
    dx[k] = x;
    dy[k] = y;
  }
  return { dx, dy };
}

const JRLL = [2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4];
const JPLL = [1, 3, 5, 7, 0, 2, 4, 6, 1, 3, 5, 7];

/** Sums over finest-order pixel centres, per kind of term. */
export interface SingleSums {
  /** Σ_k P_k A_k G_k (3.5.1 `five`'s integral). */
  readonly weighted: number;
  /** Σ_k A_k G_k and Σ_k G_k over the whole sky (the subthreshold `fivewogw`, normalize=True). */
  readonly allSkyAG: number;
  readonly allSkyG: number;
}

/**
 * A skymap prepared for the sums: its pixels sorted by their first finest-order child, so every
 * HEALPix node holds a contiguous run of them.
 */
export class SkySums {
  readonly maxOrder: number;
  readonly nside: number;
  /** Σ P over the map (for the bound on skipped nodes). */
  readonly totalProbability: number;
  /** Pixels in the map. */
  private readonly count: number;
  /** First finest-order child of each (sorted) map pixel; null for a flat NESTED map (pixel k is k). */
  private readonly start: Float64Array | null;
  /** Order of each (sorted) map pixel; null for a flat NESTED map (all at maxOrder). */
  private readonly pixOrder: Uint8Array | null;
  /**
   * P of one finest-order child of map pixel i is prob[i] × probScale: for a flat NESTED map the
   * map's own densities × the pixel area (computed where used, not stored: 100 MB less to fill
   * at NSIDE 1024), otherwise the sorted P values × 1 (exact).
   */
  private readonly prob: Float64Array;
  private readonly probScale: number;
  /**
   * Probability of every HEALPix node of orders 0…maxOrder − LEAF_LEVELS (the nodes the traversal
   * tests), summed from the pixels upwards: sums of positive terms, so even 1e-300 masses are kept
   * to full relative precision (differences of prefix sums would cancel them to 0).
   */
  private readonly nodeMass: Float64Array[];
  private readonly offsets: { dx: Int32Array; dy: Int32Array }[];
  private readonly radius: Float64Array;
  private readonly xyf: Xyf = { x: 0, y: 0, face: 0 };
  private readonly block = new Float64Array(4 ** LEAF_LEVELS);
  /** Leaf evaluations of the last call (for tests and the bench). */
  leaves = 0;

  constructor(skymap: Skymap) {
    const n = skymap.probDensity.length;
    const density = skymap.probDensity;
    // A reader that knows the map is flat NESTED says so: its `order` and `ipix` are then never
    // touched (the HDF5 reader builds them only on demand).
    const hinted = skymap.flatNested === true && n === 12 * 4 ** skymap.meta.maxOrder;
    let maxOrder = skymap.meta.maxOrder;
    if (!hinted) {
      const orders = skymap.order;
      for (let i = 0; i < n; i++) if (orders[i]! > maxOrder) maxOrder = orders[i]!;
    }
    this.maxOrder = maxOrder;
    this.nside = 2 ** maxOrder;
    const pow4 = new Float64Array(maxOrder + 1);
    for (let o = 0; o <= maxOrder; o++) pow4[o] = 4 ** o;
    const leafArea = (4 * Math.PI) / (12 * pow4[maxOrder]!);
    const top = Math.max(0, maxOrder - LEAF_LEVELS);
    const nodeMass = Array.from({ length: top + 1 }, (_, o) => new Float64Array(12 * pow4[o]!));
    const topMass = nodeMass[top]!;
    const topSpan = pow4[maxOrder - top]!;
    let mass = 0;
    let start: Float64Array | null = null;
    let pixOrder: Uint8Array | null = null;
    let prob = density;
    let probScale = leafArea;
    if (hinted || isFlatNested(skymap.order, skymap.ipix, maxOrder)) {
      // A flat NESTED map (pixel k is pixel k): no sorted copies, and one pass gives the total and
      // the top node level. Each sum adds the same terms in the same order as the general path
      // below (p·4⁰ = p), so the result is bit-identical, without three 12.6 M-entry arrays.
      for (let node = 0, k = 0; node < topMass.length; node++) {
        let m = 0;
        for (const end = k + topSpan; k < end; k++) {
          const p = density[k]! * leafArea;
          mass += p;
          m += p;
        }
        topMass[node] = m;
      }
    } else {
      const orders = skymap.order;
      const ipix = skymap.ipix;
      const childProb = new Float64Array(n);
      const rawStart = new Float64Array(n);
      let sorted = true;
      for (let i = 0; i < n; i++) {
        const v = ipix[i]! * pow4[maxOrder - orders[i]!]!;
        rawStart[i] = v;
        if (i > 0 && v <= rawStart[i - 1]!) sorted = false;
      }
      // Flat NESTED maps are already in order; multi-order maps (sorted by UNIQ) need a sort.
      let idx: Uint32Array | null = null;
      if (!sorted) {
        idx = new Uint32Array(n);
        for (let i = 0; i < n; i++) idx[i] = i;
        idx.sort((a, b) => rawStart[a]! - rawStart[b]!);
      }
      const sortedStart = idx === null ? rawStart : new Float64Array(n);
      const sortedOrder = new Uint8Array(n);
      start = sortedStart;
      pixOrder = sortedOrder;
      for (let k = 0; k < n; k++) {
        const i = idx === null ? k : idx[k]!;
        if (idx !== null) sortedStart[k] = rawStart[i]!;
        const o = orders[i]!;
        sortedOrder[k] = o;
        const p = density[i]! * leafArea;
        childProb[k] = p;
        mass += p * pow4[maxOrder - o]!;
      }
      for (let k = 0; k < n; k++) {
        const o = sortedOrder[k]!;
        const pixelMass = childProb[k]! * pow4[maxOrder - o]!;
        const first = Math.floor(sortedStart[k]! / topSpan);
        if (o >= top) topMass[first]! += pixelMass;
        else {
          // A pixel coarser than the top level: its mass spread evenly (a power of 4: exact).
          const count = pow4[top - o]!;
          for (let j = 0; j < count; j++) topMass[first + j]! += pixelMass / count;
        }
      }
      prob = childProb;
      probScale = 1;
    }
    for (let o = top - 1; o >= 0; o--) {
      const parent = nodeMass[o]!;
      const child = nodeMass[o + 1]!;
      for (let i = 0; i < parent.length; i++) parent[i] = child[4 * i]! + child[4 * i + 1]! + child[4 * i + 2]! + child[4 * i + 3]!;
    }
    this.count = n;
    this.start = start;
    this.pixOrder = pixOrder;
    this.prob = prob;
    this.probScale = probScale;
    this.nodeMass = nodeMass;
    this.totalProbability = mass;
    this.offsets = Array.from({ length: LEAF_LEVELS + 1 }, (_, l) => blockOffsets(l));
    this.radius = Float64Array.from({ length: maxOrder + 1 }, (_, o) => maxPixrad(o) * (1 + 1e-6) + 1e-12);
  }

  /** P of one finest-order child of map pixel i. */
  private p(i: number): number {
    return this.prob[i]! * this.probScale;
  }

  /** Order of map pixel i. */
  private orderAt(i: number): number {
    return this.pixOrder === null ? this.maxOrder : this.pixOrder[i]!;
  }

  /** The run [lo, hi) of map pixels inside node (order, pix). */
  private run(order: number, pix: number, lo: number, hi: number): [number, number] {
    const span = 4 ** (this.maxOrder - order);
    const a = pix * span;
    const b = a + span;
    const start = this.start;
    if (start === null) {
      // Pixel k starts at k: what the binary search below finds on that array.
      const first = Math.min(Math.max(a, lo), hi);
      return [first, Math.min(Math.max(b, first), hi)];
    }
    let l = lo;
    let h = hi;
    while (l < h) {
      const m = (l + h) >> 1;
      if (start[m]! < a) l = m + 1;
      else h = m;
    }
    const first = l;
    h = hi;
    while (l < h) {
      const m = (l + h) >> 1;
      if (start[m]! < b) l = m + 1;
      else h = m;
    }
    return [first, l];
  }

  /** A node's probability: from the node table, or summed over its run below the table's orders. */
  private massOf(order: number, pix: number, lo: number, hi: number): number {
    const table = this.nodeMass[order];
    if (table !== undefined) return table[pix]!;
    let m = 0;
    for (let i = lo; i < hi; i++) m += this.p(i) * 4 ** (this.maxOrder - this.orderAt(i));
    return m;
  }

  /** Smallest angle (rad) between a node and a source: ≥ 0, a lower bound. */
  private nodeDistance(order: number, pix: number, s: Prepared): number {
    const [x, y, z] = pix2vec(order, pix);
    const dot = Math.min(1, Math.max(-1, x * s.x + y * s.y + z * s.z));
    return Math.max(0, Math.acos(dot) - this.radius[order]!);
  }

  /**
   * Visit every finest-order child of the nodes that `skip(mass, leafCount, distances)` keeps
   * (it bounds what a node could add and records what it drops), calling `leaf(P, z, sinθ, φ)`.
   * Without `allSky`, nodes where the map has no pixel or zero probability are skipped (they add
   * exactly 0).
   */
  private visit(
    sources: readonly Prepared[],
    allSky: boolean,
    leaf: (p: number, z: number, sth: number, phi: number) => void,
    skip: (mass: number, leafCount: number, distances: readonly number[]) => boolean,
  ): void {
    const nside = this.nside;
    const fact2 = 4 / (12 * nside * nside);
    const fact1 = 2 * nside * fact2;
    const halfPi = Math.PI / 2;
    const distances = new Array<number>(sources.length).fill(0);
    const recurse = (order: number, pix: number, lo: number, hi: number): void => {
      const empty = lo >= hi;
      // One map pixel covering the whole node: constant P; otherwise P varies or is absent.
      const uniform = hi - lo === 1 && this.orderAt(lo) <= order;
      const down = this.maxOrder - order;
      const leafCount = 4 ** down;
      const mass = empty ? 0 : uniform ? this.p(lo) * leafCount : this.massOf(order, pix, lo, hi);
      if (!allSky && mass === 0) return;
      for (let i = 0; i < sources.length; i++) distances[i] = this.nodeDistance(order, pix, sources[i]!);
      if (skip(mass, leafCount, distances)) return;
      if (down > LEAF_LEVELS) {
        for (let c = 0; c < 4; c++) {
          const child = pix * 4 + c;
          // A map pixel covering this node covers its children too.
          const [l, h] = empty || uniform ? [lo, hi] : this.run(order + 1, child, lo, hi);
          recurse(order + 1, child, l, h);
        }
        return;
      }
      // A block of 4^down finest-order children: their P from the map pixels of the run.
      const count = 4 ** down;
      const probs = this.block;
      probs.fill(0, 0, count);
      if (uniform) probs.fill(this.p(lo), 0, count);
      else {
        const nodeStart = pix * count;
        const maxOrder = this.maxOrder;
        const start = this.start;
        for (let i = lo; i < hi; i++) {
          const first = (start === null ? i : start[i]!) - nodeStart;
          const o = this.orderAt(i);
          if (o === maxOrder) probs[first] = this.p(i);
          else probs.fill(this.p(i), first, first + 4 ** (maxOrder - o));
        }
      }
      const { x: x0, y: y0, face } = nest2xyf(order, pix, this.xyf);
      const { dx, dy } = this.offsets[down]!;
      const scale = 2 ** down;
      const jrll = JRLL[face]! * nside;
      const jpll = JPLL[face]!;
      let evaluated = 0;
      for (let k = 0; k < count; k++) {
        const p = probs[k]!;
        if (p === 0 && !allSky) continue;
        evaluated++;
        const ix = x0 * scale + dx[k]!;
        const iy = y0 * scale + dy[k]!;
        const jr = jrll - ix - iy - 1;
        let nr: number;
        let z: number;
        let sth: number;
        if (jr < nside) {
          nr = jr;
          const tmp = nr * nr * fact2;
          z = 1 - tmp;
          sth = Math.sqrt(tmp * (2 - tmp));
        } else if (jr > 3 * nside) {
          nr = 4 * nside - jr;
          const tmp = nr * nr * fact2;
          z = tmp - 1;
          sth = Math.sqrt(tmp * (2 - tmp));
        } else {
          nr = nside;
          z = (2 * nside - jr) * fact1;
          sth = Math.sqrt((1 - z) * (1 + z));
        }
        let tmp = jpll * nr + ix - iy;
        if (tmp < 0) tmp += 8 * nr;
        const phi = nr === nside ? 0.75 * halfPi * tmp * fact1 : (0.5 * halfPi * tmp) / nr;
        leaf(p, z, sth, phi);
      }
      this.leaves += evaluated;
    };
    for (let face = 0; face < 12; face++) {
      const [l, h] = this.run(0, face, 0, this.count);
      recurse(0, face, l, h);
    }
  }

  private estimateCache: { mass: Float64Array; count: number; x: Float64Array; y: Float64Array; z: Float64Array; bin: Uint8Array } | undefined;

  /** The nodes of ESTIMATE_ORDER with their mass, centre and Aeff bin, computed once per map. */
  private estimateNodes(): NonNullable<SkySums['estimateCache']> {
    if (this.estimateCache !== undefined) return this.estimateCache;
    const order = Math.min(this.maxOrder, ESTIMATE_ORDER);
    const n = 12 * 4 ** order;
    const out = { mass: new Float64Array(n), count: 4 ** (this.maxOrder - order), x: new Float64Array(n), y: new Float64Array(n), z: new Float64Array(n), bin: new Uint8Array(n) };
    const recurse = (o: number, pix: number, lo: number, hi: number): void => {
      const empty = lo >= hi;
      const uniform = hi - lo === 1 && this.orderAt(lo) <= o;
      if (o === order) {
        out.mass[pix] = empty ? 0 : uniform ? this.p(lo) * out.count : this.massOf(o, pix, lo, hi);
        const [x, y, z] = pix2vec(o, pix);
        out.x[pix] = x;
        out.y[pix] = y;
        out.z[pix] = z;
        out.bin[pix] = Math.trunc((90 + (90 - Math.acos(z) * R2D)) / 10);
        return;
      }
      for (let c = 0; c < 4; c++) {
        const child = pix * 4 + c;
        const [l, h] = empty || uniform ? [lo, hi] : this.run(o + 1, child, lo, hi);
        recurse(o + 1, child, l, h);
      }
    };
    for (let face = 0; face < 12; face++) {
      const [l, h] = this.run(0, face, 0, this.count);
      recurse(0, face, l, h);
    }
    this.estimateCache = out;
    return out;
  }

  /** Every node of ESTIMATE_ORDER with its probability mass, leaf count, centre and Aeff bin. */
  private nodes(fn: (mass: number, count: number, x: number, y: number, z: number, bin: number) => void): void {
    const e = this.estimateNodes();
    for (let i = 0; i < e.mass.length; i++) fn(e.mass[i]!, e.count, e.x[i]!, e.y[i]!, e.z[i]!, e.bin[i]!);
  }

  /**
   * Branch and bound: a node is dropped when the most it could add (its mass × the largest Aeff ×
   * the PSF at its nearest point) is below DROP × a first estimate of the sum; the run is accepted
   * when everything dropped is below RELATIVE_TOLERANCE of the result, else repeated with the
   * threshold set from that result (a threshold of 0 drops only exact zeros).
   */
  private bounded<T>(
    estimate: readonly number[],
    bounds: (mass: number, count: number, d: readonly number[]) => readonly number[],
    pass: (skip: (mass: number, count: number, d: readonly number[]) => boolean) => readonly number[],
    result: (sums: readonly number[]) => T,
  ): T {
    let thresholds = estimate.map((e) => DROP * e);
    for (let attempt = 0; ; attempt++) {
      const dropped = thresholds.map(() => 0);
      const sums = pass((mass, count, d) => {
        const b = bounds(mass, count, d);
        for (let i = 0; i < b.length; i++) if (b[i]! > thresholds[i]!) return false;
        for (let i = 0; i < b.length; i++) dropped[i]! += b[i]!;
        return true;
      });
      const ok = sums.every((v, i) => dropped[i]! <= RELATIVE_TOLERANCE * v);
      if (ok || attempt >= 2) return result(sums);
      thresholds = sums.map((v) => (attempt === 0 ? DROP * v : 0));
    }
  }

  /** Σ P·A·G for one source, and optionally the all-sky Σ A·G and Σ G (subthreshold). */
  single(source: SkySource, allSky = false): SingleSums {
    const s = prepare(source);
    this.leaves = 0;
    const g = (psiRad: number): number => {
      const psi = psiRad * R2D;
      return Math.exp(-(psi * psi) / s.twoSigma2) * s.norm;
    };
    // First estimate: the sums at the centres of the order-6 nodes.
    let estW = 0;
    let estAG = 0;
    let estG = 0;
    this.nodes((mass, count, x, y, z, bin) => {
      const gk = g(Math.acos(Math.min(1, Math.max(-1, x * s.x + y * s.y + z * s.z))));
      const a = s.aeff[bin]!;
      estW += mass * a * gk;
      estAG += count * a * gk;
      estG += count * gk;
    });
    return this.bounded(
      allSky ? [estW, estAG, estG] : [estW],
      (mass, count, d) => {
        const gmax = g(d[0]!);
        return allSky ? [mass * s.amax * gmax, count * s.amax * gmax, count * gmax] : [mass * s.amax * gmax];
      },
      (skip) => {
        let weighted = 0;
        let comp = 0;
        let ag = 0;
        let gs = 0;
        this.visit([s], allSky, (p, z, sth, phi) => {
          const dot = z * s.z + sth * s.rho * Math.cos(phi - s.phi);
          const psi = Math.acos(dot) * R2D;
          const gk = Math.exp(-(psi * psi) / s.twoSigma2) * s.norm;
          const a = s.aeff[Math.trunc((90 + (90 - thetaDeg(z, sth))) / 10)]!;
          // Neumaier summation: up to 12.6 M terms, summed to ~1e-16 instead of n·ε.
          const term = p * a * gk;
          const t = weighted + term;
          comp += Math.abs(weighted) >= Math.abs(term) ? weighted - t + term : term - t + weighted;
          weighted = t;
          ag += a * gk;
          gs += gk;
        }, skip);
        return allSky ? [weighted + comp, ag, gs] : [weighted + comp];
      },
      (sums) => {
        if (allSky) return { weighted: sums[0]!, allSkyAG: sums[1]!, allSkyG: sums[2]! };
        return { weighted: sums[0]!, allSkyAG: NaN, allSkyG: NaN };
      },
    );
  }

  /** Σ P·A_a·A_b·G_a·G_b for a pair (3.5.1 `five2`'s integral). */
  pair(a: SkySource, b: SkySource): number {
    const sa = prepare(a);
    const sb = prepare(b);
    this.leaves = 0;
    const e = (s: Prepared, psiRad: number): number => (psiRad * R2D) ** 2 / s.twoSigma2;
    let est = 0;
    this.nodes((mass, _count, x, y, z, bin) => {
      if (mass === 0) return;
      const da = Math.acos(Math.min(1, Math.max(-1, x * sa.x + y * sa.y + z * sa.z)));
      const db = Math.acos(Math.min(1, Math.max(-1, x * sb.x + y * sb.y + z * sb.z)));
      est += mass * sa.aeff[bin]! * sb.aeff[bin]! * sa.norm * sb.norm * Math.exp(-(e(sa, da) + e(sb, db)));
    });
    return this.bounded(
      [est],
      (mass, _count, d) => [mass * sa.amax * sb.amax * sa.norm * sb.norm * Math.exp(-(e(sa, d[0]!) + e(sb, d[1]!)))],
      (skip) => {
        let sum = 0;
        let comp = 0;
        this.visit([sa, sb], false, (p, z, sth, phi) => {
          const bin = Math.trunc((90 + (90 - thetaDeg(z, sth))) / 10);
          const psiA = Math.acos(z * sa.z + sth * sa.rho * Math.cos(phi - sa.phi)) * R2D;
          const psiB = Math.acos(z * sb.z + sth * sb.rho * Math.cos(phi - sb.phi)) * R2D;
          const ga = Math.exp(-(psiA * psiA) / sa.twoSigma2) * sa.norm;
          const gb = Math.exp(-(psiB * psiB) / sb.twoSigma2) * sb.norm;
          const term = p * sa.aeff[bin]! * sb.aeff[bin]! * ga * gb;
          const t = sum + term;
          comp += Math.abs(sum) >= Math.abs(term) ? sum - t + term : term - t + sum;
          sum = t;
        }, skip);
        return [sum + comp];
      },
      (sums) => sums[0]!,
    );
  }
}

/** Whether every pixel is at `maxOrder` and pixel k is NESTED pixel k (a whole flat NESTED map). */
function isFlatNested(orders: Uint8Array, ipix: Float64Array, maxOrder: number): boolean {
  const n = ipix.length;
  if (n !== 12 * 4 ** maxOrder || orders.length !== n) return false;
  for (let k = 0; k < n; k++) if (orders[k] !== maxOrder || ipix[k] !== k) return false;
  return true;
}

/** Colatitude in degrees as healpy returns it (acos(z), or atan2(sinθ, z) near the poles). */
function thetaDeg(z: number, sth: number): number {
  return (Math.abs(z) > 0.99 ? Math.atan2(sth, z) : Math.acos(z)) * R2D;
}
