/** The skymap module: reading LVK skymaps and the figures derived from them. */
export type { Skymap, SkymapMeta } from './types.js';
export { readSkymapFits, parseSkymapFits, skymapFromFits, SkymapError } from './read.js';
export {
  argsortDescending,
  credibleAreas,
  credibleLevelAt,
  credibleLevels,
  densitiesAt,
  densityAt,
  densityRanking,
  distanceMoments,
  flattenToOrder,
  inCredibleRegion,
  isFlat,
  maxProbabilityDirection,
  pixelDistanceMoments,
  pixelInCredibleRegion,
  pixelIndexAt,
  pixelProbabilities,
  summarizeSkymap,
  totalProbability,
} from './analysis.js';
export type { Direction, DistanceSummary, ProbeResult, SkymapSummary } from './analysis.js';
export { readSkymapHdf5, writeSkymapHdf5, HDF5_LAYOUT, FLAT_ORDER_CAP, SkymapHdf5Error } from './hdf5.js';
export { distancesFromHeader, formatDistancesJson, parseDistancesJson, readDistancesJson, writeDistancesJson, DistancesJsonError } from './distances.js';
export type { SkymapDistances } from './distances.js';
export { metaFromHeaderValues } from './read.js';
export { readSkymap } from './any.js';
