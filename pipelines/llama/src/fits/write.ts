/**
 * A minimal FITS writer: an empty primary HDU and one BINTABLE of numeric columns. Used to build
 * test and benchmark skymaps of any size and layout; the pipeline itself never writes FITS.
 */
import type { FitsValue } from './index.js';
import { BLOCK } from './index.js';

export interface WriteColumn {
  readonly name: string;
  /** D (float64), E (float32), K (int64), J (int32). */
  readonly type: 'D' | 'E' | 'K' | 'J';
  /** Values per row (e.g. 1024 for old LALInference maps). */
  readonly repeat?: number;
  readonly unit?: string;
  /** rows × repeat values. */
  readonly data: ArrayLike<number>;
}

const WIDTH = { D: 8, E: 4, K: 8, J: 4 } as const;

function card(keyword: string, value?: FitsValue, comment?: string): string {
  let text = keyword.padEnd(8);
  if (value !== undefined) {
    let rendered: string;
    if (typeof value === 'string') rendered = `'${value.replace(/'/g, "''").padEnd(8)}'`.padEnd(20);
    else if (typeof value === 'boolean') rendered = (value ? 'T' : 'F').padStart(20);
    else rendered = (Number.isInteger(value) ? String(value) : value.toPrecision(17).replace(/\.?0+$/, '').replace(/\.?0+e/, 'e')).padStart(20);
    text += `= ${rendered}`;
    if (comment !== undefined) text += ` / ${comment}`;
  }
  if (text.length > 80) throw new Error(`FITS card too long: ${text}`);
  return text.padEnd(80);
}

function headerBlock(cards: string[]): Uint8Array {
  const text = [...cards, card('END')].join('');
  const padded = text.padEnd(Math.ceil(text.length / BLOCK) * BLOCK, ' ');
  return new TextEncoder().encode(padded);
}

/** Build a FITS file with one binary table; `extraHeader` cards follow the column definitions. */
export function writeBinTableFits(columns: readonly WriteColumn[], extraHeader: Readonly<Record<string, FitsValue>> = {}): Uint8Array {
  const repeats = columns.map((c) => c.repeat ?? 1);
  const rows = columns.length === 0 ? 0 : columns[0]!.data.length / repeats[0]!;
  columns.forEach((c, i) => {
    if (c.data.length !== rows * repeats[i]!) throw new Error(`column ${c.name}: ${c.data.length} values, expected ${rows * repeats[i]!}`);
  });
  const rowBytes = columns.reduce((sum, c, i) => sum + WIDTH[c.type] * repeats[i]!, 0);
  const primary = headerBlock([card('SIMPLE', true, 'conforms to FITS standard'), card('BITPIX', 8), card('NAXIS', 0), card('EXTEND', true)]);
  const tableCards = [
    card('XTENSION', 'BINTABLE', 'binary table extension'),
    card('BITPIX', 8),
    card('NAXIS', 2),
    card('NAXIS1', rowBytes),
    card('NAXIS2', rows),
    card('PCOUNT', 0),
    card('GCOUNT', 1),
    card('TFIELDS', columns.length),
  ];
  columns.forEach((c, i) => {
    tableCards.push(card(`TTYPE${i + 1}`, c.name), card(`TFORM${i + 1}`, `${repeats[i] === 1 ? '' : repeats[i]}${c.type}`));
    if (c.unit !== undefined) tableCards.push(card(`TUNIT${i + 1}`, c.unit));
  });
  for (const [keyword, value] of Object.entries(extraHeader)) tableCards.push(card(keyword, value));
  const tableHeader = headerBlock(tableCards);
  const dataBytes = rows * rowBytes;
  const data = new Uint8Array(Math.ceil(dataBytes / BLOCK) * BLOCK);
  const view = new DataView(data.buffer);
  let colOffset = 0;
  columns.forEach((c, i) => {
    const repeat = repeats[i]!;
    const width = WIDTH[c.type];
    for (let r = 0; r < rows; r++) {
      let o = r * rowBytes + colOffset;
      for (let j = 0; j < repeat; j++, o += width) {
        const v = c.data[r * repeat + j]!;
        if (c.type === 'D') view.setFloat64(o, v, false);
        else if (c.type === 'E') view.setFloat32(o, v, false);
        else if (c.type === 'J') view.setInt32(o, v, false);
        else {
          const hi = Math.floor(v / 4294967296);
          view.setInt32(o, hi, false);
          view.setUint32(o + 4, v - hi * 4294967296, false);
        }
      }
    }
    colOffset += width * repeat;
  });
  const out = new Uint8Array(primary.length + tableHeader.length + data.length);
  out.set(primary, 0);
  out.set(tableHeader, primary.length);
  out.set(data, primary.length + tableHeader.length);
  return out;
}
