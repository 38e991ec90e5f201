import { looksLikeHdf5, readSkymapHdf5 } from './hdf5.js';
import { readSkymapFits } from './read.js';
import type { Skymap } from './types.js';

/** Read a skymap from FITS (gzipped or not) or from LLAMA's HDF5 file, by its first bytes. */
export async function readSkymap(path: string): Promise<Skymap> {
  return (await looksLikeHdf5(path)) ? readSkymapHdf5(path) : readSkymapFits(path);
}
