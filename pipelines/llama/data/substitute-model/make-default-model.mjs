// Writes icecube-default-model.json: the llama default neutrino model, used since 2026-12-07 only
// by ../make-background-neutrinos.mjs (the substitute background sample's provenance). This is the
// parametrisation that was src/significance/default-model.ts (git 94277bd), as plain JavaScript with
// the same operations, so it writes the same bytes:
//   node pipelines/llama/data/substitute-model/make-default-model.mjs
import { writeFileSync } from 'node:fs';

/*
 * The model's description, as it was written for the (removed) runtime model:
 *
 * It is a smooth, hand-built parametrisation shaped after the published characteristics of
 * IceCube's track samples (the IC86 point-source / GFU effective areas and background rates, e.g.
 * arXiv:2101.09836, ApJ 835:151): rising effective area, Earth absorption above ~100 TeV for
 * up-going events (Dec > 0 at the Pole), a veto threshold of 1–300 TeV in the southern sky, and
 * an atmospheric background falling roughly as E^-3.7. It is NOT fitted to IceCube data and is
 * not an IceCube product: it exists so the pipeline runs end to end with no private inputs.
 */

const DEFAULT_MODEL_NAME = 'llama-default-gfu-v1';

const DEC_EDGES = Array.from({ length: 91 }, (_, i) => -90 + 2 * i);
const E_EDGES = Array.from({ length: 81 }, (_, i) => Math.round((1 + 0.1 * i) * 10) / 10);
const SIGMA_EDGES = [0.2, 0.3, 0.45, 0.7, 1, 1.5, 2.2, 3.3, 5, 7.5, 11, 16, 25];
const DEG = Math.PI / 180;

/** log10 of the southern-sky veto threshold energy (GeV) at sin(dec) = s < 0. */
function log10VetoThreshold(s) {
  return 3 + 2.5 * Math.min(1, Math.max(0, -s) / 0.6);
}

/** Effective area, cm², at log10(E/GeV) = x and sin(dec) = s. */
function defaultEffectiveArea(x, s) {
  const base = x <= 4 ? 1e4 * 10 ** (0.9 * -1) * 10 ** (1.6 * (x - 4)) : x <= 5 ? 1e4 * 10 ** (0.9 * (x - 5)) : 1e4 * 10 ** (0.45 * (x - 5));
  const energy = 10 ** x;
  // Up-going (Dec > 0 at the Pole): absorption along a chord ∝ sin(dec).
  const earth = s > 0 ? Math.exp(-s * Math.sqrt(energy / 10 ** 5.3)) : 1;
  // Down-going: atmospheric-muon veto removes events below a declination-dependent threshold.
  const veto = s < 0 ? 1 / (1 + (10 ** log10VetoThreshold(s) / energy) ** 2) : 1;
  return base * earth * veto;
}

/** Unnormalised background density per unit sin(dec) per unit log10 E. */
function northBackground(x, s) {
  const zenithShape = 1 + 0.6 * (1 - Math.abs(s));
  const energyShape = 10 ** (-1.7 * (x - 3)) / (1 + 10 ** (-4 * (x - 2.7)));
  return zenithShape * energyShape;
}

function southBackground(x, s) {
  const zenithShape = Math.exp(-(Math.max(0, -s - 0.087)) / 0.25);
  const xt = log10VetoThreshold(s) - 0.3;
  const energyShape = 10 ** (-2 * (x - xt)) / (1 + 10 ** (-4 * (x - xt)));
  return zenithShape * energyShape;
}

/** Fraction of background events in the northern sky (Dec > −5°). */
const NORTH_FRACTION = 0.55;

function binAverage(f, d1, d2, x1, x2) {
  // 4×4 midpoint rule in (sin dec, log10 E) inside the bin.
  const s1 = Math.sin(d1 * DEG);
  const s2 = Math.sin(d2 * DEG);
  let sum = 0;
  for (let a = 0; a < 4; a++) {
    for (let b = 0; b < 4; b++) sum += f(x1 + ((b + 0.5) * (x2 - x1)) / 4, s1 + ((a + 0.5) * (s2 - s1)) / 4);
  }
  return sum / 16;
}

const round = (v) => Number(v.toPrecision(6));

function buildDefaultModel() {
  const nd = DEC_EDGES.length - 1;
  const ne = E_EDGES.length - 1;
  const area = [];
  const north = [];
  const south = [];
  let northSum = 0;
  let southSum = 0;
  for (let k = 0; k < nd; k++) {
    const d1 = DEC_EDGES[k];
    const d2 = DEC_EDGES[k + 1];
    const ds = Math.sin(d2 * DEG) - Math.sin(d1 * DEG);
    const isNorth = (d1 + d2) / 2 > -5;
    area.push([]);
    north.push([]);
    south.push([]);
    for (let j = 0; j < ne; j++) {
      const x1 = E_EDGES[j];
      const x2 = E_EDGES[j + 1];
      (area[k]).push(round(binAverage(defaultEffectiveArea, d1, d2, x1, x2)));
      const n = isNorth ? binAverage(northBackground, d1, d2, x1, x2) * ds * (x2 - x1) : 0;
      const s = isNorth ? 0 : binAverage(southBackground, d1, d2, x1, x2) * ds * (x2 - x1);
      (north[k]).push(n);
      (south[k]).push(s);
      northSum += n;
      southSum += s;
    }
  }
  const pdf = north.map((row, k) => row.map((n, j) => round((NORTH_FRACTION * n) / northSum + ((1 - NORTH_FRACTION) * ((south[k])[j])) / southSum)));
  // σ: log-normal, median 0.7°, 0.3 dex wide (GFU track angular errors are mostly 0.3°–2°).
  const sigmaWeights = SIGMA_EDGES.slice(1).map((hi, i) => {
    const lo = SIGMA_EDGES[i];
    const cdf = (v) => 0.5 * (1 + erf((Math.log10(v) - Math.log10(0.7)) / (0.3 * Math.SQRT2)));
    return round(cdf(hi) - cdf(lo));
  });
  return {
    format: 'llama-neutrino-model-v1',
    name: DEFAULT_MODEL_NAME,
    description:
      'Default IceCube track-sample model shipped with llama: smooth parametrised effective area (E^-2 signal) and ' +
      'background density in (declination, log10 E), plus the angular-error distribution for background trials.',
    provenance:
      'Hand-built parametrisation (pipelines/llama/src/significance/default-model.ts) shaped after published IceCube ' +
      'IC86 track-sample characteristics (arXiv:2101.09836; ApJ 835:151). Not fitted to IceCube data; not an IceCube ' +
      'product. Effective area: 1e4 cm^2 at 100 TeV, slope 1.6 (E<10 TeV), 0.9 (10-100 TeV), 0.45 (>100 TeV) in log-log; ' +
      'Earth absorption exp(-sin(dec) sqrt(E/200 TeV)) for dec>0; southern veto 1/(1+(E_th/E)^2), log10(E_th/GeV) = ' +
      '3 + 2.5 min(1, -sin(dec)/0.6). Background: 55% at dec>-5 deg with E^-1.7 per log10 E above ~500 GeV and a ' +
      'horizon enhancement; 45% in the south just above the veto threshold, concentrated near the horizon. ' +
      'sigma: log-normal, median 0.7 deg, 0.3 dex.',
    effectiveArea: { decEdgesDeg: DEC_EDGES, log10EnergyEdges: E_EDGES, values: area },
    background: { kind: 'pdf', decEdgesDeg: DEC_EDGES, log10EnergyEdges: E_EDGES, values: pdf },
    sigma: { edgesDeg: SIGMA_EDGES, weights: sigmaWeights },
  };
}

/** Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7): enough for bin weights. */
function erf(x) {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return x >= 0 ? y : -y;
}

const target = new URL('./icecube-default-model.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(buildDefaultModel())}\n`);
console.log(`wrote ${target.pathname}`);
