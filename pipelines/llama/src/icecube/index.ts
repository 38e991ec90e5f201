/** IceCube neutrinos: the list file, its sources and tables (public surface). */
export { NEUTRINO_TYPES, MIN_SIGMA_DEG, PARTIAL_RESULT_MARKER, parseNeutrinoList, readNeutrinoList, neutrinoProblems } from './types.js';
export type { Neutrino, NeutrinoList, NeutrinoType } from './types.js';
export { parseNeutrinoArchive, fetchText } from './archive.js';
export type { RawNeutrino } from './archive.js';
export { queryI3Live, DEFAULT_I3LIVE_URL } from './i3live.js';
export { neutrinoSource, ENV_SOURCE, ENV_ARCHIVE_URL, ENV_I3LIVE_URL } from './source.js';
export { buildNeutrinoList, WINDOW_SECONDS, MAX_DELAY_SECONDS } from './list.js';
export { icecubeToEquatorial, equatorialToIcecube, angularDistanceDeg } from './coords.js';
export { zenithAzimuthToIcrs, icrsToZenithAzimuth } from '../coords/index.js';
export { formatNeutrinoTxt, formatNeutrinoTex } from './tables.js';
