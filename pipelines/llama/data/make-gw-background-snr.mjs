// Writes gw-background-snr.txt: a SYNTHETIC GW background network-SNR list, one value per line. It
// stands in for LLAMA 3.5.1's GW_BG_RHOS (historical background SNRs, a remotely cached object that
// cannot be fetched here), which only the subthreshold odds use (Pempgw: a 50-bin histogram).
// Distribution: network SNR of a two-detector search in stationary Gaussian noise, where ρ² is χ²
// with 4 degrees of freedom (two detectors × two quadratures), kept above the search threshold
// ρmin = 5.59 (3.5.1's rhomin). Real backgrounds also have a non-Gaussian (glitch) tail that this
// lacks. Seeded and deterministic. Run after `npx tsc -b`:
//   node pipelines/llama/data/make-gw-background-snr.mjs
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Rng } from '../dist/significance/numeric.js';

const COUNT = 10_000;
const SEED = 20261207;
const RHO_MIN = 5.59;

/** Survival function of χ² with 4 degrees of freedom. */
const survival = (x) => Math.exp(-x / 2) * (1 + x / 2);

/** Inverse-CDF draw of ρ with ρ² ~ χ²₄ conditioned on ρ ≥ RHO_MIN (bisection on the survival function). */
function draw(rng) {
  const x0 = RHO_MIN * RHO_MIN;
  const target = (1 - rng.uniform()) * survival(x0);
  let lo = x0;
  let hi = x0 + 400;
  for (let i = 0; i < 80; i++) {
    const mid = (lo + hi) / 2;
    if (survival(mid) > target) lo = mid;
    else hi = mid;
  }
  return Math.sqrt((lo + hi) / 2);
}

const rng = new Rng(SEED);
const values = Array.from({ length: COUNT }, () => draw(rng).toFixed(4));
const header = [
  '# SYNTHETIC GW background network-SNR list: NOT LVK data. It stands in for LLAMA 3.5.1\'s GW_BG_RHOS (historical',
  '# background SNRs on a public URL that cannot be fetched here); only CoincSignificanceSubthresholdI3Lvc uses it.',
  `# ${COUNT} values, rho^2 ~ chi^2 with 4 degrees of freedom (two-detector network in Gaussian noise), rho >= ${RHO_MIN} (3.5.1 rhomin);`,
  `# no glitch tail. Made by pipelines/llama/data/make-gw-background-snr.mjs, seed ${SEED}. One network SNR per line.`,
];
const text = `${header.join('\n')}\n${values.join('\n')}\n`;
const target = new URL('./gw-background-snr.txt', import.meta.url);
writeFileSync(target, text);
console.log(`wrote ${target.pathname}: ${COUNT} values, ${text.length} bytes, sha256 ${createHash('sha256').update(text).digest('hex')}`);
