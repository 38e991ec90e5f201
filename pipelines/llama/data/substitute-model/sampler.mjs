// Script-side only: draws background neutrinos from the llama default neutrino model
// (icecube-default-model.json here), for make-background-neutrinos.mjs, the provenance of the
// shipped substitute sample ../background-neutrinos.txt. The significance no longer uses this
// model (it counts events in that sample, as LLAMA 3.5.1 did); this is the sampling part of the
// removed src/significance/model.ts (git 94277bd), kept operation for operation so that the script
// still writes the same bytes.
import { readFileSync } from 'node:fs';

const DEG = Math.PI / 180;

/** The model file (format llama-neutrino-model-v1), checked for what the sampler reads. */
export function loadDefaultModelFile(url = new URL('./icecube-default-model.json', import.meta.url)) {
  const m = JSON.parse(readFileSync(url, 'utf8'));
  if (m?.format !== 'llama-neutrino-model-v1' || m.background === undefined || m.sigma === undefined) {
    throw new Error(`${url.pathname}: not a llama neutrino model (format llama-neutrino-model-v1 with background and sigma)`);
  }
  const { decEdgesDeg, log10EnergyEdges, values } = m.background;
  if (values.length !== decEdgesDeg.length - 1 || values.some((row) => row.length !== log10EnergyEdges.length - 1)) {
    throw new Error(`${url.pathname}: background values must be declination × energy bins`);
  }
  if (m.sigma.edgesDeg.length !== m.sigma.weights.length + 1) throw new Error(`${url.pathname}: sigma needs one more edge than weights`);
  return m;
}

/** Background draws: a (declination, log10 E) bin by its probability, uniform in sin(dec) and log10 E inside it; σ log-uniform in a bin of the σ distribution; RA uniform. */
export class BackgroundSampler {
  constructor(file) {
    this.name = file.name;
    this.bg = file.background;
    this.bgSinEdges = Float64Array.from(file.background.decEdgesDeg, (d) => Math.sin(d * DEG));
    const flat = file.background.values.flat();
    const total = flat.reduce((a, b) => a + b, 0);
    if (!(total > 0)) throw new Error(`neutrino model ${file.name}: the background table is empty`);
    this.bgCumulative = new Float64Array(flat.length);
    let acc = 0;
    flat.forEach((v, i) => {
      acc += v;
      this.bgCumulative[i] = acc / total;
    });
    this.sigmaEdges = file.sigma.edgesDeg;
    const sTotal = file.sigma.weights.reduce((a, b) => a + b, 0);
    let sAcc = 0;
    this.sigmaCumulative = Float64Array.from(file.sigma.weights, (w) => (sAcc += w) / sTotal);
  }

  /** One background neutrino { ra, dec, log10E, sigma } (degrees, log10(E/GeV)); draws from `rng` in a fixed order. */
  sampleBackground(rng) {
    const u = rng.uniform();
    let lo = 0;
    let hi = this.bgCumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.bgCumulative[mid] > u) hi = mid;
      else lo = mid + 1;
    }
    const ne = this.bg.log10EnergyEdges.length - 1;
    const k = Math.floor(lo / ne);
    const j = lo % ne;
    const s1 = this.bgSinEdges[k];
    const s2 = this.bgSinEdges[k + 1];
    const dec = Math.asin(s1 + (s2 - s1) * rng.uniform()) / DEG;
    const e1 = this.bg.log10EnergyEdges[j];
    const e2 = this.bg.log10EnergyEdges[j + 1];
    const log10E = e1 + (e2 - e1) * rng.uniform();
    const v = rng.uniform();
    let b = 0;
    while (b < this.sigmaCumulative.length - 1 && this.sigmaCumulative[b] <= v) b++;
    const sl = this.sigmaEdges[b];
    const sh = this.sigmaEdges[b + 1];
    const sigma = sl * (sh / sl) ** rng.uniform();
    return { ra: 360 * rng.uniform(), dec, log10E, sigma };
  }
}

/** Degrees in [0, 360) with 4 decimals (359.99996 would otherwise print as 360.0000). */
const angle360 = (deg) => (Number(deg.toFixed(4)) % 360).toFixed(4);

/**
 * The sample's rows (`MJD log10(E/GeV) AngErr RA Dec Azimuth Zenith`, as written): arrival times a
 * Poisson process at `rateHz` from `startMjd`, each event drawn by `sampler`, zenith/azimuth by
 * `toZenithAzimuth(mjd, ra, dec)` (the project's src/coords). The generator and the transform are
 * passed in so that the script (built dist/) and a test (src/) run the same steps.
 */
export function* backgroundRows(sampler, rng, toZenithAzimuth, { events, rateHz, startMjd }) {
  let mjd = startMjd;
  for (let i = 0; i < events; i++) {
    mjd += -Math.log(1 - rng.uniform()) / rateHz / 86400;
    // Rounded first so that the written zenith/azimuth belong to the written MJD/RA/Dec.
    const t = Number(mjd.toFixed(8));
    const n = sampler.sampleBackground(rng);
    const ra = Number(n.ra.toFixed(4)) % 360;
    const dec = Number(n.dec.toFixed(4));
    const { zenith, azimuth } = toZenithAzimuth(t, ra, dec);
    yield [t.toFixed(8), n.log10E.toFixed(4), n.sigma.toFixed(3), ra.toFixed(4), dec.toFixed(4), angle360(azimuth), zenith.toFixed(4)].join(' ');
  }
}
