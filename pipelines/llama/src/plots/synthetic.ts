import { pix2vec, radecToVec } from '../healpix/index.js';
import type { Skymap } from '../skymap/types.js';

/** A blob on the sky: Fisher–von Mises with concentration kappa (1/σ² in radians⁻²), weight w. */
export interface Blob {
  readonly ra: number;
  readonly dec: number;
  readonly kappa: number;
  readonly weight?: number;
}


/** Normalised Fisher–von Mises density per steradian at angular distance with cos = cosAngle. */
export function fisherDensity(kappa: number, cosAngle: number): number {
  return (kappa / (2 * Math.PI * (1 - Math.exp(-2 * kappa)))) * Math.exp(kappa * (cosAngle - 1));
}

/** Angular radius (degrees) holding `level` of a Fisher–von Mises blob. */
export function fisherRadius(kappa: number, level: number): number {
  const cos = 1 + Math.log(1 - level * (1 - Math.exp(-2 * kappa))) / kappa;
  return (Math.acos(cos) * 180) / Math.PI;
}

/**
 * A flat NESTED skymap made of Fisher–von Mises blobs, for tests and examples that must not depend
 * on a skymap file.
 */
export function syntheticSkymap(order: number, blobs: readonly Blob[], meta: Partial<Skymap['meta']> = {}): Skymap {
  const npix = 12 * 4 ** order;
  const probDensity = new Float64Array(npix);
  const ipix = new Float64Array(npix);
  const orders = new Uint8Array(npix).fill(order);
  const totalWeight = blobs.reduce((sum, blob) => sum + (blob.weight ?? 1), 0);
  const centres = blobs.map((blob) => ({ v: radecToVec(blob.ra, blob.dec), kappa: blob.kappa, w: (blob.weight ?? 1) / totalWeight }));
  for (let p = 0; p < npix; p++) {
    ipix[p] = p;
    const [x, y, z] = pix2vec(order, p, 'NESTED');
    let density = 0;
    for (const c of centres) density += c.w * fisherDensity(c.kappa, x * c.v[0] + y * c.v[1] + z * c.v[2]);
    probDensity[p] = density;
  }
  return {
    order: orders,
    ipix,
    probDensity,
    meta: {
      maxOrder: order,
      ordering: 'NESTED',
      // Keep the header consistent with the metadata, as a real file's would be.
      header: {
        ...(meta.objectId !== undefined ? { OBJECT: meta.objectId } : {}),
        ...(meta.dateObs !== undefined ? { 'DATE-OBS': meta.dateObs } : {}),
      },
      ...meta,
    },
  };
}
