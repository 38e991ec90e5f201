/**
 * The in-memory GW skymap every consumer (HDF5 writer, distances, significance, plots) uses.
 * Pixels are kept in the map's own resolution: a flat map is a multi-order map whose pixels all
 * have the same order, so integrals run on the native pixels, never on a coarser grid.
 *
 * Owned by the skymap module; fields may be added, not renamed.
 */
export interface Skymap {
  /** HEALPix order of each pixel (nside = 2^order). */
  readonly order: Uint8Array;
  /** NESTED pixel index of each pixel at its own order. */
  readonly ipix: Float64Array;
  /** Probability density per steradian. */
  readonly probDensity: Float64Array;
  /** Per-pixel distance ansatz (Singer et al. 2016); absent for maps without distances. */
  readonly distMu?: Float64Array;
  readonly distSigma?: Float64Array;
  readonly distNorm?: Float64Array;
  readonly meta: SkymapMeta;
  /**
   * Set by readers when the map is the whole sky at `meta.maxOrder` in NESTED order (pixel k is
   * NESTED pixel k, `order` all maxOrder): consumers may then skip `order` and `ipix`, which such
   * a reader builds only when first read. Absent means unknown, not false.
   */
  readonly flatNested?: true;
}

export interface SkymapMeta {
  /** Finest order present (for flat maps, log2(NSIDE)). */
  readonly maxOrder: number;
  /** Ordering of the source file: NESTED, RING or NUNIQ. */
  readonly ordering: 'NESTED' | 'RING' | 'NUNIQ';
  readonly objectId?: string;
  readonly instruments?: string;
  readonly dateObs?: string;
  readonly mjdObs?: number;
  readonly distMean?: number;
  readonly distStd?: number;
  readonly creator?: string;
  /** Every header card of the table HDU, for provenance. */
  readonly header: Readonly<Record<string, string | number | boolean>>;
}
