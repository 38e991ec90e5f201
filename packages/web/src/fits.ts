import { closeSync, openSync, readSync } from 'node:fs';
import { constants, gunzipSync } from 'node:zlib';

/** The header cards of a FITS file's first HDUs (a skymap: the empty primary and the BINTABLE). */
export interface FitsHeader {
  readonly hdu: number;
  readonly cards: readonly string[];
}

const BLOCK = 2880;
/** Enough compressed bytes for the headers of any skymap (they come first). */
const READ_BYTES = 1024 * 1024;

function head(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(READ_BYTES);
    const n = readSync(fd, buf, 0, READ_BYTES, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

function cardValue(cards: readonly string[], key: string): number | undefined {
  const card = cards.find((c) => c.slice(0, 8).trim() === key);
  if (card === undefined) return undefined;
  const value = Number.parseInt(card.slice(10).split('/')[0]?.trim() ?? '', 10);
  return Number.isFinite(value) ? value : undefined;
}

/**
 * Read the headers of up to `maxHdus` HDUs from the start of a FITS file, gzipped or not.
 * Returns undefined when the file is not FITS.
 */
export function readFitsHeaders(path: string, maxHdus = 2): FitsHeader[] | undefined {
  let bytes = head(path);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      // A truncated stream is fine: the headers come first.
      bytes = gunzipSync(bytes, { finishFlush: constants.Z_SYNC_FLUSH });
    } catch {
      return undefined;
    }
  }
  if (!bytes.subarray(0, 9).toString('latin1').startsWith('SIMPLE  =')) return undefined;
  const headers: FitsHeader[] = [];
  let offset = 0;
  for (let hdu = 0; hdu < maxHdus && offset < bytes.length; hdu++) {
    const cards: string[] = [];
    let end = false;
    while (!end && offset + 80 <= bytes.length) {
      const card = bytes.subarray(offset, offset + 80).toString('latin1');
      offset += 80;
      if (card.startsWith('END') && card.slice(3).trim() === '') end = true;
      else if (card.trim() !== '') cards.push(card.trimEnd());
    }
    headers.push({ hdu, cards });
    if (!end) break;
    offset = Math.ceil(offset / BLOCK) * BLOCK;
    // Skip the data: |BITPIX|/8 · NAXIS1 · … · NAXISn (+ PCOUNT), padded to a block.
    const naxis = cardValue(cards, 'NAXIS') ?? 0;
    let size = naxis === 0 ? 0 : Math.abs(cardValue(cards, 'BITPIX') ?? 8) / 8;
    for (let i = 1; i <= naxis; i++) size *= cardValue(cards, `NAXIS${i}`) ?? 0;
    size += cardValue(cards, 'PCOUNT') ?? 0;
    offset += Math.ceil(size / BLOCK) * BLOCK;
  }
  return headers;
}
