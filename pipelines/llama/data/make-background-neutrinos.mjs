// Writes background-neutrinos.txt: the default background neutrino sample, a SUBSTITUTE for LLAMA
// 3.5.1's BACKGROUND_NEUTRINOS (reconstructed zenith and energy of IceCube background events, a
// remotely cached object that cannot be fetched here). Events are drawn from the project's default
// neutrino model (src/significance/default-model.ts, data/icecube-default-model.json) with
// NeutrinoModel.sampleBackground; arrival times are a Poisson process at 3.5.1's background rate
// (6.4 mHz) from 2026-01-01; zenith/azimuth come from RA/Dec/MJD through src/coords (3.5.1's
// astropy transform, MJD read as UT1). Seeded and deterministic. Run after `npx tsc -b`:
//   node pipelines/llama/data/make-background-neutrinos.mjs
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { icrsToZenithAzimuth } from '../dist/coords/index.js';
import { loadDefaultModelFile, NeutrinoModel } from '../dist/significance/model.js';
import { Rng } from '../dist/significance/numeric.js';

const EVENTS = 100_000;
const SEED = 20261207;
const RATE_HZ = 6.4e-3; // 3.5.1 ratebgnu
const START_MJD = 61041; // 2026-01-01T00:00 (UT1)

/** Degrees in [0, 360) with 4 decimals (359.99996 would otherwise print as 360.0000). */
const angle360 = (deg) => (Number(deg.toFixed(4)) % 360).toFixed(4);

const file = loadDefaultModelFile();
const model = new NeutrinoModel(file);
const rng = new Rng(SEED);
const rows = [];
let mjd = START_MJD;
for (let i = 0; i < EVENTS; i++) {
  mjd += -Math.log(1 - rng.uniform()) / RATE_HZ / 86400;
  // Rounded first so that the written zenith/azimuth belong to the written MJD/RA/Dec.
  const t = Number(mjd.toFixed(8));
  const n = model.sampleBackground(rng);
  const ra = Number(n.ra.toFixed(4)) % 360;
  const dec = Number(n.dec.toFixed(4));
  const { zenith, azimuth } = icrsToZenithAzimuth(t, ra, dec);
  rows.push([t.toFixed(8), n.log10E.toFixed(4), n.sigma.toFixed(3), ra.toFixed(4), dec.toFixed(4), angle360(azimuth), zenith.toFixed(4)].join(' '));
}
const header = [
  '# SUBSTITUTE background neutrino sample: NOT IceCube data. It stands in for LLAMA 3.5.1\'s BACKGROUND_NEUTRINOS',
  '# (a remotely cached object of reconstructed zenith/energy of IceCube background events that cannot be fetched here).',
  `# Drawn from the llama default neutrino model ${file.name} (pipelines/llama/src/significance/default-model.ts) by`,
  `# pipelines/llama/data/make-background-neutrinos.mjs: ${EVENTS} events, seed ${SEED}, Poisson arrival times at ${RATE_HZ * 1e3} mHz from MJD ${START_MJD};`,
  '# Azimuth/Zenith from MJD (read as UT1), RA, Dec with llama src/coords (3.5.1\'s astropy transform). Format: IceCube public data release events.',
  '# MJD[days] log10(E/GeV) AngErr[deg] RA[deg] Dec[deg] Azimuth[deg] Zenith[deg]',
];
const text = `${header.join('\n')}\n${rows.join('\n')}\n`;
const target = new URL('./background-neutrinos.txt', import.meta.url);
writeFileSync(target, text);
console.log(`wrote ${target.pathname}: ${EVENTS} events, ${text.length} bytes, sha256 ${createHash('sha256').update(text).digest('hex')}`);
