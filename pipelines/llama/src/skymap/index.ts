/** The skymap module: reading LVK skymaps and the figures derived from them. */
export type { Skymap, SkymapMeta } from './types.js';
export { readSkymapFits, parseSkymapFits, skymapFromFits, SkymapError } from './read.js';
