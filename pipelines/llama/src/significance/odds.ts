import { orderToNpix, pix2vec, radecToVec } from '../healpix/index.js';
import type { Skymap } from '../skymap/types.js';
import type { NeutrinoModel } from './model.js';
import { expint1, gaussLegendre } from './numeric.js';
import type { SearchParameters } from './parameters.js';
import { SkyIndex } from './sky-index.js';

/**
 * The LLAMA 2.0 odds ratio (Bartos et al. 2019, arXiv:1810.11467) as LLAMA 3.5.1 ran it.
 *
 * RECONSTRUCTED: the paper's equations and 3.5.1's source were not available to us (only its
 * documentation, function names and parameter table). The structure below follows the paper's
 * abstract and 3.5.1's documented behaviour; the detailed forms are our derivation from a Poisson
 * point process, written out in the README ("Significance"). In short, with all terms taken
 * relative to "the GW is astrophysical and every neutrino is background":
 *
 *   p_h_s1(i) = (1/fb) ∫dΩ P_gw(Ω) ∫dr p(r|Ω) ∫dE p(E) n̄ e^{-n̄}
 *               · PSF_i(Ω) · p_s(ε_i | δ) · T(Δt_i) / (R_ν · b(δ_i, ε_i))
 *   p_h_s2(i) = Σ_{j close to i} (1/fb) ∫ … (n̄²/2) e^{-n̄} · [same for i] · [same for j] / (R_ν b_j)
 *   p_h_c     = (1 − 1/fb) + (1/fb) ∫dΩ P_gw ∫dr p(r|Ω) ∫dE p(E) e^{-n̄}
 *   p_h_0     = P(terrestrial)/P(astrophysical) from p_astro (0 for significant alerts, as 3.5.1)
 *   odds_i    = (p_h_s1 + p_h_s2) / (p_h_c + p_h_0)
 *
 * n̄(r, E, δ) = nu_51_100 · (E / 1e51 erg) · (100 Mpc / r)² · g(δ): expected signal count, with
 * g the effective-area declination factor of the model (E^-2 spectrum, sky average 1); p(E)
 * log-uniform on [enumin, enumax]; PSF a von Mises–Fisher (spherical Gaussian) of width σ_i;
 * p_s the E^-2 signal energy pdf through the effective area; b the background density in
 * (declination, log10 E) per sr, uniform in RA; T the triangular time term of two ±250 s
 * emission windows (zero beyond |Δt| = 500 s); R_ν the background neutrino rate.
 */

const DISTANCE_NODES = 12;
const GL = gaussLegendre(DISTANCE_NODES);
/** PSF integrals stop at this many σ (the mass beyond 5σ is e^-12.5 ≈ 4e-6). */
const PSF_SIGMAS = 5;


export interface SignificanceNeutrino {
  readonly ra: number;
  readonly dec: number;
  readonly sigma: number;
  readonly energy: number;
  /** t_ν − t_GW, seconds. */
  readonly dt: number;
}

export interface NeutrinoTerms {
  readonly odds_ratio: number;
  readonly p_h_s1: number;
  readonly p_h_s2: number;
  readonly p_h_0: number;
  readonly p_h_c: number;
  readonly dump: {
    readonly time_term_per_s: number;
    readonly background_density_per_sr_per_log10e: number;
    readonly signal_integral: number;
    readonly pixels_used: number;
    readonly close_neutrinos: number;
  };
}

export interface SignificanceResult {
  readonly neutrinos: NeutrinoTerms[];
  /** Sum of the per-neutrino odds ratios (3.5.1's combined statistic). */
  readonly combinedOddsSum: number;
  /** One odds ratio for the whole list: (Σ p_h_s1 + Σ_pairs p_h_s2) / (p_h_c + p_h_0). */
  readonly combinedOdds: number;
  /** Its numerator, Σ p_h_s1 + Σ_pairs p_h_s2. */
  readonly combinedSignal: number;
  readonly p_h_c: number;
  readonly p_h_0: number;
  readonly skymapProbability: number;
}

/** von Mises–Fisher density (per sr) at angular distance with cos = c, κ = 1/σ². */
export function psfDensity(kappa: number, cosDistance: number): number {
  // κ/(2π(1 − e^{−2κ})) · e^{κ(c − 1)}; −expm1 keeps precision for large σ.
  return (kappa / (2 * Math.PI * -Math.expm1(-2 * kappa))) * Math.exp(kappa * (cosDistance - 1));
}

/** Triangular time density (per s) of Δt for two uniform emission windows. */
export function timeTerm(dt: number, p: SearchParameters): number {
  const lo = Math.max(p.tgwminus, dt + p.tnuminus);
  const hi = Math.min(p.tgwplus, dt + p.tnuplus);
  const overlap = Math.max(0, hi - lo);
  return overlap / ((p.tgwplus - p.tgwminus) * (p.tnuplus - p.tnuminus));
}

/** ∫ p(E) n̄^m/m! e^{-n̄} dE for log-uniform p(E) and n̄ = kE, m = 0, 1, 2 (closed forms). */
export function energyMarginals(k: number, eMin: number, eMax: number): [number, number, number] {
  const lnR = Math.log(eMax / eMin);
  const a = k * eMin;
  const b = k * eMax;
  const ea = Math.exp(-a);
  const eb = Math.exp(-b);
  const m0 = a > 0 ? (expint1(a) - expint1(b)) / lnR : 1;
  const m1 = (ea - eb) / lnR;
  const m2 = ((1 + a) * ea - (1 + b) * eb) / (2 * lnR);
  return [m0, m1, m2];
}

function normalised(v: [number, number, number]): [number, number, number] {
  const n = Math.hypot(v[0], v[1], v[2]);
  return [v[0] / n, v[1] / n, v[2] / n];
}


/** log10(k) grid of the tabulated energy marginals. */
const LOG_K_MIN = -14;
const LOG_K_MAX = 8;
const LOG_K_STEP = 0.005;

/**
 * The energy marginals as a function of k (n̄ = kE), tabulated on a fine log grid: every pixel
 * needs them at every distance node, and the closed forms (with E1) are too slow for 10⁷ pixels.
 * Linear interpolation in log k is accurate to ~1e-6 relative; outside the grid the closed forms
 * are used.
 */
class EnergyMarginalTable {
  private readonly m0: Float64Array;
  private readonly m1: Float64Array;
  private readonly m2: Float64Array;
  constructor(private readonly eMin: number, private readonly eMax: number) {
    const n = Math.round((LOG_K_MAX - LOG_K_MIN) / LOG_K_STEP) + 1;
    this.m0 = new Float64Array(n);
    this.m1 = new Float64Array(n);
    this.m2 = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const [a, b, c] = energyMarginals(10 ** (LOG_K_MIN + i * LOG_K_STEP), eMin, eMax);
      this.m0[i] = a;
      this.m1[i] = b;
      this.m2[i] = c;
    }
  }
  /** Writes [m0, m1, m2] at k into out. */
  at(k: number, out: Float64Array): void {
    const x = (Math.log10(k) - LOG_K_MIN) / LOG_K_STEP;
    const i = Math.floor(x);
    if (!(i >= 0 && i < this.m0.length - 1)) {
      const [a, b, c] = energyMarginals(k, this.eMin, this.eMax);
      out[0] = a;
      out[1] = b;
      out[2] = c;
      return;
    }
    const f = x - i;
    out[0] = (this.m0[i] as number) * (1 - f) + (this.m0[i + 1] as number) * f;
    out[1] = (this.m1[i] as number) * (1 - f) + (this.m1[i + 1] as number) * f;
    out[2] = (this.m2[i] as number) * (1 - f) + (this.m2[i + 1] as number) * f;
  }
}

/** Pixels finer than this order are merged into their parent for p_h_c. */
const PHC_MERGE_ORDER = 7;

/**
 * Everything about one skymap that does not depend on the neutrinos, cached so background trials
 * on the same map reuse it: the pixel index, per-pixel distance/energy marginals (lazily), and the
 * H_c term.
 */
export class PreparedSkymap {
  readonly index: SkyIndex;
  readonly params: SearchParameters;
  readonly model: NeutrinoModel;
  /** Σ P·ΔΩ of the map (used to normalise). */
  readonly totalProbability: number;
  private readonly band: Int16Array;
  /** Per pixel: ∫dr p(r|Ω) ∫dE p(E) {n̄e^{-n̄}, n̄²/2 e^{-n̄}}; NaN until computed. */
  private readonly m1: Float32Array;
  private readonly m2: Float32Array;
  private readonly table: EnergyMarginalTable;
  private readonly scratch = new Float64Array(3);
  private pHcCache: number | undefined;

  constructor(skymap: Skymap, params: SearchParameters, model: NeutrinoModel) {
    this.index = new SkyIndex(skymap);
    this.params = params;
    this.model = model;
    let total = 0;
    for (let p = 0; p < this.index.size; p++) {
      const d = skymap.probDensity[p] as number;
      if (d > 0) total += d * this.index.area(p);
    }
    if (!(total > 0) || !Number.isFinite(total)) throw new RangeError('the skymap holds no probability');
    this.totalProbability = total;
    const n = this.index.size;
    this.band = new Int16Array(n).fill(-2);
    this.m1 = new Float32Array(n).fill(NaN);
    this.m2 = new Float32Array(n);
    this.table = new EnergyMarginalTable(params.enumin, params.enumax);
  }

  /** Normalised probability density (per sr) of pixel p. */
  density(p: number): number {
    const d = this.index.skymap.probDensity[p] as number;
    return d > 0 ? d / this.totalProbability : 0;
  }

  /** Declination band of the effective area for pixel p. */
  bandOf(p: number): number {
    let b = this.band[p] as number;
    if (b === -2) {
      this.index.centre(p);
      b = this.model.aeffBandOfSinDec(this.index.vz[p] as number);
      this.band[p] = b;
    }
    return b;
  }

  /**
   * ⟨{e^{-n̄}, n̄e^{-n̄}, n̄²/2 e^{-n̄}}⟩ over the pixel's distance posterior and p(E), for a
   * declination factor g; written into out.
   */
  private marginals(p: number, g: number, out: Float64Array): void {
    const sky = this.index.skymap;
    this.marginalsFor(sky.distMu?.[p] ?? NaN, sky.distSigma?.[p] ?? NaN, g, out);
  }

  /** The same for explicit distance parameters (NaN: no distance posterior, use the prior). */
  private marginalsFor(mu: number, sd: number, g: number, out: Float64Array): void {
    const prm = this.params;
    if (!(g > 0)) {
      out[0] = 1;
      out[1] = 0;
      out[2] = 0;
      return;
    }
    let lo: number;
    let hi: number;
    let gaussian: boolean;
    if (Number.isFinite(mu) && Number.isFinite(sd) && sd > 0 && mu + 5 * sd > 0) {
      // Per-pixel ansatz p(r|Ω) ∝ r² N(r; μ, σ) (Singer et al. 2016), normalised on the nodes.
      lo = Math.max(0, mu - 5 * sd);
      hi = mu + 5 * sd;
      gaussian = true;
    } else {
      // No distance posterior here (e.g. cWB): the prior p(r) ∝ r² up to the horizon.
      lo = 0;
      hi = prm.rmax_mpc;
      gaussian = false;
    }
    const e = this.scratch;
    let wsum = 0;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    const kScale = prm.nu_51_100 * g * 1e4;
    for (let q = 0; q < DISTANCE_NODES; q++) {
      const r = lo + ((hi - lo) * ((GL.nodes[q] as number) + 1)) / 2;
      let w = (GL.weights[q] as number) * r * r;
      if (gaussian) w *= Math.exp(-(((r - mu) / sd) ** 2) / 2);
      if (!(w > 0)) continue;
      this.table.at(kScale / (r * r), e);
      wsum += w;
      s0 += w * (e[0] as number);
      s1 += w * (e[1] as number);
      s2 += w * (e[2] as number);
    }
    out[0] = wsum > 0 ? s0 / wsum : 1;
    out[1] = wsum > 0 ? s1 / wsum : 0;
    out[2] = wsum > 0 ? s2 / wsum : 0;
  }

  private readonly signalScratch = new Float64Array(3);

  private ensureMarginals(p: number): void {
    if (!Number.isNaN(this.m1[p] as number)) return;
    const out = this.signalScratch;
    this.marginals(p, this.model.countFactorOfBand(this.bandOf(p)), out);
    this.m1[p] = out[1] as number;
    this.m2[p] = out[2] as number;
  }

  marginal1(p: number): number {
    this.ensureMarginals(p);
    return this.m1[p] as number;
  }

  marginal2(p: number): number {
    this.ensureMarginals(p);
    return this.m2[p] as number;
  }

  /**
   * p_h_c = (1 − 1/fb) + (1/fb) Σ P_gw ⟨e^{-n̄}⟩. Two economies keep NSIDE 1024 maps fast, both
   * negligible next to the (1/fb)·⟨1 − e^{-n̄}⟩ ≲ 1e-2 correction they affect: the faintest pixels,
   * together holding < 1e-7 of the probability, take ⟨e^{-n̄}⟩ = 1; pixels finer than order 7 are
   * merged into their order-7 parent (0.46°) with mass-weighted distance parameters.
   */
  pHc(): number {
    if (this.pHcCache !== undefined) return this.pHcCache;
    const idx = this.index;
    const sky = idx.skymap;
    const n = idx.size;
    const mass = new Float64Array(n);
    let peak = 0;
    for (let p = 0; p < n; p++) {
      const m = this.density(p) * idx.area(p);
      mass[p] = m;
      if (m > peak) peak = m;
    }
    // Histogram of log10(mass/peak) in 0.1-dex bins to find the cut below which < 1e-7 lies.
    const BINS = 400;
    const hist = new Float64Array(BINS);
    for (let p = 0; p < n; p++) {
      const m = mass[p] as number;
      if (!(m > 0)) continue;
      const bin = Math.min(BINS - 1, Math.floor(-Math.log10(m / peak) * 10));
      hist[bin] = (hist[bin] as number) + m;
    }
    let skipped = 0;
    let cutBin = BINS;
    for (let b = BINS - 1; b >= 0; b--) {
      if (skipped + (hist[b] as number) > 1e-7) break;
      skipped += hist[b] as number;
      cutBin = b;
    }
    const cut = cutBin >= BINS ? 0 : peak * 10 ** (-cutBin / 10);
    const parents = orderToNpix(PHC_MERGE_ORDER);
    const aggMass = new Float64Array(parents);
    const aggMu = new Float64Array(parents);
    const aggSd = new Float64Array(parents);
    const aggPrior = new Float64Array(parents);
    const out = new Float64Array(3);
    let integral = 0;
    for (let p = 0; p < n; p++) {
      const m = mass[p] as number;
      if (!(m > 0)) continue;
      if (m < cut) {
        integral += m;
        continue;
      }
      const order = sky.order[p] as number;
      if (order <= PHC_MERGE_ORDER) {
        this.marginals(p, this.model.countFactorOfBand(this.bandOf(p)), out);
        integral += m * (out[0] as number);
        continue;
      }
      const parent = Math.floor((sky.ipix[p] as number) / 4 ** (order - PHC_MERGE_ORDER));
      const mu = sky.distMu?.[p] ?? NaN;
      const sd = sky.distSigma?.[p] ?? NaN;
      if (Number.isFinite(mu) && Number.isFinite(sd) && sd > 0 && mu + 5 * sd > 0) {
        aggMass[parent] = (aggMass[parent] as number) + m;
        aggMu[parent] = (aggMu[parent] as number) + m * mu;
        aggSd[parent] = (aggSd[parent] as number) + m * sd;
      } else {
        aggPrior[parent] = (aggPrior[parent] as number) + m;
      }
    }
    for (let parent = 0; parent < parents; parent++) {
      const m = aggMass[parent] as number;
      const prior = aggPrior[parent] as number;
      if (!(m > 0) && !(prior > 0)) continue;
      const g = this.model.countFactorOfBand(this.model.aeffBandOfSinDec(pix2vec(PHC_MERGE_ORDER, parent, 'NESTED')[2]));
      if (m > 0) {
        this.marginalsFor((aggMu[parent] as number) / m, (aggSd[parent] as number) / m, g, out);
        integral += m * (out[0] as number);
      }
      if (prior > 0) {
        this.marginalsFor(NaN, NaN, g, out);
        integral += prior * (out[0] as number);
      }
    }
    const fb = this.params.fb;
    this.pHcCache = 1 - 1 / fb + Math.min(1, integral) / fb;
    return this.pHcCache;
  }
}

interface PixelSample {
  readonly p: number;
  /** ∫_pixel PSF_i dΩ (or ∫ PSF_i PSF_j dΩ for pairs). */
  readonly weight: number;
}

/**
 * How many HEALPix levels to split a pixel of `order` into so its children are no larger than σ
 * (radians): the midpoint sum of a Gaussian converges fast once the step is below σ (the PSF
 * integral test checks this to 1e-4).
 */
function refineLevels(order: number, sigma: number): number {
  const size = Math.sqrt(Math.PI / 3) / 2 ** order;
  let m = 0;
  while (size / 2 ** m > sigma && m < 8) m++;
  return m;
}

/**
 * ∫ over each nearby pixel of a PSF (or a product of PSFs). Pixels larger than σ/2 are split into
 * children at a finer order (the GW values stay the pixel's own); this keeps integrals right on
 * coarse multi-order pixels without resampling the map.
 */
function psfPixelIntegrals(
  prep: PreparedSkymap,
  centres: readonly { v: [number, number, number]; kappa: number }[],
  radius: number,
  sigmaMin: number,
): PixelSample[] {
  const idx = prep.index;
  const first = centres[0] as { v: [number, number, number]; kappa: number };
  const pixels = idx.disc(first.v[0], first.v[1], first.v[2], radius);
  const out: PixelSample[] = [];
  for (const p of pixels) {
    const order = idx.skymap.order[p] as number;
    const m = refineLevels(order, sigmaMin);
    let weight = 0;
    if (m === 0) {
      let f = idx.area(p);
      for (const c of centres) {
        const cos = c.v[0] * (idx.vx[p] as number) + c.v[1] * (idx.vy[p] as number) + c.v[2] * (idx.vz[p] as number);
        f *= psfDensity(c.kappa, cos);
      }
      weight = f;
    } else {
      weight = refinedIntegral(order, idx.skymap.ipix[p] as number, m, centres, radius);
    }
    if (weight > 0) out.push({ p, weight });
  }
  return out;
}

/**
 * ∫ over one pixel of the PSF product, splitting it `levels` times; children farther than the
 * integration radius from the first PSF centre are skipped (they hold < e^-12.5 of the PSF).
 */
function refinedIntegral(
  order: number,
  ipix: number,
  levels: number,
  centres: readonly { v: [number, number, number]; kappa: number }[],
  radius: number,
): number {
  const [x, y, z] = pix2vec(order, ipix, 'NESTED');
  const first = centres[0] as { v: [number, number, number]; kappa: number };
  const cosFirst = first.v[0] * x + first.v[1] * y + first.v[2] * z;
  const slack = (1.4 * Math.sqrt(Math.PI / 3)) / 2 ** order;
  if (radius + slack < Math.PI && cosFirst < Math.cos(radius + slack)) return 0;
  if (levels === 0) {
    let f = (4 * Math.PI) / (12 * 4 ** order);
    for (const c of centres) f *= psfDensity(c.kappa, c.v[0] * x + c.v[1] * y + c.v[2] * z);
    return f;
  }
  let sum = 0;
  for (let child = 0; child < 4; child++) sum += refinedIntegral(order + 1, 4 * ipix + child, levels - 1, centres, radius);
  return sum;
}

/** The PSF integral of one neutrino over the skymap's pixels (≈1 on an all-sky map). */
export function psfIntegral(prep: PreparedSkymap, ra: number, dec: number, sigmaDeg: number): number {
  const sigma = (sigmaDeg * Math.PI) / 180;
  const v = radecToVec(ra, dec);
  const samples = psfPixelIntegrals(prep, [{ v, kappa: 1 / (sigma * sigma) }], Math.min(Math.PI, PSF_SIGMAS * sigma), sigma);
  return samples.reduce((a, s) => a + s.weight, 0);
}

export interface OddsOptions {
  /** P(terrestrial)/P(astrophysical); 0 for significant alerts (3.5.1 sets P_0 = 0). */
  readonly terrestrialOdds: number;
}

/** Compute every term for a list of neutrinos on a prepared skymap. */
export function computeOdds(prep: PreparedSkymap, neutrinos: readonly SignificanceNeutrino[], options: OddsOptions): SignificanceResult {
  const prm = prep.params;
  const model = prep.model;
  const window = { deltaOmegaDeg: prm.deltaomega, deltaLog10E: prm.deltae };
  const pHc = prep.pHc();
  const pH0 = Math.max(0, options.terrestrialOdds);
  const prepared = neutrinos.map((n) => {
    const sigma = (n.sigma * Math.PI) / 180;
    const log10E = Math.log10(n.energy);
    const t = timeTerm(n.dt, prm);
    const b = model.backgroundDensity(n.dec, log10E, window);
    return { n, sigma, kappa: 1 / (sigma * sigma), v: normalised(radecToVec(n.ra, n.dec)), log10E, t, b, scale: t / (prm.ratebgnu * b) };
  });

  const s1 = prepared.map((x) => {
    if (!(x.scale > 0)) return { value: 0, integral: 0, pixels: 0 };
    const samples = psfPixelIntegrals(prep, [{ v: x.v, kappa: x.kappa }], Math.min(Math.PI, PSF_SIGMAS * x.sigma), x.sigma);
    let integral = 0;
    for (const { p, weight } of samples) {
      const ps = model.signalEnergyPdfOfBand(prep.bandOf(p), x.log10E);
      if (ps === 0) continue;
      integral += prep.density(p) * weight * prep.marginal1(p) * ps;
    }
    return { value: (integral * x.scale) / prm.fb, integral, pixels: samples.length };
  });

  // Two-neutrino terms for spatially close pairs (within 5σ combined).
  const s2 = new Float64Array(prepared.length);
  const closeCount = new Int32Array(prepared.length);
  let pairSum = 0;
  for (let i = 0; i < prepared.length; i++) {
    const a = prepared[i]!;
    if (!(a.scale > 0)) continue;
    for (let j = i + 1; j < prepared.length; j++) {
      const c = prepared[j]!;
      if (!(c.scale > 0)) continue;
      const cos = a.v[0] * c.v[0] + a.v[1] * c.v[1] + a.v[2] * c.v[2];
      const separation = Math.acos(Math.max(-1, Math.min(1, cos)));
      const combined = Math.hypot(a.sigma, c.sigma);
      if (separation > PSF_SIGMAS * combined) continue;
      const samples = psfPixelIntegrals(
        prep,
        [{ v: a.v, kappa: a.kappa }, { v: c.v, kappa: c.kappa }],
        Math.min(Math.PI, PSF_SIGMAS * a.sigma),
        Math.min(a.sigma, c.sigma),
      );
      let integral = 0;
      for (const { p, weight } of samples) {
        const band = prep.bandOf(p);
        const ps = model.signalEnergyPdfOfBand(band, a.log10E) * model.signalEnergyPdfOfBand(band, c.log10E);
        if (ps === 0) continue;
        integral += prep.density(p) * weight * prep.marginal2(p) * ps;
      }
      const value = (integral * a.scale * c.scale) / prm.fb;
      s2[i] = (s2[i] as number) + value;
      s2[j] = (s2[j] as number) + value;
      closeCount[i] = (closeCount[i] as number) + 1;
      closeCount[j] = (closeCount[j] as number) + 1;
      pairSum += value;
    }
  }

  const denominator = pHc + pH0;
  const terms: NeutrinoTerms[] = prepared.map((x, i) => {
    const p1 = clean(s1[i]!.value);
    const p2 = clean(s2[i] as number);
    return {
      odds_ratio: clean((p1 + p2) / denominator),
      p_h_s1: p1,
      p_h_s2: p2,
      p_h_0: pH0,
      p_h_c: pHc,
      dump: {
        time_term_per_s: x.t,
        background_density_per_sr_per_log10e: x.b,
        signal_integral: s1[i]!.integral,
        pixels_used: s1[i]!.pixels,
        close_neutrinos: closeCount[i] as number,
      },
    };
  });
  const sumS1 = terms.reduce((a, t) => a + t.p_h_s1, 0);
  return {
    neutrinos: terms,
    combinedOddsSum: terms.reduce((a, t) => a + t.odds_ratio, 0),
    combinedOdds: clean((sumS1 + clean(pairSum)) / denominator),
    combinedSignal: sumS1 + clean(pairSum),
    p_h_c: pHc,
    p_h_0: pH0,
    skymapProbability: prep.totalProbability,
  };
}

/** 3.5.1: bad or negative odds are set to 0. */
function clean(v: number): number {
  return Number.isFinite(v) && v > 0 ? v : 0;
}
