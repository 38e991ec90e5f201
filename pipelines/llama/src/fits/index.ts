/**
 * A FITS reader written for this project (no maintained npm package reads binary tables):
 * the primary HDU and any extensions, 2880-byte blocks, header cards (strings, numbers, logicals),
 * and BINTABLE columns of type B/I/J/K/E/D with repeat counts (e.g. `1024E`), big-endian as the
 * standard requires. Gzipped files are recognised by their magic bytes. Every error names the file
 * and what is wrong with it.
 *
 * Reference: FITS Standard 4.0 (IAU FITS Working Group, 2018), §3–4 and §7.3.
 */
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';

const gunzipAsync = promisify(gunzip);

export const BLOCK = 2880;
const CARD = 80;

export class FitsError extends Error {
  override readonly name = 'FitsError';
  constructor(
    readonly fileName: string,
    /** What is wrong, without the file name. */
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${fileName}: ${problem}`, options);
  }
}

export type FitsValue = string | number | boolean;

export interface FitsCard {
  readonly keyword: string;
  /** Absent for commentary cards (COMMENT, HISTORY, blank) and undefined values. */
  readonly value?: FitsValue;
  readonly comment?: string;
}

export interface FitsHeader {
  readonly cards: readonly FitsCard[];
  /** Keyword → value; the first occurrence wins, commentary cards are left out. */
  readonly values: Readonly<Record<string, FitsValue>>;
}

export interface Hdu {
  /** 0 for the primary HDU. */
  readonly index: number;
  /** 'PRIMARY', or the XTENSION value ('BINTABLE', 'IMAGE', 'TABLE', …). */
  readonly type: string;
  readonly header: FitsHeader;
  /** Byte offset of the data unit in the file. */
  readonly dataOffset: number;
  /** Bytes of data, without the padding to a whole block. */
  readonly dataBytes: number;
}

export interface BinTableColumn {
  readonly index: number;
  readonly name: string;
  readonly form: string;
  /** TFORM data type letter (L, X, B, I, J, K, A, E, D, C, M, P, Q). */
  readonly type: string;
  readonly repeat: number;
  /** Byte offset of the field within a row. */
  readonly offset: number;
  readonly unit?: string;
  readonly scale: number;
  readonly zero: number;
}

const TYPE_BYTES: Readonly<Record<string, number>> = {
  L: 1, B: 1, I: 2, J: 4, K: 8, A: 1, E: 4, D: 8, C: 8, M: 16, P: 8, Q: 16,
};

const NUMERIC_TYPES = new Set(['B', 'I', 'J', 'K', 'E', 'D']);

/** Parse one 80-character card. */
function parseCard(text: string): FitsCard {
  const keyword = text.slice(0, 8).trimEnd();
  if (text.slice(8, 10) !== '= ' || keyword === 'COMMENT' || keyword === 'HISTORY' || keyword === '') {
    return { keyword };
  }
  const rest = text.slice(10);
  const trimmed = rest.trimStart();
  if (trimmed.startsWith("'")) {
    let value = '';
    let i = rest.indexOf("'") + 1;
    for (; i < rest.length; i++) {
      const ch = rest[i];
      if (ch === "'") {
        if (rest[i + 1] === "'") {
          value += "'";
          i++;
          continue;
        }
        break;
      }
      value += ch;
    }
    const after = rest.slice(i + 1);
    const slash = after.indexOf('/');
    const comment = slash >= 0 ? after.slice(slash + 1).trim() : undefined;
    // Trailing spaces in a string value are not significant (Standard §4.2.1.1).
    return comment === undefined ? { keyword, value: value.trimEnd() } : { keyword, value: value.trimEnd(), comment };
  }
  const slash = rest.indexOf('/');
  const raw = (slash >= 0 ? rest.slice(0, slash) : rest).trim();
  const comment = slash >= 0 ? rest.slice(slash + 1).trim() : undefined;
  const withComment = (value: FitsValue | undefined): FitsCard => {
    const card: { keyword: string; value?: FitsValue; comment?: string } = { keyword };
    if (value !== undefined) card.value = value;
    if (comment !== undefined) card.comment = comment;
    return card;
  };
  if (raw === '') return withComment(undefined);
  if (raw === 'T') return withComment(true);
  if (raw === 'F') return withComment(false);
  const number = Number(raw.replace(/[dD]/, 'E'));
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eEdD][+-]?\d+)?$/.test(raw) && Number.isFinite(number)) return withComment(number);
  // Complex values and anything unusual are kept as text.
  return withComment(raw);
}

function isPrintableAscii(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    if (b < 0x20 || b > 0x7e) return false;
  }
  return true;
}

/** Read header cards from `offset` up to END; returns the header and the offset of its data. */
function parseHeader(bytes: Uint8Array, offset: number, fileName: string, hduIndex: number): { header: FitsHeader; dataOffset: number } {
  const cards: FitsCard[] = [];
  const values: Record<string, FitsValue> = {};
  const decoder = new TextDecoder('latin1');
  let position = offset;
  for (;;) {
    if (position + CARD > bytes.length) {
      throw new FitsError(fileName, `truncated: the header of HDU ${hduIndex} has no END card before the end of the file (${bytes.length} bytes)`);
    }
    if (!isPrintableAscii(bytes, position, position + CARD)) {
      throw new FitsError(fileName, `corrupt header in HDU ${hduIndex}: non-ASCII bytes in the card at byte ${position}`);
    }
    const text = decoder.decode(bytes.subarray(position, position + CARD));
    position += CARD;
    if (text.startsWith('END') && text.slice(3).trim() === '') break;
    const card = parseCard(text);
    cards.push(card);
    if (card.value !== undefined && !(card.keyword in values)) values[card.keyword] = card.value;
  }
  const headerBytes = position - offset;
  const dataOffset = offset + Math.ceil(headerBytes / BLOCK) * BLOCK;
  return { header: { cards, values }, dataOffset };
}

function integerKeyword(header: FitsHeader, keyword: string, fileName: string, hduIndex: number, fallback?: number): number {
  const value = header.values[keyword];
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new FitsError(fileName, `HDU ${hduIndex}: keyword ${keyword} is ${value === undefined ? 'missing' : `not an integer (${String(value)})`}`);
  }
  return value;
}

/** Size in bytes of an HDU's data unit (Standard §4.4.1.1 and §7.3.1). */
function dataSize(header: FitsHeader, fileName: string, hduIndex: number): number {
  const bitpix = integerKeyword(header, 'BITPIX', fileName, hduIndex);
  if (![8, 16, 32, 64, -32, -64].includes(bitpix)) throw new FitsError(fileName, `HDU ${hduIndex}: invalid BITPIX ${bitpix}`);
  const naxis = integerKeyword(header, 'NAXIS', fileName, hduIndex);
  if (naxis < 0 || naxis > 999) throw new FitsError(fileName, `HDU ${hduIndex}: invalid NAXIS ${naxis}`);
  if (naxis === 0) return 0;
  let product = 1;
  for (let axis = 1; axis <= naxis; axis++) {
    const length = integerKeyword(header, `NAXIS${axis}`, fileName, hduIndex);
    if (length < 0) throw new FitsError(fileName, `HDU ${hduIndex}: negative NAXIS${axis}`);
    product *= length;
  }
  // Random groups (NAXIS1 = 0 in the primary) do not concern skymaps; treat them generally anyway.
  const pcount = integerKeyword(header, 'PCOUNT', fileName, hduIndex, 0);
  const gcount = integerKeyword(header, 'GCOUNT', fileName, hduIndex, 1);
  return (Math.abs(bitpix) / 8) * gcount * (pcount + product);
}

export class FitsFile {
  constructor(
    readonly fileName: string,
    readonly bytes: Uint8Array,
    readonly hdus: readonly Hdu[],
  ) {}

  /** The first BINTABLE extension (optionally the one with this EXTNAME). */
  binTable(extname?: string): BinTable {
    const hdu = this.hdus.find(
      (h) => h.type === 'BINTABLE' && (extname === undefined || h.header.values.EXTNAME === extname),
    );
    if (hdu === undefined) {
      throw new FitsError(this.fileName, extname === undefined ? 'has no BINTABLE extension' : `has no BINTABLE extension named ${extname}`);
    }
    return new BinTable(this, hdu);
  }
}

export class BinTable {
  readonly rows: number;
  readonly rowBytes: number;
  readonly columns: readonly BinTableColumn[];
  readonly header: FitsHeader;
  private readonly view: DataView;

  constructor(
    private readonly file: FitsFile,
    readonly hdu: Hdu,
  ) {
    const { fileName } = file;
    const header = hdu.header;
    this.header = header;
    const where = `HDU ${hdu.index} (BINTABLE)`;
    if (header.values.BITPIX !== 8 || header.values.NAXIS !== 2) {
      throw new FitsError(fileName, `${where}: a binary table needs BITPIX = 8 and NAXIS = 2`);
    }
    this.rowBytes = integerKeyword(header, 'NAXIS1', fileName, hdu.index);
    this.rows = integerKeyword(header, 'NAXIS2', fileName, hdu.index);
    const fields = integerKeyword(header, 'TFIELDS', fileName, hdu.index);
    const columns: BinTableColumn[] = [];
    let offset = 0;
    for (let n = 1; n <= fields; n++) {
      const form = header.values[`TFORM${n}`];
      if (typeof form !== 'string') throw new FitsError(fileName, `${where}: TFORM${n} is missing`);
      const match = /^\s*(\d*)([LXBIJKAEDCMPQ])/.exec(form);
      if (match === null) throw new FitsError(fileName, `${where}: unsupported TFORM${n} '${form}'`);
      const repeat = match[1] === '' ? 1 : Number(match[1]);
      const type = match[2]!;
      const width = type === 'X' ? Math.ceil(repeat / 8) : repeat * TYPE_BYTES[type]!;
      const name = header.values[`TTYPE${n}`];
      const unit = header.values[`TUNIT${n}`];
      const scale = header.values[`TSCAL${n}`];
      const zero = header.values[`TZERO${n}`];
      const column: BinTableColumn = {
        index: n,
        name: typeof name === 'string' ? name.trim() : `COL${n}`,
        form,
        type,
        repeat,
        offset,
        scale: typeof scale === 'number' ? scale : 1,
        zero: typeof zero === 'number' ? zero : 0,
        ...(typeof unit === 'string' ? { unit: unit.trim() } : {}),
      };
      columns.push(column);
      offset += width;
    }
    if (offset !== this.rowBytes) {
      throw new FitsError(fileName, `${where}: the columns' TFORMs add up to ${offset} bytes a row but NAXIS1 is ${this.rowBytes}`);
    }
    this.columns = columns;
    const bytes = file.bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset + hdu.dataOffset, this.rows * this.rowBytes);
  }

  /** A column by name (case-insensitive), or undefined. */
  column(name: string): BinTableColumn | undefined {
    const wanted = name.toUpperCase();
    return this.columns.find((c) => c.name.toUpperCase() === wanted);
  }

  /**
   * A numeric column as doubles, rows × repeat values in file order (so a `1024E` column of
   * N rows gives 1024·N consecutive values). TSCAL/TZERO are applied.
   */
  readColumn(column: BinTableColumn | string): Float64Array {
    const col = typeof column === 'string' ? this.column(column) : column;
    if (col === undefined) throw new FitsError(this.file.fileName, `HDU ${this.hdu.index} has no column named ${String(column)}`);
    if (!NUMERIC_TYPES.has(col.type)) {
      throw new FitsError(this.file.fileName, `HDU ${this.hdu.index}: column ${col.name} has TFORM '${col.form}', not a numeric type this reader supports (B, I, J, K, E, D)`);
    }
    const { rows, rowBytes, view } = this;
    const repeat = col.repeat;
    const out = new Float64Array(rows * repeat);
    let k = 0;
    switch (col.type) {
      case 'D':
        for (let r = 0; r < rows; r++) {
          let o = r * rowBytes + col.offset;
          for (let j = 0; j < repeat; j++, o += 8) out[k++] = view.getFloat64(o, false);
        }
        break;
      case 'E':
        for (let r = 0; r < rows; r++) {
          let o = r * rowBytes + col.offset;
          for (let j = 0; j < repeat; j++, o += 4) out[k++] = view.getFloat32(o, false);
        }
        break;
      case 'K': {
        let overflow = false;
        for (let r = 0; r < rows; r++) {
          let o = r * rowBytes + col.offset;
          for (let j = 0; j < repeat; j++, o += 8) {
            const hi = view.getInt32(o, false);
            if (hi > 0x1fffff || hi < -0x200000) overflow = true;
            out[k++] = hi * 4294967296 + view.getUint32(o + 4, false);
          }
        }
        if (overflow) throw new FitsError(this.file.fileName, `column ${col.name} holds 64-bit integers beyond ±2^53, which cannot be represented exactly`);
        break;
      }
      case 'J':
        for (let r = 0; r < rows; r++) {
          let o = r * rowBytes + col.offset;
          for (let j = 0; j < repeat; j++, o += 4) out[k++] = view.getInt32(o, false);
        }
        break;
      case 'I':
        for (let r = 0; r < rows; r++) {
          let o = r * rowBytes + col.offset;
          for (let j = 0; j < repeat; j++, o += 2) out[k++] = view.getInt16(o, false);
        }
        break;
      case 'B':
        for (let r = 0; r < rows; r++) {
          let o = r * rowBytes + col.offset;
          for (let j = 0; j < repeat; j++, o += 1) out[k++] = view.getUint8(o);
        }
        break;
    }
    if (col.scale !== 1 || col.zero !== 0) {
      for (let i = 0; i < out.length; i++) out[i] = out[i]! * col.scale + col.zero;
    }
    return out;
  }
}

/** Parse FITS bytes (already decompressed). */
export function parseFits(bytes: Uint8Array, fileName: string): FitsFile {
  if (bytes.length === 0) throw new FitsError(fileName, 'is empty, not a FITS file');
  const start = new TextDecoder('latin1').decode(bytes.subarray(0, Math.min(30, bytes.length)));
  if (!/^SIMPLE  =\s+T/.test(start)) {
    // Show how it starts: an HTML error page or a JSON error is recognised at a glance.
    const preview = start.replace(/[^\x20-\x7e]/g, '.').slice(0, 20);
    throw new FitsError(fileName, `not a FITS file (it starts with ${JSON.stringify(preview)}, not the card SIMPLE = T)`);
  }
  const hdus: Hdu[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const index = hdus.length;
    if (index > 0) {
      const lead = new TextDecoder('latin1').decode(bytes.subarray(offset, Math.min(offset + 8, bytes.length)));
      if (lead !== 'XTENSION') {
        // Trailing zero blocks are tolerated; anything else after the last HDU is corrupt.
        if (bytes.subarray(offset).every((b) => b === 0)) break;
        throw new FitsError(fileName, `unexpected bytes at offset ${offset}: expected an extension header (XTENSION) after HDU ${index - 1}`);
      }
    }
    const { header, dataOffset } = parseHeader(bytes, offset, fileName, index);
    const dataBytes = dataSize(header, fileName, index);
    const type = index === 0 ? 'PRIMARY' : String(header.values.XTENSION ?? '').trim();
    if (dataOffset + dataBytes > bytes.length) {
      throw new FitsError(
        fileName,
        `truncated: HDU ${index} (${type}) needs ${dataBytes} bytes of data but only ${Math.max(0, bytes.length - dataOffset)} remain`,
      );
    }
    hdus.push({ index, type, header, dataOffset, dataBytes });
    offset = dataOffset + Math.ceil(dataBytes / BLOCK) * BLOCK;
  }
  return new FitsFile(fileName, bytes, hdus);
}

const isGzip = (bytes: Uint8Array): boolean => bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;

/** Decompress if the bytes are gzip (by magic bytes, not by file name). */
export async function maybeGunzip(bytes: Uint8Array, fileName: string): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  try {
    return await gunzipAsync(bytes);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new FitsError(fileName, `corrupt or truncated gzip data (${reason})`, { cause: error });
  }
}

/** Read and parse a FITS file, gzipped or not. */
export async function readFits(path: string): Promise<FitsFile> {
  let raw: Uint8Array;
  try {
    raw = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new FitsError(path, `cannot be read (${code ?? (error instanceof Error ? error.message : String(error))})`, { cause: error });
  }
  return parseFits(await maybeGunzip(raw, path), path);
}
