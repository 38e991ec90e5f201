import { GenerationError } from '@llama/core';
import type { SearchParameters } from './parameters.js';
import type { BackgroundNeutrinoSample } from './samples.js';

/**
 * 3.5.1's empirical background density of a neutrino (opa.py:356-398 for the primary neutrino,
 * opa.py:449-474 for the second neutrino of a pair, subthreshold.py:463-508), counted in the
 * background sample exactly as its numpy code does: |θ_ν − θ_bg| < δω and |ε − E_bg| < ΔE·ε
 * (both strict), windows widened ×1.5 and ε multiplied (below the sample's median energy) or
 * divided by 10 while fewer than 5 events are counted, then the E^-3.7 factor above zenith 80°.
 */

/** The sample sorted by zenith, for counting in a zenith window without a pass over every event. */
export class PreparedBackground {
  readonly n: number;
  readonly zenith: Float64Array;
  readonly energy: Float64Array;
  /** numpy.median of the energies (mean of the two middle values for an even count). */
  readonly medianEnergy: number;

  constructor(readonly sample: BackgroundNeutrinoSample) {
    const n = sample.zenith.length;
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => sample.zenith[a]! - sample.zenith[b]!);
    this.n = n;
    this.zenith = Float64Array.from(order, (i) => sample.zenith[i]!);
    this.energy = Float64Array.from(order, (i) => sample.energy[i]!);
    const sorted = Float64Array.from(sample.energy).sort();
    this.medianEnergy = n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  }

  /** Index range [lo, hi) holding every event with |θ − θ_bg| < δω (a little wider; callers test exactly). */
  private range(theta: number, dw: number): [number, number] {
    const z = this.zenith;
    const slack = 1e-9 * (1 + Math.abs(theta) + dw);
    let lo = 0;
    let hi = this.n;
    const a = theta - dw - slack;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (z[mid]! < a) lo = mid + 1;
      else hi = mid;
    }
    const start = lo;
    hi = this.n;
    const b = theta + dw + slack;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (z[mid]! <= b) lo = mid + 1;
      else hi = mid;
    }
    return [start, lo];
  }

  /** min and max energy of the events with |θ − θ_bg| < δω (opa.py:359-360). */
  energyRange(theta: number, dw: number): { min: number; max: number } {
    const [lo, hi] = this.range(theta, dw);
    let min = Infinity;
    let max = -Infinity;
    for (let k = lo; k < hi; k++) {
      if (Math.abs(theta - this.zenith[k]!) < dw) {
        const e = this.energy[k]!;
        if (e < min) min = e;
        if (e > max) max = e;
      }
    }
    if (min === Infinity) {
      // 3.5.1 fails here too (max() of an empty array); say why instead.
      throw new GenerationError(`background neutrino sample ${this.sample.name}: no event within ${dw}° of zenith ${theta}°`);
    }
    return { min, max };
  }

  /** #{|θ − θ_bg| < δω and |ε − E_bg| < ε·ΔE} (opa.py:378). */
  count(theta: number, dw: number, e: number, de: number): number {
    const [lo, hi] = this.range(theta, dw);
    const width = e * de;
    let c = 0;
    for (let k = lo; k < hi; k++) {
      if (Math.abs(theta - this.zenith[k]!) < dw && Math.abs(e - this.energy[k]!) < width) c++;
    }
    return c;
  }

  /** The ×10 / ÷10 step (opa.py:386-389). */
  step(e: number): number {
    return e < this.medianEnergy ? e * 10 : e / 10;
  }

  /** C/(N·2π·|cos(θ−δω) − cos(θ+δω)|·2·ΔE·ε)/f, in 3.5.1's order of operations (opa.py:396). */
  normalise(count: number, theta: number, dw: number, de: number, e: number, energyFactor: number): number {
    const band = Math.abs(Math.cos((Math.PI / 180.0) * (theta - dw)) - Math.cos((Math.PI / 180.0) * (theta + dw)));
    return count / (this.n * 2 * Math.PI * band * 2 * de * e) / energyFactor;
  }
}

/** What the density computation found (recorded in `dump`). */
export interface DensityResult {
  /** Per sr per GeV. */
  readonly density: number;
  /** The energy the signal term uses (ε' after the E^-3.7 reset). */
  readonly energy: number;
  readonly count: number;
  readonly deltaomega: number;
  readonly deltae: number;
  readonly energyFactor: number;
  readonly steps: number;
}

/** Windows grow at most this often: 3.5.1 would loop forever on a sample with < 5 events in reach. */
const MAX_STEPS = 200;

function tooFew(bg: PreparedBackground, theta: number): GenerationError {
  return new GenerationError(`background neutrino sample ${bg.sample.name}: fewer than 5 events near zenith ${theta}° after ${MAX_STEPS} widenings (3.5.1 would loop forever)`);
}

/** E^-3.7 correction (opa.py:390-393). */
function energyCorrection(theta: number, trueEnergy: number, e: number): { e: number; f: number } {
  if (theta > 80 && trueEnergy > e) return { e: trueEnergy, f: (trueEnergy / e) ** 3.7 };
  return { e, f: 1.0 };
}

/**
 * The primary neutrino's density (opa.py:359-398). `dw0`/`de0` are the starting windows
 * (3.5.1's parameters; the subthreshold file carries them over from the previous neutrino).
 */
export function primaryDensity(bg: PreparedBackground, theta: number, trueEnergy: number, dw0: number, de0: number): DensityResult & { minenu: number; maxenu: number } {
  let dw = dw0;
  let de = de0;
  const { min: minenu, max: maxenu } = bg.energyRange(theta, dw);
  let e = trueEnergy;
  if (e < minenu) e = minenu;
  let c = 0;
  let steps = 0;
  while (c < 5) {
    c = bg.count(theta, dw, e, de);
    if (c < 5) {
      de = de * 1.5;
      dw = dw * 1.5;
      c = 0;
      e = bg.step(e);
      if (++steps > MAX_STEPS) throw tooFew(bg, theta);
    }
  }
  const corr = energyCorrection(theta, trueEnergy, e);
  return { density: bg.normalise(c, theta, dw, de, corr.e, corr.f), energy: corr.e, count: c, deltaomega: dw, deltae: de, energyFactor: corr.f, steps, minenu, maxenu };
}

/**
 * The second neutrino's density (opa.py:443-474). Its energy is clipped to the *primary's*
 * [minenu, maxenu]. With `quirk` (3.5.1's code), the loop tests the primary's normalised density
 * `flag.value` instead of its own count, so the windows widen and ε shifts once more after the
 * count that ends the loop; 3.5.1 also sets that variable to 0 on the first widening, which later
 * pairs of the same primary see. Without `quirk` the loop is the primary's.
 */
export function secondaryDensity(
  bg: PreparedBackground,
  theta: number,
  trueEnergy: number,
  primaryRange: { minenu: number; maxenu: number },
  p: Pick<SearchParameters, 'deltaomega' | 'deltae'>,
  quirk: boolean,
  flag: { value: number },
): DensityResult {
  let dw = p.deltaomega;
  let de = p.deltae;
  let e = trueEnergy;
  if (e > primaryRange.maxenu) e = primaryRange.maxenu;
  if (e < primaryRange.minenu) e = primaryRange.minenu;
  let c = 0;
  let steps = 0;
  let iterations = 0;
  while (c < 5) {
    c = bg.count(theta, dw, e, de);
    const widen = quirk ? flag.value < 5 : c < 5;
    if (widen) {
      de = de * 1.5;
      dw = dw * 1.5;
      if (quirk) flag.value = 0;
      else c = 0;
      e = bg.step(e);
      steps++;
    }
    if (++iterations > MAX_STEPS) throw tooFew(bg, theta);
  }
  const corr = energyCorrection(theta, trueEnergy, e);
  return { density: bg.normalise(c, theta, dw, de, corr.e, corr.f), energy: corr.e, count: c, deltaomega: dw, deltae: de, energyFactor: corr.f, steps };
}

/**
 * The subthreshold densities (subthreshold.py:455-508): as the primary's, but δω and ΔE are set
 * once before the loop over neutrinos, so each neutrino starts from the windows the previous one
 * ended with (and its [minenu, maxenu] uses them too).
 */
export function subthresholdDensities(bg: PreparedBackground, neutrinos: readonly { zenith: number; energy: number }[], p: Pick<SearchParameters, 'deltaomega' | 'deltae'>): DensityResult[] {
  let dw = p.deltaomega;
  let de = p.deltae;
  return neutrinos.map((n) => {
    const r = primaryDensity(bg, n.zenith, n.energy, dw, de);
    dw = r.deltaomega;
    de = r.deltae;
    return r;
  });
}
