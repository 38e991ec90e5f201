import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readSkymapFits } from '../skymap/index.js';
import { aeffByBin, SkySums } from './sky.js';

/**
 * The sky sums against healpy/numpy computing 3.5.1's own expressions on the project's FITS
 * fixtures (fixtures/make-sky-reference.py): flat NESTED NSIDE 128 and multi-order up to NSIDE 256
 * (rasterised by the script, not by us). Tolerance 1e-11: ψ = arccos(dot) is ill-conditioned near
 * the neutrino (a 1e-16 change of the dot product moves ψ² by ~1e-11 relative at 0.3°), so two
 * correct float64 evaluations (3.5.1's trig formula, our unit vectors) differ at that level.
 */
const reference = JSON.parse(readFileSync(new URL('./fixtures/sky-reference.json', import.meta.url), 'utf8')) as {
  maps: Record<string, { cases: { ra: number; dec: number; sigma: number; energy: number; S: number }[]; pair_0_1: number }>;
};
const rel = (a: number, b: number): number => Math.abs(a / b - 1);

describe('sky sums = healpy/numpy evaluation of 3.5.1\'s expressions (1e-11)', () => {
  for (const [name, ref] of Object.entries(reference.maps)) {
    it(name, async () => {
      const map = await readSkymapFits(new URL(`../../test-fixtures/${name}`, import.meta.url).pathname);
      const sky = new SkySums(map);
      for (const c of ref.cases) {
        const s = sky.single({ ra: c.ra, dec: c.dec, sigma: c.sigma, aeff: aeffByBin(c.energy) }).weighted;
        if (c.S === 0) expect(s).toBe(0);
        else expect(rel(s, c.S), `${name} (${c.ra}, ${c.dec})`).toBeLessThan(1e-11);
      }
      const [a, b] = ref.cases;
      const pair = sky.pair({ ra: a!.ra, dec: a!.dec, sigma: a!.sigma, aeff: aeffByBin(a!.energy) }, { ra: b!.ra, dec: b!.dec, sigma: b!.sigma, aeff: aeffByBin(b!.energy) });
      if (ref.pair_0_1 === 0) expect(pair).toBe(0);
      else expect(rel(pair, ref.pair_0_1)).toBeLessThan(1e-11);
    });
  }
});
