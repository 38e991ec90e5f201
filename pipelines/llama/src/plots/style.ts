import { colormap } from './colormap.js';

/** Colours shared by the all-sky map and the zoom panel. */
export const INK = '#1a1a1a';
export const GRID = '#6b6b6b';
export const NEUTRINO = '#00875a';
export const ZTF = '#1f4fd1';
/** The zoom panel's frame and its outline on the all-sky map: solid, unlike any contour or marker. */
export const ZOOM = '#e07b00';

/** The colour map sampled once, for per-pixel use. */
export const LUT_SIZE = 1024;
export const COLOUR_LUT = (() => {
  const lut = new Uint8Array(LUT_SIZE * 3);
  for (let i = 0; i < LUT_SIZE; i++) lut.set(colormap(i / (LUT_SIZE - 1)), i * 3);
  return lut;
})();
