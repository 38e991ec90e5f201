import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FitsError, parseFits, readFits } from './index.js';
import { writeBinTableFits } from './write.js';

const fixture = (name: string): string => new URL(`../../test-fixtures/${name}`, import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'llama-fits-'));

describe('FITS reader', () => {
  it('reads the primary HDU and the BINTABLE of a real-layout skymap, with header values typed', async () => {
    const fits = await readFits(fixture('MS260103c.multiorder.fits'));
    expect(fits.hdus.map((h) => h.type)).toEqual(['PRIMARY', 'BINTABLE']);
    const table = fits.binTable();
    expect(table.columns.map((c) => c.name)).toEqual(['UNIQ', 'PROBDENSITY', 'DISTMU', 'DISTSIGMA', 'DISTNORM']);
    expect(table.header.values.NAXIS2).toBe(table.rows);
    expect(table.header.values.ORDERING).toBe('NUNIQ');
    expect(table.header.values.MOCORDER).toBe(8);
    expect(table.header.values['DATE-OBS']).toBe('2026-01-03T22:10:00.500000');
    expect(table.column('distmu')?.unit).toBe('Mpc');
    const uniq = table.readColumn('UNIQ');
    expect(uniq.length).toBe(table.rows);
    expect(uniq.every((u) => Number.isInteger(u) && u >= 4)).toBe(true);
  });

  it('decompresses gzip by magic bytes and honours repeat counts (1024E)', async () => {
    const fits = await readFits(fixture('MS260102b.fits.gz'));
    const table = fits.binTable();
    const prob = table.columns[0]!;
    expect(prob.repeat).toBe(1024);
    expect(prob.type).toBe('E');
    expect(table.readColumn(prob).length).toBe(table.rows * 1024);
  });

  it('round-trips every numeric type it writes, strings with quotes, logicals and exponents', () => {
    const bytes = writeBinTableFits(
      [
        { name: 'A', type: 'D', data: [1.5, -2.25e-300, Math.PI] },
        { name: 'B', type: 'E', repeat: 2, data: [1, 2, 3, 4, 5, 6] },
        { name: 'C', type: 'K', data: [4, 2 ** 52 + 1, -7] },
        { name: 'D', type: 'J', data: [-1, 0, 2147483647] },
      ],
      { NAME: "O'Brien", FLAG: false, BIG: 1.25e21 },
    );
    const table = parseFits(bytes, 'mem.fits').binTable();
    expect(Array.from(table.readColumn('A'))).toEqual([1.5, -2.25e-300, Math.PI]);
    expect(Array.from(table.readColumn('B'))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(table.readColumn('C'))).toEqual([4, 2 ** 52 + 1, -7]);
    expect(Array.from(table.readColumn('D'))).toEqual([-1, 0, 2147483647]);
    expect(table.header.values).toMatchObject({ NAME: "O'Brien", FLAG: false, BIG: 1.25e21 });
  });

  it('names the file and the problem for non-FITS, truncated and corrupt files', async () => {
    const notFits = join(dir, 'notes.fits');
    writeFileSync(notFits, 'hello, this is not FITS\n'.repeat(200));
    await expect(readFits(notFits)).rejects.toThrow(new RegExp(`${notFits}: not a FITS file`));

    const whole = readFileSync(fixture('MS260101a.fits'));
    const truncated = join(dir, 'truncated.fits');
    writeFileSync(truncated, whole.subarray(0, 100_000));
    await expect(readFits(truncated)).rejects.toThrow(/truncated\.fits: truncated: HDU 1 \(BINTABLE\) needs \d+ bytes of data but only \d+ remain/);

    const headerOnly = join(dir, 'header-cut.fits');
    writeFileSync(headerOnly, whole.subarray(0, 2880 + 800));
    await expect(readFits(headerOnly)).rejects.toThrow(/header-cut\.fits: truncated: the header of HDU 1 has no END card/);

    const badGzip = join(dir, 'cut.fits.gz');
    writeFileSync(badGzip, gzipSync(whole).subarray(0, 5000));
    await expect(readFits(badGzip)).rejects.toThrow(/cut\.fits\.gz: corrupt or truncated gzip data/);

    const empty = join(dir, 'empty.fits');
    writeFileSync(empty, '');
    await expect(readFits(empty)).rejects.toThrow(/empty\.fits: is empty/);

    await expect(readFits(join(dir, 'missing.fits'))).rejects.toThrow(/missing\.fits: cannot be read \(ENOENT\)/);
    await expect(readFits(notFits)).rejects.toBeInstanceOf(FitsError);
  });

  it('rejects a table whose TFORMs disagree with NAXIS1', () => {
    const bytes = writeBinTableFits([{ name: 'A', type: 'D', data: [1, 2] }]);
    const text = new TextDecoder('latin1').decode(bytes).replace("TFORM1  = 'D       '", "TFORM1  = 'E       '");
    const corrupted = Uint8Array.from(text, (c) => c.charCodeAt(0));
    expect(() => parseFits(corrupted, 'x.fits').binTable()).toThrow(/x\.fits: HDU 1 \(BINTABLE\): the columns' TFORMs add up to 4 bytes a row but NAXIS1 is 8/);
  });
});
