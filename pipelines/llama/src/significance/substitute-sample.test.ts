import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain-JavaScript module of the data script (no types)
import { BackgroundSampler, backgroundRows, loadDefaultModelFile } from '../../data/substitute-model/sampler.mjs';
import { icrsToZenithAzimuth } from '../coords/index.js';
import { Rng } from './numeric.js';

/**
 * data/background-neutrinos.txt (the shipped SUBSTITUTE background sample) must stay reproducible
 * by its script, data/make-background-neutrinos.mjs: the same sampler, generator and coordinate
 * transform, run here from src/, give its first rows character for character. (The full file's
 * sha256 is checked by running the script; see data/README.md.)
 */
describe('the substitute background sample is what its script makes', () => {
  it('first 3000 rows regenerate exactly (seed 20261207, 6.4 mHz from MJD 61041)', () => {
    const text = readFileSync(new URL('../../data/background-neutrinos.txt', import.meta.url), 'utf8');
    const shipped = text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).slice(0, 3000);
    const file = loadDefaultModelFile();
    expect(file.name).toBe('llama-default-gfu-v1');
    const rows: string[] = [];
    for (const row of backgroundRows(new BackgroundSampler(file), new Rng(20261207), icrsToZenithAzimuth, { events: 3000, rateHz: 6.4e-3, startMjd: 61041 })) rows.push(row as string);
    expect(rows).toEqual(shipped);
  });
});
