// Writes background-neutrinos.txt: the default background neutrino sample, a SUBSTITUTE for LLAMA
// 3.5.1's BACKGROUND_NEUTRINOS (reconstructed zenith and energy of IceCube background events, a
// remotely cached object that cannot be fetched here). Events are drawn from the llama default
// neutrino model (substitute-model/icecube-default-model.json, written by
// substitute-model/make-default-model.mjs; until 2026-12-07 src/significance/default-model.ts)
// with substitute-model/sampler.mjs (formerly NeutrinoModel.sampleBackground, removed with the
// old significance method); arrival times are a Poisson process at 3.5.1's background rate
// (6.4 mHz) from 2026-01-01; zenith/azimuth come from RA/Dec/MJD through src/coords (3.5.1's
// astropy transform, MJD read as UT1). Seeded and deterministic. Run after `npx tsc -b`:
//   node pipelines/llama/data/make-background-neutrinos.mjs
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { icrsToZenithAzimuth } from '../dist/coords/index.js';
import { BackgroundSampler, backgroundRows, loadDefaultModelFile } from './substitute-model/sampler.mjs';
import { Rng } from '../dist/significance/numeric.js';

const EVENTS = 100_000;
const SEED = 20261207;
const RATE_HZ = 6.4e-3; // 3.5.1 ratebgnu
const START_MJD = 61041; // 2026-01-01T00:00 (UT1)

const file = loadDefaultModelFile();
const rows = [...backgroundRows(new BackgroundSampler(file), new Rng(SEED), icrsToZenithAzimuth, { events: EVENTS, rateHz: RATE_HZ, startMjd: START_MJD })];
const header = [
  '# SUBSTITUTE background neutrino sample: NOT IceCube data. It stands in for LLAMA 3.5.1\'s BACKGROUND_NEUTRINOS',
  '# (a remotely cached object of reconstructed zenith/energy of IceCube background events that cannot be fetched here).',
  // Kept as first written (the model's source then) so that a rerun gives the committed bytes.
  `# Drawn from the llama default neutrino model ${file.name} (pipelines/llama/src/significance/default-model.ts) by`,
  `# pipelines/llama/data/make-background-neutrinos.mjs: ${EVENTS} events, seed ${SEED}, Poisson arrival times at ${RATE_HZ * 1e3} mHz from MJD ${START_MJD};`,
  '# Azimuth/Zenith from MJD (read as UT1), RA, Dec with llama src/coords (3.5.1\'s astropy transform). Format: IceCube public data release events.',
  '# MJD[days] log10(E/GeV) AngErr[deg] RA[deg] Dec[deg] Azimuth[deg] Zenith[deg]',
];
const text = `${header.join('\n')}\n${rows.join('\n')}\n`;
const target = new URL('./background-neutrinos.txt', import.meta.url);
writeFileSync(target, text);
console.log(`wrote ${target.pathname}: ${EVENTS} events, ${text.length} bytes, sha256 ${createHash('sha256').update(text).digest('hex')}`);
