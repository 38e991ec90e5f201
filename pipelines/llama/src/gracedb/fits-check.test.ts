import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { fitsHeaderValue, fitsProblem, skymapProblem } from './fits-check.js';

const SKYMAP = readFileSync(new URL('../../test-fixtures/MS260103c.multiorder.fits', import.meta.url));

/** A FITS header block from cards. */
function header(cards: string[]): Buffer {
  const text = [...cards, 'END'].map((c) => c.padEnd(80)).join('');
  return Buffer.from(text.padEnd(Math.ceil(text.length / 2880) * 2880));
}

describe('fitsProblem', () => {
  it('accepts a real skymap, plain or gzipped, and reads header values', () => {
    expect(fitsProblem(SKYMAP)).toBeUndefined();
    expect(fitsProblem(gzipSync(SKYMAP))).toBeUndefined();
    expect(fitsHeaderValue(SKYMAP, 'ORDERING')).toBe('NUNIQ');
    expect(fitsHeaderValue(gzipSync(SKYMAP), 'CREATOR')).toBe('BAYESTAR');
    expect(fitsHeaderValue(SKYMAP, 'NOSUCHKEY')).toBeUndefined();
  });

  it('names what is wrong with broken files', () => {
    expect(fitsProblem(Buffer.from('<html>oops</html>'))).toMatch(/^not a FITS file \(it starts with "<html>oops/);
    expect(fitsProblem(SKYMAP.subarray(0, SKYMAP.length - 3000))).toMatch(/truncated: HDU 1 \(BINTABLE\) needs/);
    expect(fitsProblem(SKYMAP.subarray(0, 2880 * 4))).toMatch(/truncated: HDU 1 \(BINTABLE\) needs/);
    expect(fitsProblem(gzipSync(SKYMAP).subarray(0, 5000))).toMatch(/corrupt gzip stream/);
    const primaryOnly = header(['SIMPLE  =                    T', 'BITPIX  =                    8', 'NAXIS   =                    0']);
    expect(fitsProblem(primaryOnly)).toBe('no BINTABLE extension (not a HEALPix skymap)');
    const noEnd = Buffer.from('SIMPLE  =                    T'.padEnd(2880));
    expect(fitsProblem(noEnd)).toMatch(/no END card/);
  });

  it('refuses a well-formed FITS table that is not a HEALPix map', () => {
    expect(skymapProblem(SKYMAP)).toBeUndefined();
    const primary = header(['SIMPLE  =                    T', 'BITPIX  =                    8', 'NAXIS   =                    0', 'EXTEND  =                    T']);
    const table = header(["XTENSION= 'BINTABLE'", 'BITPIX  =                    8', 'NAXIS   =                    2', 'NAXIS1  =                    8',
      'NAXIS2  =                    1', 'PCOUNT  =                    0', 'GCOUNT  =                    1', 'TFIELDS =                    1', "TFORM1  = 'D       '"]);
    const notSkymap = Buffer.concat([primary, table, Buffer.alloc(2880)]);
    expect(fitsProblem(notSkymap)).toBeUndefined();
    expect(skymapProblem(notSkymap)).toBe('not a HEALPix skymap (PIXTYPE missing)');
  });
});
