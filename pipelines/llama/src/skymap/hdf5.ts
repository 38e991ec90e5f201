/**
 * LLAMA's HDF5 skymap file (`lvc_skymap.hdf5`), written and read with h5wasm.
 *
 * Layout (3.5.1-compatible group and datasets, plus native multi-order datasets):
 *
 *   /skymaps                     group; attributes:
 *       layout   = "llama-skymap-hdf5/1"
 *       ordering = ordering of the source FITS file (NESTED, RING or NUNIQ)
 *       order    = HEALPix order of the rows of `pixels` (NSIDE = 2^order)
 *       header   = JSON object of the source FITS table's header cards
 *   /skymaps/pixels        float64 [N_maps × 12·4^order], gzip, one chunked row per map, NESTED:
 *                          row 0 PROB (probability per pixel), then DISTMU, DISTSIGMA, DISTNORM
 *                          when the map has distances (3.5.1: "N_maps × N_pix").
 *   /skymaps/nest          int8 [N_maps], 1 = NESTED (h5wasm cannot write h5py's bool enum;
 *                          Python reads 1 as true all the same).
 *   /skymaps/descriptions  strings [N_maps]: "PROB [pix-1]", "DISTMU [Mpc]", … (first word = column).
 *
 * For a multi-order (NUNIQ) source the native pixels are kept as well, so nothing is lost:
 *   /skymaps/uniq (int64), /skymaps/probdensity (float64, sr-1) and, with distances,
 *   /skymaps/distmu, /skymaps/distsigma, /skymaps/distnorm (float64), one value per native pixel.
 * Its `pixels` rows are the map flattened to min(max order, FLAT_ORDER_CAP); when the finest order
 * is above the cap, `pixels` holds only PROB (summed into the coarser pixels), since distance
 * parameters do not sum. `readSkymapHdf5` prefers the native datasets when present.
 */
import { open, rm } from 'node:fs/promises';
import { orderToNpix, pixelAreaSr } from '../healpix/index.js';
import { flattenToOrder, isFlat } from './analysis.js';
import { metaFromHeaderValues } from './read.js';
import type { Skymap, SkymapMeta } from './types.js';

export const HDF5_LAYOUT = 'llama-skymap-hdf5/1';
/** Finest order of the flat `pixels` rows written for multi-order maps (NSIDE 1024). */
export const FLAT_ORDER_CAP = 10;
const CHUNK = 1 << 16;
/** Values copied through the wasm heap at a time when writing or reading `pixels` (32 MB). */
const BLOCK_VALUES = 1 << 22;
/**
 * Values read through the wasm heap at a time by the direct row reader (2 MB, 4 chunks): as fast
 * as 32 MB blocks here, and the heap stays small (fresh pages cost a fault each, and the engine
 * runs several generations at once).
 */
const READ_BLOCK_VALUES = 1 << 18;
/**
 * gzip level of the datasets. h5wasm's deflate runs in wasm at roughly 40 MB/s: level 1 writes a
 * multi-order map flattened to order 10 in about a third less time than 4, files ~35% larger.
 */
export const DEFAULT_GZIP_LEVEL = 1;

export class SkymapHdf5Error extends Error {
  override readonly name = 'SkymapHdf5Error';
  constructor(
    readonly fileName: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${fileName}: ${problem}`, options);
  }
}

type H5wasm = typeof import('h5wasm/node').default;
let loading: Promise<H5wasm> | undefined;
/**
 * h5wasm, loaded and compiled once, on first use: importing it compiles its wasm (0.3-0.5 s),
 * which every command loading the pipeline (`llama ingest`, `llama listen`) paid before
 * reading its first notice, though only the skymap rules use it.
 */
async function h5(): Promise<H5wasm> {
  loading ??= import('h5wasm/node').then(async (module) => {
    await module.default.ready;
    return module.default;
  });
  return loading;
}

const COLUMN_UNITS = { PROB: 'pix-1', DISTMU: 'Mpc', DISTSIGMA: 'Mpc', DISTNORM: 'Mpc-2' } as const;
type MapName = keyof typeof COLUMN_UNITS;

/**
 * The time stamped into every HDF5 object header. HDF5 records each object's creation and
 * modification times, and h5wasm offers no `track_times=False`, so two writes of the same map
 * would differ in those bytes and defeat the early cutoff of every rule that reads the skymap.
 */
export const FIXED_HDF5_TIME = new Date('2000-01-01T00:00:00Z');

/**
 * Run `write` (synchronous h5wasm calls only) with the wall clock pinned to FIXED_HDF5_TIME.
 * h5wasm's C library reads the time through emscripten's clock, which calls `Date.now()` at each
 * call; since `write` never yields, no other code can observe the pinned clock.
 */
function withFixedClock<T>(write: () => T): T {
  const realNow = Date.now;
  Date.now = () => FIXED_HDF5_TIME.getTime();
  try {
    return write();
  } finally {
    Date.now = realNow;
  }
}

/** Write the skymap to `path` (overwritten). On failure the partial file is removed. */
export async function writeSkymapHdf5(skymap: Skymap, path: string, options: { gzipLevel?: number; blockValues?: number } = {}): Promise<void> {
  const gzipLevel = options.gzipLevel ?? DEFAULT_GZIP_LEVEL;
  const blockValues = options.blockValues ?? BLOCK_VALUES;
  const lib = await h5();
  const flatSource = isFlat(skymap);
  const order = flatSource ? skymap.meta.maxOrder : Math.min(skymap.meta.maxOrder, FLAT_ORDER_CAP);
  const flat = flatSource ? skymap : flattenToOrder(skymap, order);
  const area = pixelAreaSr(order);
  const npix = orderToNpix(order);
  const rows: [MapName, Float64Array][] = [['PROB', flat.probDensity.map((d) => d * area)]];
  if (flat.distMu !== undefined && flat.distSigma !== undefined && flat.distNorm !== undefined) {
    rows.push(['DISTMU', flat.distMu], ['DISTSIGMA', flat.distSigma], ['DISTNORM', flat.distNorm]);
  }
  try {
    // Pinned clock: same inputs, same bytes (see withFixedClock).
    withFixedClock(() => {
      const file = new lib.File(path, 'w');
      try {
        const group = file.create_group('skymaps');
        group.create_attribute('layout', HDF5_LAYOUT);
        group.create_attribute('ordering', skymap.meta.ordering);
        group.create_attribute('order', order, null, '<i');
        group.create_attribute('header', JSON.stringify(skymap.meta.header));
        // Block by block into a resizable dataset, so the wasm heap never holds a whole map (an
        // NSIDE 2048 row alone is 400 MB).
        const chunk = Math.min(npix, CHUNK);
        const block = Math.max(chunk, Math.floor(blockValues / chunk) * chunk);
        const first = Math.min(npix, block);
        const pixels = group.create_dataset({
          name: 'pixels',
          data: rows[0]![1].subarray(0, first),
          shape: [1, first],
          maxshape: [null, npix],
          dtype: '<d',
          chunks: [1, chunk],
          compression: gzipLevel,
        });
        pixels.resize([rows.length, npix]);
        for (let r = 0; r < rows.length; r++) {
          for (let start = r === 0 ? first : 0; start < npix; start += block) {
            const end = Math.min(npix, start + block);
            pixels.write_slice([[r, r + 1], [start, end]], rows[r]![1].subarray(start, end));
          }
        }
        group.create_dataset({ name: 'nest', data: new Int8Array(rows.length).fill(1), dtype: '<b' });
        group.create_dataset({ name: 'descriptions', data: rows.map(([name]) => `${name} [${COLUMN_UNITS[name]}]`) });
        if (!flatSource) {
          const n = skymap.order.length;
          const uniq = new BigInt64Array(n);
          for (let i = 0; i < n; i++) uniq[i] = BigInt(4 * 4 ** skymap.order[i]! + skymap.ipix[i]!);
          const native: [string, BigInt64Array | Float64Array][] = [['uniq', uniq], ['probdensity', skymap.probDensity]];
          if (skymap.distMu !== undefined && skymap.distSigma !== undefined && skymap.distNorm !== undefined) {
            native.push(['distmu', skymap.distMu], ['distsigma', skymap.distSigma], ['distnorm', skymap.distNorm]);
          }
          for (const [name, data] of native) {
            group.create_dataset({ name, data, dtype: name === 'uniq' ? '<q' : '<d', chunks: [Math.min(n, CHUNK)], compression: gzipLevel });
          }
        }
      } catch (error) {
        try {
          file.close();
        } catch {
          // already failing: the original error matters
        }
        throw error;
      }
      file.close();
    });
  } catch (error) {
    await rm(path, { force: true });
    throw new SkymapHdf5Error(path, `cannot write the HDF5 skymap (${error instanceof Error ? error.message : String(error)})`, { cause: error });
  }
}

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The HDF5 superblock signature sits at offset 0, 512, 1024, 2048, … (after a user block). */
async function checkHdf5Signature(path: string): Promise<void> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SkymapHdf5Error(path, `cannot be read (${code ?? String(error)})`, { cause: error });
  }
  try {
    const { size } = await handle.stat();
    const probe = Buffer.alloc(8);
    for (let offset = 0; offset + 8 <= size; offset = offset === 0 ? 512 : offset * 2) {
      await handle.read(probe, 0, 8, offset);
      if (probe.equals(HDF5_SIGNATURE)) return;
    }
  } finally {
    await handle.close();
  }
  throw new SkymapHdf5Error(path, 'is not a readable HDF5 file (no HDF5 signature)');
}

type H5Dataset = { shape: number[] | null; value: unknown; slice(ranges: [number, number][]): unknown };

function asFloat64(value: unknown, fileName: string, what: string): Float64Array {
  if (value instanceof Float64Array) return value;
  if (value instanceof BigInt64Array || value instanceof BigUint64Array) return Float64Array.from(value, (v) => Number(v));
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Float64Array.from(value as unknown as ArrayLike<number>);
  throw new SkymapHdf5Error(fileName, `${what} is not a numeric array`);
}

export interface ReadSkymapHdf5Options {
  /**
   * Read only the probability, not DISTMU/DISTSIGMA/DISTNORM (consumers that need no distances:
   * each flat NSIDE 1024 row is 100 MB to inflate).
   */
  readonly probabilityOnly?: boolean;
  /** Values read through the wasm heap at a time (tests use small blocks). */
  readonly blockValues?: number;
}

type H5Module = Awaited<H5wasm['ready']>;

/**
 * Row `r` of the 2-D float64 little-endian dataset `name`, columns [0, npix), each value times
 * `scale`, read block by block straight from the wasm heap: h5wasm's `slice` copies every block
 * out of the heap and the caller copied it again, which for a 12.6 M-pixel row cost as much as
 * inflating it. x·1 = x, so scale 1 returns the stored values.
 */
function readFloat64Row(module: H5Module, fileId: bigint, name: string, r: number, npix: number, scale: number, blockValues: number): Float64Array {
  const values = new Float64Array(npix);
  const block = Math.min(npix, blockValues);
  const ptr = module._malloc(block * 8);
  if (ptr === 0) throw new Error(`cannot allocate ${block * 8} bytes in the wasm heap`);
  try {
    for (let start = 0; start < npix; start += block) {
      const count = Math.min(npix, start + block) - start;
      const status = module.get_dataset_data(fileId, name, [1n, BigInt(count)], [BigInt(r), BigInt(start)], [1n, 1n], BigInt(ptr));
      if (status < 0) throw new Error(`HDF5 could not read ${name} row ${r} [${start}, ${start + count})`);
      // The heap may have grown during the read: take its buffer afterwards.
      const heap = new Float64Array(module.HEAPU8.buffer, ptr, count);
      if (scale === 1) values.set(heap, start);
      else for (let i = 0; i < count; i++) values[start + i] = heap[i]! * scale;
    }
  } finally {
    module._free(ptr);
  }
  return values;
}

/** Read a skymap written by writeSkymapHdf5 (or a 3.5.1 file: `pixels`, `nest`, `descriptions`). */
export async function readSkymapHdf5(path: string, options: ReadSkymapHdf5Options = {}): Promise<Skymap> {
  const lib = await h5();
  const module = await lib.ready;
  // h5wasm does not throw for unreadable files (it returns a negative id and prints HDF5
  // diagnostics), so check the file and its signature first.
  await checkHdf5Signature(path);
  let file: InstanceType<typeof lib.File>;
  try {
    file = new lib.File(path, 'r');
  } catch (error) {
    throw new SkymapHdf5Error(path, `is not a readable HDF5 file (${error instanceof Error ? error.message : String(error)})`, { cause: error });
  }
  if (file.file_id < 0n) throw new SkymapHdf5Error(path, 'is not a readable HDF5 file (HDF5 could not open it)');
  try {
    const group = file.get('skymaps');
    if (!(group instanceof lib.Group)) throw new SkymapHdf5Error(path, 'has no group `skymaps`');
    const dataset = (name: string): H5Dataset | undefined => {
      const d = group.get(name);
      return d instanceof lib.Dataset ? (d as unknown as H5Dataset) : undefined;
    };
    const attrs = group.attrs;
    const attr = (name: string): unknown => (name in attrs ? attrs[name]!.value : undefined);
    let header: Record<string, string | number | boolean> = {};
    const headerText = attr('header');
    if (typeof headerText === 'string') {
      try {
        header = JSON.parse(headerText) as typeof header;
      } catch {
        throw new SkymapHdf5Error(path, 'has a `header` attribute that is not JSON');
      }
    }
    const orderingAttr = attr('ordering');
    const ordering: SkymapMeta['ordering'] = orderingAttr === 'RING' || orderingAttr === 'NUNIQ' ? orderingAttr : 'NESTED';
    const meta = (maxOrder: number): SkymapMeta => metaFromHeaderValues(header, maxOrder, ordering);

    const uniqSet = dataset('uniq');
    if (uniqSet !== undefined) {
      const uniq = asFloat64(uniqSet.value, path, 'skymaps/uniq');
      const density = dataset('probdensity');
      if (density === undefined) throw new SkymapHdf5Error(path, 'has `skymaps/uniq` without `skymaps/probdensity`');
      const probDensity = asFloat64(density.value, path, 'skymaps/probdensity');
      const n = uniq.length;
      if (probDensity.length !== n) throw new SkymapHdf5Error(path, `has ${n} UNIQ indices but ${probDensity.length} densities`);
      const order = new Uint8Array(n);
      const ipix = new Float64Array(n);
      let maxOrder = 0;
      for (let i = 0; i < n; i++) {
        const u = uniq[i]!;
        let o = Math.floor(Math.log2(u) / 2) - 1;
        while (o > 0 && 4 * 4 ** o > u) o--;
        while (16 * 4 ** o <= u) o++;
        order[i] = o;
        ipix[i] = u - 4 * 4 ** o;
        if (o > maxOrder) maxOrder = o;
      }
      const distances = ['distmu', 'distsigma', 'distnorm'].map((name) => {
        if (options.probabilityOnly === true) return undefined;
        const d = dataset(name);
        return d === undefined ? undefined : asFloat64(d.value, path, `skymaps/${name}`);
      });
      const [distMu, distSigma, distNorm] = distances;
      return {
        order,
        ipix,
        probDensity,
        ...(distMu !== undefined && distSigma !== undefined && distNorm !== undefined ? { distMu, distSigma, distNorm } : {}),
        meta: meta(maxOrder),
      };
    }

    const pixels = dataset('pixels');
    if (pixels === undefined) throw new SkymapHdf5Error(path, 'has no dataset `skymaps/pixels`');
    const shape = pixels.shape ?? [];
    const [nMaps, npix] = shape.length === 2 ? shape : shape.length === 1 ? [1, shape[0]!] : [0, 0];
    const order = Math.round(Math.log2((npix ?? 0) / 12) / 2);
    if (!(nMaps! >= 1) || orderToNpix(order) !== npix) {
      throw new SkymapHdf5Error(path, `has \`skymaps/pixels\` of shape [${shape.join(', ')}], not N_maps × 12·4^order`);
    }
    const descriptionsSet = dataset('descriptions');
    const descriptionValue = descriptionsSet?.value;
    const descriptions = Array.isArray(descriptionValue) ? descriptionValue.map(String) : typeof descriptionValue === 'string' ? [descriptionValue] : [];
    const nestValue = dataset('nest')?.value;
    const nestFlags = ArrayBuffer.isView(nestValue) ? Array.from(nestValue as unknown as ArrayLike<number | bigint>, (v) => Number(v) !== 0) : [true];
    const pixelsMeta = (pixels as unknown as { metadata: { type: number; size: number; littleEndian: boolean } }).metadata;
    const float64 = pixelsMeta.type === module.H5T_class_t.H5T_FLOAT.value && pixelsMeta.size === 8 && pixelsMeta.littleEndian;
    /** Row r times `scale` (the multiplication fused into the copy out of the wasm heap). */
    const row = (r: number, scale = 1): Float64Array => {
      if (nestFlags[r] === false) {
        throw new SkymapHdf5Error(path, `map ${r} of \`skymaps/pixels\` is RING-ordered; this reader expects NESTED rows as LLAMA writes them`);
      }
      let values: Float64Array;
      if (shape.length === 2 && float64) values = readFloat64Row(module, file.file_id, '/skymaps/pixels', r, npix!, scale, options.blockValues ?? READ_BLOCK_VALUES);
      else {
        if (shape.length !== 2) values = asFloat64(pixels.value, path, 'skymaps/pixels');
        else {
          // Another stored type (h5py writes float64; anything else is converted block by block).
          values = new Float64Array(npix!);
          for (let start = 0; start < npix!; start += BLOCK_VALUES) {
            const end = Math.min(npix!, start + BLOCK_VALUES);
            values.set(asFloat64(pixels.slice([[r, r + 1], [start, end]]), path, 'skymaps/pixels'), start);
          }
        }
        if (scale !== 1) for (let i = 0; i < values.length; i++) values[i] = values[i]! * scale;
      }
      return values;
    };
    // Rows are identified by their description's first word; a 3.5.1 file without them holds PROB first.
    const find = (name: MapName): number => {
      const at = descriptions.findIndex((d) => d.trim().split(/[\s:[]/)[0]!.toUpperCase() === name);
      return at >= 0 ? at : name === 'PROB' ? 0 : -1;
    };
    const probDensity = row(find('PROB'), 1 / pixelAreaSr(order));
    const distanceRows = (['DISTMU', 'DISTSIGMA', 'DISTNORM'] as const).map(find);
    const hasDistances = options.probabilityOnly !== true && distanceRows.every((r) => r >= 0 && r < nMaps!);
    const distances = hasDistances ? { distMu: row(distanceRows[0]!), distSigma: row(distanceRows[1]!), distNorm: row(distanceRows[2]!) } : {};
    // `order` and `ipix` of a flat map say nothing the flag does not, and at NSIDE 1024 cost as
    // much to fill as the row to read: built on first use, once.
    let orders: Uint8Array | undefined;
    let ipix: Float64Array | undefined;
    return {
      get order(): Uint8Array {
        return (orders ??= new Uint8Array(npix!).fill(order));
      },
      get ipix(): Float64Array {
        if (ipix === undefined) {
          ipix = new Float64Array(npix!);
          for (let i = 0; i < npix!; i++) ipix[i] = i;
        }
        return ipix;
      },
      probDensity,
      ...distances,
      meta: meta(order),
      flatNested: true,
    };
  } catch (error) {
    if (error instanceof SkymapHdf5Error) throw error;
    throw new SkymapHdf5Error(path, `cannot be read as a LLAMA HDF5 skymap (${error instanceof Error ? error.message : String(error)})`, { cause: error });
  } finally {
    file.close();
  }
}

/** Whether the file starts with the HDF5 signature (LLAMA never writes a user block). */
export async function looksLikeHdf5(path: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch {
    return false;
  }
  try {
    const probe = Buffer.alloc(8);
    const { bytesRead } = await handle.read(probe, 0, 8, 0);
    return bytesRead === 8 && probe.equals(HDF5_SIGNATURE);
  } finally {
    await handle.close();
  }
}
