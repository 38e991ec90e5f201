import { gunzipSync } from 'node:zlib';

/**
 * A structural check of a downloaded skymap, before it is accepted: gzip (optional), FITS
 * primary header, every HDU's header and data fit in the file, and a BINTABLE extension (every
 * LVK HEALPix skymap is one). It catches HTML error pages, truncated and corrupt downloads; the
 * skymap reader does the full parse downstream.
 */

const BLOCK = 2880;
const CARD = 80;

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

interface HeaderScan {
  readonly cards: Map<string, string>;
  /** Offset just past the header's last block. */
  readonly end: number;
}

/** The value of a card: a quoted string (with '' escapes) or the text before a comment. */
function cardValue(field: string): string {
  const text = field.trimStart();
  if (text.startsWith("'")) {
    const match = /^'((?:[^']|'')*)'/.exec(text);
    return (match?.[1] ?? '').replaceAll("''", "'").trim();
  }
  return (text.split('/')[0] ?? '').trim();
}

function scanHeader(bytes: Uint8Array, start: number): HeaderScan | string {
  const cards = new Map<string, string>();
  const decoder = new TextDecoder('latin1');
  for (let offset = start; offset + CARD <= bytes.length; offset += CARD) {
    const card = decoder.decode(bytes.subarray(offset, offset + CARD));
    const key = card.slice(0, 8).trimEnd();
    if (key === 'END') return { cards, end: start + Math.ceil((offset + CARD - start) / BLOCK) * BLOCK };
    if (card.slice(8, 10) === '= ') cards.set(key, cardValue(card.slice(10)));
  }
  return `the header starting at byte ${start} has no END card (truncated file?)`;
}

function dataBytes(cards: Map<string, string>): number | string {
  const bitpix = Number(cards.get('BITPIX'));
  const naxis = Number(cards.get('NAXIS'));
  if (![8, 16, 32, 64, -32, -64].includes(bitpix)) return `BITPIX=${cards.get('BITPIX') ?? '(missing)'} is not valid`;
  if (!Number.isInteger(naxis) || naxis < 0 || naxis > 999) return `NAXIS=${cards.get('NAXIS') ?? '(missing)'} is not valid`;
  if (naxis === 0) return 0;
  let count = 1;
  for (let i = 1; i <= naxis; i++) {
    const n = Number(cards.get(`NAXIS${i}`));
    if (!Number.isInteger(n) || n < 0) return `NAXIS${i}=${cards.get(`NAXIS${i}`) ?? '(missing)'} is not valid`;
    count *= n;
  }
  const pcount = Number(cards.get('PCOUNT') ?? 0);
  const gcount = Number(cards.get('GCOUNT') ?? 1);
  return (Math.abs(bitpix) / 8) * gcount * (pcount + count);
}

/** Undefined when the bytes look like a complete FITS file with a binary table; else the problem. */
export function fitsProblem(input: Uint8Array): string | undefined {
  let bytes = input;
  if (isGzip(input)) {
    try {
      bytes = gunzipSync(input);
    } catch (error) {
      return `corrupt gzip stream (${error instanceof Error ? error.message : String(error)})`;
    }
  }
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 30));
  if (!/^SIMPLE  =\s+T/.test(head)) {
    const preview = head.replace(/[^\x20-\x7e]/g, '.').slice(0, 20);
    return `not a FITS file (starts with ${JSON.stringify(preview)}, not "SIMPLE  = T")`;
  }
  if (bytes.length % BLOCK !== 0) return `truncated or padded: ${bytes.length} bytes is not a multiple of ${BLOCK}`;
  let offset = 0;
  let tables = 0;
  while (offset < bytes.length) {
    const header = scanHeader(bytes, offset);
    if (typeof header === 'string') return header;
    const size = dataBytes(header.cards);
    if (typeof size === 'string') return `HDU at byte ${offset}: ${size}`;
    const next = header.end + Math.ceil(size / BLOCK) * BLOCK;
    if (next > bytes.length) return `truncated: the HDU at byte ${offset} needs ${next} bytes, the file has ${bytes.length}`;
    if (header.cards.get('XTENSION') === 'BINTABLE') tables++;
    offset = next;
  }
  return tables === 0 ? 'no BINTABLE extension (not a HEALPix skymap)' : undefined;
}

/** The first value of a header keyword in any HDU (e.g. CREATOR), or undefined. */
export function fitsHeaderValue(input: Uint8Array, key: string): string | undefined {
  let bytes = input;
  if (isGzip(input)) {
    try {
      bytes = gunzipSync(input);
    } catch {
      return undefined;
    }
  }
  let offset = 0;
  while (offset < bytes.length) {
    const header = scanHeader(bytes, offset);
    if (typeof header === 'string') return undefined;
    const value = header.cards.get(key);
    if (value !== undefined) return value;
    const size = dataBytes(header.cards);
    if (typeof size === 'string') return undefined;
    offset = header.end + Math.ceil(size / BLOCK) * BLOCK;
  }
  return undefined;
}

/**
 * fitsProblem plus "is it a HEALPix map" (PIXTYPE = 'HEALPIX'). LvcSkymapFits is generate-once:
 * whatever it accepts is kept for good, so a well-formed FITS file that is no skymap must be
 * refused here, not downstream.
 */
export function skymapProblem(bytes: Uint8Array): string | undefined {
  const problem = fitsProblem(bytes);
  if (problem !== undefined) return problem;
  const pixtype = fitsHeaderValue(bytes, 'PIXTYPE');
  return pixtype?.toUpperCase() === 'HEALPIX' ? undefined : `not a HEALPix skymap (PIXTYPE ${pixtype === undefined ? 'missing' : JSON.stringify(pixtype)})`;
}
