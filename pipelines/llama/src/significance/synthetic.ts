import { orderToNpix, pix2vec, radecToVec } from '../healpix/index.js';
import type { Skymap } from '../skymap/types.js';
import type { Rng } from './numeric.js';
import type { Population } from './parameters.js';

/**
 * Synthetic GW skymaps for tests, benchmarks and background trials: mixtures of von Mises–Fisher
 * blobs (like the project's fixtures), on an adaptive multi-order grid (pixels holding much
 * probability are refined, as ligo.skymap does) or a flat NESTED grid.
 */

export interface Blob {
  readonly ra: number;
  readonly dec: number;
  readonly sigmaDeg: number;
  readonly weight: number;
}

export interface SyntheticOptions {
  /** Finest order (flat maps use only this order). */
  readonly maxOrder: number;
  /** Coarsest order of an adaptive map; equal to maxOrder for a flat map. */
  readonly minOrder?: number;
  /** Refine a pixel while its probability exceeds this (adaptive maps). */
  readonly refineMass?: number;
  /** Distance ansatz, the same in every pixel (Mpc); omitted for maps without distance. */
  readonly distMu?: number;
  readonly distSigma?: number;
}


/** Normalisation 1/∫_0^∞ r² N(r; μ, σ) dr of the distance ansatz (DISTNORM). */
export function distanceNorm(mu: number, sigma: number): number {
  const z = mu / sigma;
  const phi = Math.exp(-z * z / 2) / Math.sqrt(2 * Math.PI);
  const cdf = 0.5 * erfc(-z / Math.SQRT2);
  return 1 / ((mu * mu + sigma * sigma) * cdf + mu * sigma * phi);
}

function erfc(x: number): number {
  // Numerical Recipes erfcc, |relative error| < 1.2e-7.
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}

export function fisherMixtureSkymap(blobs: readonly Blob[], options: SyntheticOptions): Skymap {
  const comps = blobs.map((b) => {
    const s = (b.sigmaDeg * Math.PI) / 180;
    const kappa = 1 / (s * s);
    return { v: radecToVec(b.ra, b.dec), kappa, norm: (b.weight * kappa) / (2 * Math.PI * -Math.expm1(-2 * kappa)) };
  });
  const wsum = blobs.reduce((a, b) => a + b.weight, 0);
  const densityAt = (x: number, y: number, z: number): number => {
    let d = 0;
    for (const c of comps) d += c.norm * Math.exp(c.kappa * (c.v[0] * x + c.v[1] * y + c.v[2] * z - 1));
    return d / wsum;
  };
  const orders: number[] = [];
  const ipixs: number[] = [];
  const dens: number[] = [];
  const minOrder = options.minOrder ?? options.maxOrder;
  const refineMass = options.refineMass ?? 1e-4;
  const visit = (order: number, ipix: number): void => {
    const [x, y, z] = pix2vec(order, ipix, 'NESTED');
    const d = densityAt(x, y, z);
    const area = (4 * Math.PI) / orderToNpix(order);
    // Also refine pixels holding a blob centre, so blobs narrower than a coarse pixel are seen.
    const reach = Math.cos(Math.min(Math.PI, 1.5 * Math.sqrt(area)));
    const holdsCentre = comps.some((c) => c.v[0] * x + c.v[1] * y + c.v[2] * z >= reach);
    if (order < options.maxOrder && (order < minOrder || d * area > refineMass || holdsCentre)) {
      for (let c = 0; c < 4; c++) visit(order + 1, 4 * ipix + c);
      return;
    }
    orders.push(order);
    ipixs.push(ipix);
    dens.push(d);
  };
  for (let p = 0; p < orderToNpix(Math.min(minOrder, 3)); p++) visit(Math.min(minOrder, 3), p);
  const n = orders.length;
  const withDistance = options.distMu !== undefined && options.distSigma !== undefined;
  return {
    order: Uint8Array.from(orders),
    ipix: Float64Array.from(ipixs),
    probDensity: Float64Array.from(dens),
    ...(withDistance
      ? {
          distMu: new Float64Array(n).fill(options.distMu as number),
          distSigma: new Float64Array(n).fill(options.distSigma as number),
          distNorm: new Float64Array(n).fill(distanceNorm(options.distMu as number, options.distSigma as number)),
        }
      : {}),
    meta: {
      maxOrder: options.maxOrder,
      ordering: minOrder === options.maxOrder ? 'NESTED' : 'NUNIQ',
      creator: 'llama synthetic (von Mises-Fisher mixture)',
      header: {},
    },
  };
}

/**
 * A random GW-like skymap for background trials, by population and network: an arc of 1–3 blobs
 * (two-detector maps are broad arcs; three-detector maps are compact) and a distance typical of
 * the population. These choices are ours (3.5.1's simulated-population maps were not available).
 */
export function randomGwSkymap(rng: Rng, population: Population, instruments: string): Skymap {
  const three = instruments.length >= 6;
  const ra = 360 * rng.uniform();
  const dec = (Math.asin(2 * rng.uniform() - 1) * 180) / Math.PI;
  const blobs: Blob[] = [];
  const count = three ? 1 + Math.floor(rng.uniform() * 2) : 3;
  const width = three ? 2 + 4 * rng.uniform() : 6 + 10 * rng.uniform();
  const stepRa = (three ? 4 : 12) * (rng.uniform() < 0.5 ? 1 : -1);
  const stepDec = three ? 3 : 8 * (rng.uniform() - 0.5);
  for (let i = 0; i < count; i++) {
    blobs.push({
      ra: ra + i * stepRa,
      dec: Math.max(-89, Math.min(89, dec + i * stepDec)),
      sigmaDeg: width * (0.7 + 0.6 * rng.uniform()),
      weight: 0.5 + rng.uniform(),
    });
  }
  const distMu = population === 'bns' ? 80 + 170 * rng.uniform() : 300 + 1200 * rng.uniform();
  return fisherMixtureSkymap(blobs, { maxOrder: 8, minOrder: 4, refineMass: 2e-4, distMu, distSigma: distMu * (0.25 + 0.15 * rng.uniform()) });
}
