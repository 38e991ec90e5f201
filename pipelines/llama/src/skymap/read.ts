/**
 * LVK skymaps from FITS: flat HEALPix maps (NESTED or RING, one pixel a row or many a row, PROB
 * per pixel) and multi-order NUNIQ maps (UNIQ, PROBDENSITY), with the per-pixel distance ansatz
 * (DISTMU, DISTSIGMA, DISTNORM) when present. Pixels stay native: flat maps become NESTED arrays
 * at their own order, multi-order maps keep their rows.
 */
import { BinTable, FitsError, type FitsFile, type FitsHeader, type FitsValue, parseFits, readFits } from '../fits/index.js';
import { MAX_ORDER, nestToRingTable, nsideToOrder, orderToNpix, pixelAreaSr } from '../healpix/index.js';
import type { Skymap, SkymapMeta } from './types.js';

export class SkymapError extends Error {
  override readonly name = 'SkymapError';
  constructor(
    readonly fileName: string,
    problem: string,
  ) {
    super(`${fileName}: ${problem}`);
  }
}

/** Read an LVK skymap (FITS, gzipped or not). Throws FitsError / SkymapError naming the file. */
export async function readSkymapFits(path: string): Promise<Skymap> {
  return skymapFromFits(await readFits(path));
}

/** The same from bytes already in memory (e.g. a decoded alert), not gzipped. */
export function parseSkymapFits(bytes: Uint8Array, fileName: string): Skymap {
  return skymapFromFits(parseFits(bytes, fileName));
}

function findHealpixTable(fits: FitsFile): BinTable {
  const tables = fits.hdus.filter((h) => h.type === 'BINTABLE');
  if (tables.length === 0) {
    throw new SkymapError(fits.fileName, 'is not a HEALPix skymap: it has no binary table extension');
  }
  const hdu = tables.find((h) => String(h.header.values.PIXTYPE ?? '').toUpperCase() === 'HEALPIX') ?? tables[0]!;
  const pixtype = hdu.header.values.PIXTYPE;
  if (String(pixtype ?? '').toUpperCase() !== 'HEALPIX') {
    throw new SkymapError(fits.fileName, `is not a HEALPix skymap: PIXTYPE is ${pixtype === undefined ? 'missing' : `'${String(pixtype)}'`}, expected 'HEALPIX'`);
  }
  return new BinTable(fits, hdu);
}

/** The typed metadata of a skymap from its header values (FITS cards, or their JSON copy). */
export function metaFromHeaderValues(values: Readonly<Record<string, FitsValue>>, maxOrder: number, ordering: SkymapMeta['ordering']): SkymapMeta {
  const text = (key: string): string | undefined => (typeof values[key] === 'string' ? (values[key] as string) : undefined);
  const number = (key: string): number | undefined => {
    const value = values[key];
    return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
  };
  const meta: { -readonly [K in keyof SkymapMeta]: SkymapMeta[K] } = { maxOrder, ordering, header: { ...values } };
  const fields: [keyof SkymapMeta, string | number | undefined][] = [
    ['objectId', text('OBJECT')],
    ['instruments', text('INSTRUME')],
    ['dateObs', text('DATE-OBS')],
    ['mjdObs', number('MJD-OBS')],
    ['distMean', number('DISTMEAN')],
    ['distStd', number('DISTSTD')],
    ['creator', text('CREATOR')],
  ];
  for (const [key, value] of fields) if (value !== undefined) (meta as Record<string, unknown>)[key] = value;
  return meta;
}

function buildMeta(header: FitsHeader, maxOrder: number, ordering: SkymapMeta['ordering']): SkymapMeta {
  return metaFromHeaderValues(header.values, maxOrder, ordering);
}

const DISTANCE_COLUMNS = ['DISTMU', 'DISTSIGMA', 'DISTNORM'] as const;

function readDistances(table: BinTable, fileName: string, length: number): Float64Array[] | undefined {
  const present = DISTANCE_COLUMNS.filter((name) => table.column(name) !== undefined);
  if (present.length === 0) return undefined;
  if (present.length !== DISTANCE_COLUMNS.length) {
    throw new SkymapError(fileName, `has ${present.join(', ')} but not all of ${DISTANCE_COLUMNS.join(', ')}`);
  }
  return DISTANCE_COLUMNS.map((name) => {
    const values = table.readColumn(name);
    if (values.length !== length) throw new SkymapError(fileName, `column ${name} has ${values.length} values, PROB has ${length}`);
    return values;
  });
}

export function skymapFromFits(fits: FitsFile): Skymap {
  const fileName = fits.fileName;
  const table = findHealpixTable(fits);
  const header = table.header;
  const ordering = String(header.values.ORDERING ?? '').toUpperCase().trim();
  if (ordering === 'NUNIQ' || (ordering === '' && table.column('UNIQ') !== undefined)) return readMultiOrder(table, fileName);
  if (ordering !== 'NESTED' && ordering !== 'RING') {
    throw new SkymapError(fileName, `has ORDERING ${ordering === '' ? 'missing' : `'${ordering}'`}; expected NESTED, RING or NUNIQ`);
  }
  if (String(header.values.INDXSCHM ?? 'IMPLICIT').toUpperCase() === 'EXPLICIT') {
    throw new SkymapError(fileName, 'is a partial-sky map (INDXSCHM = EXPLICIT), which LVK skymaps never are; not supported');
  }
  const nside = header.values.NSIDE;
  let order: number;
  try {
    order = nsideToOrder(typeof nside === 'number' ? nside : NaN);
  } catch {
    throw new SkymapError(fileName, `has NSIDE ${nside === undefined ? 'missing' : String(nside)}; expected a power of two up to 2^${MAX_ORDER}`);
  }
  const npix = orderToNpix(order);
  // ligo.skymap names the column PROB; healpy-written maps may use another name, and healpy
  // reads the first column in that case, so do the same.
  const probColumn = table.column('PROB') ?? table.column('PROBABILITY') ?? table.columns[0];
  if (probColumn === undefined) throw new SkymapError(fileName, 'has a HEALPix table without columns');
  const prob = table.readColumn(probColumn);
  if (prob.length !== npix) {
    throw new SkymapError(fileName, `has ${prob.length} values in column ${probColumn.name}, but NSIDE ${String(nside)} needs ${npix}`);
  }
  const distances = readDistances(table, fileName, npix);
  const inverseArea = 1 / pixelAreaSr(order);
  let probDensity: Float64Array;
  let dist: Float64Array[] | undefined;
  if (ordering === 'NESTED') {
    probDensity = prob;
    for (let i = 0; i < npix; i++) probDensity[i] = prob[i]! * inverseArea;
    dist = distances;
  } else {
    const ringOf = nestToRingTable(order);
    probDensity = new Float64Array(npix);
    for (let i = 0; i < npix; i++) probDensity[i] = prob[ringOf[i]!]! * inverseArea;
    dist = distances?.map((ring) => {
      const nested = new Float64Array(npix);
      for (let i = 0; i < npix; i++) nested[i] = ring[ringOf[i]!]!;
      return nested;
    });
  }
  const ipix = new Float64Array(npix);
  for (let i = 0; i < npix; i++) ipix[i] = i;
  const skymap: Skymap = {
    order: new Uint8Array(npix).fill(order),
    ipix,
    probDensity,
    ...(dist === undefined ? {} : { distMu: dist[0]!, distSigma: dist[1]!, distNorm: dist[2]! }),
    meta: buildMeta(header, order, ordering),
  };
  return skymap;
}

function readMultiOrder(table: BinTable, fileName: string): Skymap {
  if (table.column('UNIQ') === undefined) throw new SkymapError(fileName, 'is a NUNIQ skymap without a UNIQ column');
  const densityColumn = table.column('PROBDENSITY');
  if (densityColumn === undefined) throw new SkymapError(fileName, 'is a NUNIQ skymap without a PROBDENSITY column');
  const uniq = table.readColumn('UNIQ');
  const n = uniq.length;
  const probDensity = table.readColumn(densityColumn);
  if (probDensity.length !== n) throw new SkymapError(fileName, `PROBDENSITY has ${probDensity.length} values for ${n} UNIQ indices`);
  const order = new Uint8Array(n);
  const ipix = new Float64Array(n);
  let maxOrder = 0;
  let coveredSr = 0;
  for (let i = 0; i < n; i++) {
    const u = uniq[i]!;
    // Inline UNIQ decoding: this loop runs once per pixel.
    if (!Number.isInteger(u) || u < 4) throw new SkymapError(fileName, `row ${i + 1} has an invalid UNIQ index ${u}`);
    let o = Math.floor(Math.log2(u) / 2) - 1;
    while (o > 0 && 4 * 4 ** o > u) o--;
    while (16 * 4 ** o <= u) o++;
    if (o > MAX_ORDER) throw new SkymapError(fileName, `row ${i + 1}: UNIQ ${u} has order ${o}, above the supported ${MAX_ORDER}`);
    order[i] = o;
    ipix[i] = u - 4 * 4 ** o;
    if (o > maxOrder) maxOrder = o;
    coveredSr += pixelAreaSr(o);
  }
  // A NUNIQ map may cover part of the sky, but never more than all of it (overlapping pixels).
  if (coveredSr > 4 * Math.PI * (1 + 1e-9)) {
    throw new SkymapError(fileName, `its pixels cover ${(coveredSr / Math.PI).toFixed(3)}π sr, more than the whole sky: overlapping UNIQ pixels`);
  }
  const distances = readDistances(table, fileName, n);
  return {
    order,
    ipix,
    probDensity,
    ...(distances === undefined ? {} : { distMu: distances[0]!, distSigma: distances[1]!, distNorm: distances[2]! }),
    meta: buildMeta(table.header, maxOrder, 'NUNIQ'),
  };
}

export { FitsError };
