import { describe, expect, it } from 'vitest';
import { BLOCK, FitsError, parseFits } from './index.js';
import { writeBinTableFits } from './write.js';

/**
 * Bounded fuzzing of the FITS reader: truncated, bit-flipped and card-mutated variants of a
 * valid skymap-like file. Every outcome is either a parsed file whose columns read, or a
 * FitsError naming the file; never another exception. LLAMA_FUZZ_SEED replays a run.
 */
const SEED = Number(process.env['LLAMA_FUZZ_SEED'] ?? Date.now() % 1_000_000);
const CASES = 400;

function random(seed: number): () => number {
  let x = seed >>> 0 || 11;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const rows = 48;
const valid = writeBinTableFits(
  [
    { name: 'UNIQ', type: 'K', data: Array.from({ length: rows }, (_, i) => 4 * 16 + i) },
    { name: 'PROBDENSITY', type: 'D', data: Array.from({ length: rows }, (_, i) => i / rows) },
    { name: 'DISTMU', type: 'E', repeat: 2, unit: 'Mpc', data: Array.from({ length: 2 * rows }, (_, i) => 100 + i) },
    { name: 'FLAG', type: 'J', data: Array.from({ length: rows }, (_, i) => i % 3) },
  ],
  { ORDERING: 'NUNIQ', MOCORDER: 2, OBJECT: 'MS260101a' },
);

const CARD_VALUES = ['-1', '0', '1', '99999999999', '1e308', 'NaN', "'1024E'", "'K'", "'9999999999D'", "'0E'", "'X'", "'Q'", 'T', "'unterminated", '', '2.5', '-2147483648'];
const KEYWORDS = ['NAXIS1', 'NAXIS2', 'TFIELDS', 'TFORM1', 'TFORM2', 'TFORM3', 'BITPIX', 'NAXIS', 'PCOUNT', 'GCOUNT', 'TSCAL2', 'TZERO4', 'XTENSION'];

function mutate(rand: () => number): { bytes: Uint8Array; how: string } {
  const bytes = new Uint8Array(valid);
  const kind = Math.floor(rand() * 4);
  if (kind === 0) {
    const at = Math.floor(rand() * bytes.length);
    return { bytes: bytes.subarray(0, at), how: `truncated at ${at}` };
  }
  if (kind === 1) {
    const flips = 1 + Math.floor(rand() * 8);
    const where: number[] = [];
    for (let i = 0; i < flips; i++) {
      // Mostly in the headers, where the structure lives.
      const at = rand() < 0.8 ? Math.floor(rand() * 2 * BLOCK) : Math.floor(rand() * bytes.length);
      bytes[at] = Math.floor(rand() * 256);
      where.push(at);
    }
    return { bytes, how: `bytes changed at ${where.join(',')}` };
  }
  if (kind === 2) {
    const text = new TextDecoder('latin1').decode(bytes);
    const keyword = KEYWORDS[Math.floor(rand() * KEYWORDS.length)] as string;
    const value = CARD_VALUES[Math.floor(rand() * CARD_VALUES.length)] as string;
    const at = text.indexOf(`${keyword.padEnd(8)}=`, BLOCK);
    if (at < 0) return { bytes, how: 'unchanged' };
    const card = `${keyword.padEnd(8)}= ${value.padStart(20)}`.padEnd(80).slice(0, 80);
    bytes.set(new TextEncoder().encode(card), at);
    return { bytes, how: `${keyword} = ${value}` };
  }
  const garbage = new Uint8Array(Math.floor(rand() * 3 * BLOCK));
  for (let i = 0; i < garbage.length; i++) garbage[i] = Math.floor(rand() * 256);
  const prefix = new TextEncoder().encode('SIMPLE  =                    T');
  if (rand() < 0.5 && garbage.length >= prefix.length) garbage.set(prefix, 0);
  return { bytes: garbage, how: `${garbage.length} random bytes` };
}

describe(`FITS reader under mutated input (seed ${SEED})`, () => {
  it('the valid file reads', () => {
    const table = parseFits(valid, 'valid.fits').binTable();
    expect(table.readColumn('DISTMU').length).toBe(2 * rows);
  });

  it(`${CASES} mutated files: parsed and readable, or a FitsError naming the file`, () => {
    const rand = random(SEED);
    const started = Date.now();
    let rejected = 0;
    for (let i = 0; i < CASES; i++) {
      const { bytes, how } = mutate(rand);
      try {
        const table = parseFits(bytes, 'fuzz.fits').binTable();
        for (const column of table.columns) {
          try {
            table.readColumn(column);
          } catch (error) {
            // A column of a type this reader does not read as numbers is a FitsError too.
            if (!(error instanceof FitsError)) throw error;
          }
        }
      } catch (error) {
        rejected++;
        const seen = { how, type: error instanceof Error ? error.constructor.name : typeof error, message: String((error as Error).message) };
        expect(seen).toMatchObject({ type: 'FitsError', message: expect.stringMatching(/^fuzz\.fits: /) });
      }
    }
    expect(rejected).toBeGreaterThan(CASES / 4);
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
