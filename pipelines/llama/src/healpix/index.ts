/**
 * HEALPix pixelisation (Górski et al. 2005) for NSIDE = 2^order, order 0…MAX_ORDER.
 *
 * No maintained HEALPix package exists on npm, so this follows the reference C++ healpix_base
 * (loc2pix, pix2loc, nest2xyf, xyf2nest, ring2xyf, xyf2ring). All arithmetic is done in doubles,
 * never in 32-bit bitwise operations on whole pixel indices, so indices stay exact up to
 * MAX_ORDER = 24 (12·4^24 < 2^53); bit interleaving works on 16-bit halves.
 */

export const MAX_ORDER = 24;

const HALF_PI = Math.PI / 2;
const TWO_PI = 2 * Math.PI;
const TWO_THIRDS = 2 / 3;
const DEG = Math.PI / 180;

/** Ring index (in units of nside) of each base face's southernmost corner, and its phi offset. */
const JRLL = [2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4] as const;
const JPLL = [1, 3, 5, 7, 0, 2, 4, 6, 1, 3, 5, 7] as const;

export type Ordering = 'NESTED' | 'RING';

export function checkOrder(order: number): void {
  if (!Number.isInteger(order) || order < 0 || order > MAX_ORDER) {
    throw new RangeError(`HEALPix order must be an integer in 0…${MAX_ORDER}, got ${order}`);
  }
}

/** log2(nside), or throws if nside is not a power of two within range. */
export function nsideToOrder(nside: number): number {
  const order = Math.round(Math.log2(nside));
  if (!Number.isInteger(nside) || nside < 1 || 2 ** order !== nside || order > MAX_ORDER) {
    throw new RangeError(`NSIDE must be a power of two from 1 to 2^${MAX_ORDER}, got ${nside}`);
  }
  return order;
}

export const orderToNside = (order: number): number => 2 ** order;
export const nsideToNpix = (nside: number): number => 12 * nside * nside;
export const orderToNpix = (order: number): number => 12 * 4 ** order;

/** Area of one pixel at this order, in steradians. */
export const pixelAreaSr = (order: number): number => (4 * Math.PI) / orderToNpix(order);
/** Area of one pixel at this order, in square degrees. */
export const pixelAreaDeg2 = (order: number): number => pixelAreaSr(order) / (DEG * DEG);

// ---------------------------------------------------------------------------------------------
// Bit interleaving: x bits go to even positions, y bits to odd positions of the in-face index.

function spread16(v: number): number {
  v &= 0xffff;
  v = (v | (v << 8)) & 0x00ff00ff;
  v = (v | (v << 4)) & 0x0f0f0f0f;
  v = (v | (v << 2)) & 0x33333333;
  v = (v | (v << 1)) & 0x55555555;
  return v;
}

function compact32(v: number): number {
  v &= 0x55555555;
  v = (v ^ (v >>> 1)) & 0x33333333;
  v = (v ^ (v >>> 2)) & 0x0f0f0f0f;
  v = (v ^ (v >>> 4)) & 0x00ff00ff;
  v = (v ^ (v >>> 8)) & 0x0000ffff;
  return v;
}

const TWO_32 = 4294967296;

/** Interleave x (< 2^24) into even bit positions. */
function spread(x: number): number {
  return x < 65536 ? spread16(x) : spread16(x) + spread16(Math.floor(x / 65536)) * TWO_32;
}

/** In-face nested index (< 2^48) → [x, y]. */
function compact(p: number, out: Int32Array | number[]): void {
  if (p < TWO_32) {
    out[0] = compact32(p >>> 0);
    out[1] = compact32((p >>> 1) >>> 0);
    return;
  }
  const hi = Math.floor(p / TWO_32);
  const lo = p - hi * TWO_32;
  out[0] = compact32(lo >>> 0) + compact32(hi) * 65536;
  out[1] = compact32(lo >>> 1) + compact32(hi >>> 1) * 65536;
}

/** Face, x, y of a pixel (the scratch array avoids allocation in hot loops). */
export interface Xyf {
  x: number;
  y: number;
  face: number;
}

export function xyf2nest(order: number, x: number, y: number, face: number): number {
  const npface = 4 ** order;
  return face * npface + spread(x) + 2 * spread(y);
}

const scratch = new Int32Array(2);

export function nest2xyf(order: number, pix: number, out: Xyf): Xyf {
  const npface = 4 ** order;
  const face = Math.floor(pix / npface);
  compact(pix - face * npface, scratch);
  out.x = scratch[0]!;
  out.y = scratch[1]!;
  out.face = face;
  return out;
}

function isqrt(v: number): number {
  let r = Math.floor(Math.sqrt(v + 0.5));
  while (r * r > v) r--;
  while ((r + 1) * (r + 1) <= v) r++;
  return r;
}

export function ring2xyf(order: number, pix: number, out: Xyf): Xyf {
  const nside = 2 ** order;
  const npix = 12 * nside * nside;
  const ncap = 2 * nside * (nside - 1);
  const nl2 = 2 * nside;
  let iring: number;
  let iphi: number;
  let kshift: number;
  let nr: number;
  let face: number;
  if (pix < ncap) {
    iring = Math.floor((1 + isqrt(1 + 2 * pix)) / 2);
    iphi = pix + 1 - 2 * iring * (iring - 1);
    kshift = 0;
    nr = iring;
    face = Math.floor((iphi - 1) / nr);
  } else if (pix < npix - ncap) {
    const ip = pix - ncap;
    const tmp = Math.floor(ip / (4 * nside));
    iring = tmp + nside;
    iphi = ip - tmp * 4 * nside + 1;
    kshift = (iring + nside) & 1;
    nr = nside;
    const ire = tmp + 1;
    const irm = nl2 + 1 - tmp;
    const ifm = Math.floor((iphi - Math.floor(ire / 2) + nside - 1) / nside);
    const ifp = Math.floor((iphi - Math.floor(irm / 2) + nside - 1) / nside);
    face = ifp === ifm ? ifp | 4 : ifp < ifm ? ifp : ifm + 8;
  } else {
    const ip = npix - pix;
    iring = Math.floor((1 + isqrt(2 * ip - 1)) / 2);
    iphi = 4 * iring + 1 - (ip - 2 * iring * (iring - 1));
    kshift = 0;
    nr = iring;
    iring = 2 * nl2 - iring;
    face = 8 + Math.floor((iphi - 1) / nr);
  }
  const irt = iring - (2 + (face >> 2)) * nside + 1;
  let ipt = 2 * iphi - JPLL[face]! * nr - kshift - 1;
  if (ipt >= nl2) ipt -= 8 * nside;
  out.x = Math.floor((ipt - irt) / 2);
  out.y = Math.floor((-ipt - irt) / 2);
  out.face = face;
  return out;
}

export function xyf2ring(order: number, x: number, y: number, face: number): number {
  const nside = 2 ** order;
  const npix = 12 * nside * nside;
  const ncap = 2 * nside * (nside - 1);
  const nl4 = 4 * nside;
  const jr = JRLL[face]! * nside - x - y - 1;
  let nr: number;
  let nBefore: number;
  let kshift: number;
  if (jr < nside) {
    nr = jr;
    nBefore = 2 * nr * (nr - 1);
    kshift = 0;
  } else if (jr > 3 * nside) {
    nr = nl4 - jr;
    nBefore = npix - 2 * (nr + 1) * nr;
    kshift = 0;
  } else {
    nr = nside;
    nBefore = ncap + (jr - nside) * nl4;
    kshift = (jr - nside) & 1;
  }
  let jp = Math.trunc((JPLL[face]! * nr + x - y + 1 + kshift) / 2);
  if (jp > nl4) jp -= nl4;
  else if (jp < 1) jp += nl4;
  return nBefore + jp - 1;
}

const xyfScratch: Xyf = { x: 0, y: 0, face: 0 };

export function nest2ring(order: number, pix: number): number {
  const { x, y, face } = nest2xyf(order, pix, xyfScratch);
  return xyf2ring(order, x, y, face);
}

export function ring2nest(order: number, pix: number): number {
  const { x, y, face } = ring2xyf(order, pix, xyfScratch);
  return xyf2nest(order, x, y, face);
}

/**
 * For every NESTED pixel, its RING index: `ringValues[table[nest]]` reorders a RING map to NESTED.
 * Uint32 is enough up to order 13 (12·4^13 < 2^32); beyond that a Float64Array is returned.
 */
export function nestToRingTable(order: number): Uint32Array | Float64Array {
  checkOrder(order);
  const nside = 2 ** order;
  const npface = nside * nside;
  const npix = 12 * npface;
  const ncap = 2 * nside * (nside - 1);
  const nl4 = 4 * nside;
  const table = npix < TWO_32 ? new Uint32Array(npix) : new Float64Array(npix);
  // Loop over (face, y, x) with the interleaved bits tabulated: xyf2ring inlined, no decoding.
  const spreadOf = new Float64Array(nside);
  for (let v = 0; v < nside; v++) spreadOf[v] = spread(v);
  for (let face = 0; face < 12; face++) {
    const faceBase = face * npface;
    const jrBase = JRLL[face]! * nside - 1;
    const jpFace = JPLL[face]!;
    for (let y = 0; y < nside; y++) {
      const yBits = faceBase + 2 * spreadOf[y]!;
      for (let x = 0; x < nside; x++) {
        const jr = jrBase - x - y;
        let nr: number;
        let nBefore: number;
        let kshift: number;
        if (jr < nside) {
          nr = jr;
          nBefore = 2 * nr * (nr - 1);
          kshift = 0;
        } else if (jr > 3 * nside) {
          nr = nl4 - jr;
          nBefore = npix - 2 * (nr + 1) * nr;
          kshift = 0;
        } else {
          nr = nside;
          nBefore = ncap + (jr - nside) * nl4;
          kshift = (jr - nside) & 1;
        }
        let jp = Math.trunc((jpFace * nr + x - y + 1 + kshift) / 2);
        if (jp > nl4) jp -= nl4;
        else if (jp < 1) jp += nl4;
        table[yBits + spreadOf[x]!] = nBefore + jp - 1;
      }
    }
  }
  return table;
}

// ---------------------------------------------------------------------------------------------
// Angles and vectors. theta is the colatitude in [0, π], phi the longitude in [0, 2π).

function loc2pix(order: number, z: number, phi: number, sth: number, haveSth: boolean, ordering: Ordering): number {
  const nside = 2 ** order;
  const za = Math.abs(z);
  let tt = (phi / HALF_PI) % 4;
  if (tt < 0) tt += 4;
  if (ordering === 'RING') {
    const npix = 12 * nside * nside;
    const ncap = 2 * nside * (nside - 1);
    if (za <= TWO_THIRDS) {
      const nl4 = 4 * nside;
      const temp1 = nside * (0.5 + tt);
      const temp2 = nside * z * 0.75;
      const jp = Math.floor(temp1 - temp2);
      const jm = Math.floor(temp1 + temp2);
      const ir = nside + 1 + jp - jm;
      const kshift = 1 - (ir & 1);
      const t1 = jp + jm - nside + kshift + 1 + nl4 + nl4;
      const ip = Math.floor(t1 / 2) % nl4;
      return ncap + (ir - 1) * nl4 + ip;
    }
    const tp = tt - Math.floor(tt);
    const tmp = za < 0.99 || !haveSth ? nside * Math.sqrt(3 * (1 - za)) : (nside * sth) / Math.sqrt((1 + za) / 3);
    const jp = Math.floor(tp * tmp);
    const jm = Math.floor((1 - tp) * tmp);
    const ir = jp + jm + 1;
    let ip = Math.floor(tt * ir);
    if (ip >= 4 * ir) ip -= 4 * ir;
    return z > 0 ? 2 * ir * (ir - 1) + ip : npix - 2 * ir * (ir + 1) + ip;
  }
  if (za <= TWO_THIRDS) {
    const temp1 = nside * (0.5 + tt);
    const temp2 = nside * (z * 0.75);
    const jp = Math.floor(temp1 - temp2);
    const jm = Math.floor(temp1 + temp2);
    const ifp = Math.floor(jp / nside);
    const ifm = Math.floor(jm / nside);
    const face = ifp === ifm ? ifp | 4 : ifp < ifm ? ifp : ifm + 8;
    const ix = jm % nside;
    const iy = nside - (jp % nside) - 1;
    return xyf2nest(order, ix, iy, face);
  }
  const ntt = Math.min(3, Math.floor(tt));
  const tp = tt - ntt;
  const tmp = za < 0.99 || !haveSth ? nside * Math.sqrt(3 * (1 - za)) : (nside * sth) / Math.sqrt((1 + za) / 3);
  const jp = Math.min(Math.floor(tp * tmp), nside - 1);
  const jm = Math.min(Math.floor((1 - tp) * tmp), nside - 1);
  return z >= 0 ? xyf2nest(order, nside - jm - 1, nside - jp - 1, ntt) : xyf2nest(order, jp, jm, ntt + 8);
}

/** Pixel containing the direction (theta = colatitude, phi = longitude, radians). */
export function ang2pix(order: number, theta: number, phi: number, ordering: Ordering = 'NESTED'): number {
  if (!(theta >= 0 && theta <= Math.PI) || !Number.isFinite(phi)) {
    throw new RangeError(`ang2pix: theta must be in [0, π] and phi finite, got (${theta}, ${phi})`);
  }
  const z = Math.cos(theta);
  const sth = Math.sin(theta);
  return loc2pix(order, z, phi, sth, Math.abs(z) > 0.99, ordering);
}

/** Pixel containing the (not necessarily normalised) vector. */
export function vec2pix(order: number, x: number, y: number, z: number, ordering: Ordering = 'NESTED'): number {
  const xl = 1 / Math.hypot(x, y, z);
  const phi = Math.atan2(y, x);
  const nz = z * xl;
  if (Math.abs(nz) > 0.99) return loc2pix(order, nz, phi, Math.hypot(x, y) * xl, true, ordering);
  return loc2pix(order, nz, phi, 0, false, ordering);
}

/** z = cos(theta) and phi of a pixel centre. */
function pix2loc(order: number, pix: number, ordering: Ordering, out: { z: number; phi: number; sth: number }): void {
  const nside = 2 ** order;
  const npix = 12 * nside * nside;
  const fact2 = 4 / npix;
  const fact1 = 2 * nside * fact2;
  out.sth = NaN;
  if (ordering === 'RING') {
    const ncap = 2 * nside * (nside - 1);
    if (pix < ncap) {
      const iring = Math.floor((1 + isqrt(1 + 2 * pix)) / 2);
      const iphi = pix + 1 - 2 * iring * (iring - 1);
      const tmp = iring * iring * fact2;
      out.z = 1 - tmp;
      if (out.z > 0.99) out.sth = Math.sqrt(tmp * (2 - tmp));
      out.phi = ((iphi - 0.5) * HALF_PI) / iring;
    } else if (pix < npix - ncap) {
      const nl4 = 4 * nside;
      const ip = pix - ncap;
      const tmp = Math.floor(ip / nl4);
      const iring = tmp + nside;
      const iphi = ip - nl4 * tmp + 1;
      const fodd = ((iring + nside) & 1) === 1 ? 1 : 0.5;
      out.z = (2 * nside - iring) * fact1;
      out.phi = (iphi - fodd) * Math.PI * 0.75 * fact1;
    } else {
      const ip = npix - pix;
      const iring = Math.floor((1 + isqrt(2 * ip - 1)) / 2);
      const iphi = 4 * iring + 1 - (ip - 2 * iring * (iring - 1));
      const tmp = iring * iring * fact2;
      out.z = tmp - 1;
      if (out.z < -0.99) out.sth = Math.sqrt(tmp * (2 - tmp));
      out.phi = ((iphi - 0.5) * HALF_PI) / iring;
    }
    return;
  }
  const { x, y, face } = nest2xyf(order, pix, xyfScratch);
  const jr = JRLL[face]! * nside - x - y - 1;
  let nr: number;
  if (jr < nside) {
    nr = jr;
    const tmp = nr * nr * fact2;
    out.z = 1 - tmp;
    if (out.z > 0.99) out.sth = Math.sqrt(tmp * (2 - tmp));
  } else if (jr > 3 * nside) {
    nr = 4 * nside - jr;
    const tmp = nr * nr * fact2;
    out.z = tmp - 1;
    if (out.z < -0.99) out.sth = Math.sqrt(tmp * (2 - tmp));
  } else {
    nr = nside;
    out.z = (2 * nside - jr) * fact1;
  }
  let tmp = JPLL[face]! * nr + x - y;
  if (tmp < 0) tmp += 8 * nr;
  out.phi = nr === nside ? 0.75 * HALF_PI * tmp * fact1 : (0.5 * HALF_PI * tmp) / nr;
}

const locScratch = { z: 0, phi: 0, sth: 0 };

/** Centre of a pixel as [theta, phi] (radians). */
export function pix2ang(order: number, pix: number, ordering: Ordering = 'NESTED'): [number, number] {
  checkPixel(order, pix);
  pix2loc(order, pix, ordering, locScratch);
  const theta = Number.isNaN(locScratch.sth) ? Math.acos(locScratch.z) : Math.atan2(locScratch.sth, locScratch.z);
  return [theta, locScratch.phi];
}

/** Unit vector to the centre of a pixel. */
export function pix2vec(order: number, pix: number, ordering: Ordering = 'NESTED'): [number, number, number] {
  checkPixel(order, pix);
  pix2loc(order, pix, ordering, locScratch);
  const { z, phi } = locScratch;
  const sth = Number.isNaN(locScratch.sth) ? Math.sqrt((1 - z) * (1 + z)) : locScratch.sth;
  return [sth * Math.cos(phi), sth * Math.sin(phi), z];
}

function checkPixel(order: number, pix: number): void {
  if (!Number.isInteger(pix) || pix < 0 || pix >= orderToNpix(order)) {
    throw new RangeError(`pixel ${pix} is outside 0…${orderToNpix(order) - 1} at order ${order}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Sky coordinates.

/** Right ascension and declination (degrees) → [theta, phi] (radians). */
export function radecToThetaPhi(raDeg: number, decDeg: number): [number, number] {
  if (!Number.isFinite(raDeg) || !(decDeg >= -90 && decDeg <= 90)) {
    throw new RangeError(`RA must be finite and Dec in [-90, 90] degrees, got (${raDeg}, ${decDeg})`);
  }
  let phi = (raDeg * DEG) % TWO_PI;
  if (phi < 0) phi += TWO_PI;
  return [HALF_PI - decDeg * DEG, phi];
}

/** Right ascension and declination (degrees) → unit vector [x, y, z]. */
export function radecToVec(raDeg: number, decDeg: number): [number, number, number] {
  const ra = raDeg * DEG;
  const dec = decDeg * DEG;
  return [Math.cos(dec) * Math.cos(ra), Math.cos(dec) * Math.sin(ra), Math.sin(dec)];
}

/** [theta, phi] (radians) → [RA, Dec] in degrees, RA in [0, 360). */
export function thetaPhiToRadec(theta: number, phi: number): [number, number] {
  let ra = (phi / DEG) % 360;
  if (ra < 0) ra += 360;
  return [ra, 90 - theta / DEG];
}

export function ang2pixRadec(order: number, raDeg: number, decDeg: number, ordering: Ordering = 'NESTED'): number {
  const [theta, phi] = radecToThetaPhi(raDeg, decDeg);
  return ang2pix(order, theta, phi, ordering);
}

export function pix2radec(order: number, pix: number, ordering: Ordering = 'NESTED'): [number, number] {
  const [theta, phi] = pix2ang(order, pix, ordering);
  return thetaPhiToRadec(theta, phi);
}

// ---------------------------------------------------------------------------------------------
// NUNIQ: uniq = 4·4^order + ipix (NESTED), the multi-order map index.

/** Decode a UNIQ index into [order, ipix]. Throws on indices that are not valid UNIQ values. */
export function uniqToOrderIpix(uniq: number): [number, number] {
  if (!Number.isInteger(uniq) || uniq < 4 || uniq >= 16 * 4 ** MAX_ORDER) {
    throw new RangeError(`invalid NUNIQ index ${uniq}`);
  }
  let order = uniq < TWO_32 ? ((31 - Math.clz32(uniq)) >> 1) - 1 : Math.floor(Math.log2(uniq) / 2) - 1;
  // log2 may round at the top of a range: adjust so that 4·4^order ≤ uniq < 16·4^order.
  while (order > 0 && 4 * 4 ** order > uniq) order--;
  while (16 * 4 ** order <= uniq) order++;
  return [order, uniq - 4 * 4 ** order];
}

export function orderIpixToUniq(order: number, ipix: number): number {
  checkOrder(order);
  checkPixel(order, ipix);
  return 4 * 4 ** order + ipix;
}

// ---------------------------------------------------------------------------------------------
// Neighbourhoods.

/** Angular distance (radians) between two unit vectors. */
export function angularDistance(a: readonly number[], b: readonly number[]): number {
  const cx = a[1]! * b[2]! - a[2]! * b[1]!;
  const cy = a[2]! * b[0]! - a[0]! * b[2]!;
  const cz = a[0]! * b[1]! - a[1]! * b[0]!;
  const dot = a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;
  return Math.atan2(Math.hypot(cx, cy, cz), dot);
}

/**
 * NESTED pixels whose centres lie within `radius` radians of (theta, phi). A hierarchical scan:
 * a coarse pixel is descended into only if the disc could reach it (its centre is closer than
 * radius plus the pixel's maximum centre-to-corner distance, bounded generously).
 */
export function queryDiscCentres(order: number, theta: number, phi: number, radius: number): number[] {
  checkOrder(order);
  const centre = [Math.sin(theta) * Math.cos(phi), Math.sin(theta) * Math.sin(phi), Math.cos(theta)];
  const result: number[] = [];
  const visit = (o: number, pix: number): void => {
    const v = pix2vec(o, pix, 'NESTED');
    const d = angularDistance(centre, v);
    if (o === order) {
      if (d <= radius) result.push(pix);
      return;
    }
    // The largest centre-to-corner distance of a pixel at order o is below 1.4 × its size.
    const slack = (1.4 * Math.sqrt(Math.PI / 3)) / 2 ** o;
    if (d > radius + slack) return;
    for (let child = 0; child < 4; child++) visit(o + 1, 4 * pix + child);
  };
  for (let face = 0; face < 12; face++) visit(0, face);
  return result;
}
