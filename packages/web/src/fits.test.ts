import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readFitsHeaders } from './fits.js';

const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'pipelines', 'llama', 'test-fixtures');

function value(cards: readonly string[], key: string): string | undefined {
  return cards.find((c) => c.slice(0, 8).trim() === key)?.slice(10).split('/')[0]?.trim().replace(/^'(.*)'$/, '$1').trim();
}

// Expected values read independently with astropy.io.fits (Debian python3-astropy), 2026-12-07:
// fits.open(f)[i].header: the card count and these keys.
describe('FITS headers for the file page', () => {
  it('reads both HDUs of a gzipped flat skymap as astropy does', () => {
    const headers = readFitsHeaders(join(FIXTURES, 'MS260102b.fits.gz'));
    expect(headers?.map((h) => h.cards.length)).toEqual([4, 34]);
    const ext = headers?.[1]?.cards ?? [];
    expect([value(ext, 'NAXIS1'), value(ext, 'NAXIS2'), value(ext, 'TFIELDS'), value(ext, 'NSIDE'), value(ext, 'ORDERING'), value(ext, 'OBJECT')]).toEqual(['16384', '48', '4', '64', 'RING', 'MS260102b']);
    expect(Number(value(ext, 'DISTMEAN'))).toBeCloseTo(494.6517681669025, 10);
  });

  it('reads a multi-order skymap (uncompressed) as astropy does', () => {
    const headers = readFitsHeaders(join(FIXTURES, 'MS260103c.multiorder.fits'));
    expect(headers?.map((h) => h.cards.length)).toEqual([4, 37]);
    const ext = headers?.[1]?.cards ?? [];
    expect([value(ext, 'NAXIS2'), value(ext, 'ORDERING'), value(ext, 'INDXSCHM'), value(ext, 'MOCORDER')]).toEqual(['51342', 'NUNIQ', 'EXPLICIT', '8']);
  });

  it('says undefined for a file that is not FITS', () => {
    const path = join(tmpdir(), `not-fits-${process.pid}.fits`);
    writeFileSync(path, 'hello');
    expect(readFitsHeaders(path)).toBeUndefined();
  });
});
