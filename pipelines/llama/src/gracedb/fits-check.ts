import { gunzipSync } from 'node:zlib';
import { FitsError, parseFits, type FitsFile } from '../fits/index.js';

/**
 * A structural check of a downloaded skymap before it is accepted, with the project's FITS reader:
 * gzip (optional), every HDU's header and data present, and a BINTABLE extension (every LVK
 * HEALPix skymap is one). It catches HTML error pages and truncated or corrupt downloads.
 */

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The parsed file, or the problem in one line. */
function parse(input: Uint8Array): FitsFile | string {
  let bytes = input;
  if (isGzip(input)) {
    try {
      bytes = gunzipSync(input);
    } catch (error) {
      return `corrupt gzip stream (${error instanceof Error ? error.message : String(error)})`;
    }
  }
  try {
    return parseFits(bytes, 'download');
  } catch (error) {
    if (error instanceof FitsError) return error.problem;
    return error instanceof Error ? error.message : String(error);
  }
}

/** Undefined when the bytes are a complete FITS file with a binary table; else the problem. */
export function fitsProblem(input: Uint8Array): string | undefined {
  const fits = parse(input);
  if (typeof fits === 'string') return fits;
  return fits.hdus.some((h) => h.type === 'BINTABLE') ? undefined : 'no BINTABLE extension (not a HEALPix skymap)';
}

/** The first value of a header keyword in any HDU (e.g. CREATOR), or undefined. */
export function fitsHeaderValue(input: Uint8Array, key: string): string | undefined {
  const fits = parse(input);
  if (typeof fits === 'string') return undefined;
  for (const hdu of fits.hdus) {
    const value = hdu.header.values[key];
    if (value !== undefined) return String(value).trim();
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
