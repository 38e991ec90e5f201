import { defineRule } from '@llama/core';
import { lazyGenerate } from './lazy.js';
import { ONLINE_VETOES } from '../vetoes.js';
import { SkymapInfo } from './triggers.js';

/** Group B: GW data derived from SkymapInfo. */

export const LvcSkymapFits = defineRule({
  name: 'LvcSkymapFits',
  filename: 'lvc_skymap.fits.gz',
  inputs: [SkymapInfo],
  generateOnce: true,
  vetoes: ONLINE_VETOES,
  pool: { name: 'gracedb', concurrency: 2 },
  // Room for the GraceDB client's retries with back-off (the default 20 s is one slow request).
  timeoutSeconds: 120,
  description: 'The GW skymap named in SkymapInfo, downloaded from GraceDB and stored gzipped',
  generate: lazyGenerate(() => import('../gracedb/products.js'), (m) => m.generateLvcSkymapFits),
});

export const LvcSkymapHdf5 = defineRule({
  name: 'LvcSkymapHdf5',
  filename: 'lvc_skymap.hdf5',
  inputs: [LvcSkymapFits],
  description: 'The GW skymap in LLAMA\'s HDF5 layout (group skymaps: pixels, nest, descriptions)',
  generate: lazyGenerate(() => import('../skymap/generate.js'), (m) => m.generateLvcSkymapHdf5),
});

export const LvcDistancesJson = defineRule({
  name: 'LvcDistancesJson',
  filename: 'lvc_skymap_distances.json',
  inputs: [LvcSkymapFits],
  description: '[{"distmean", "diststd"}] from the skymap header (NaN when absent)',
  generate: lazyGenerate(() => import('../skymap/generate.js'), (m) => m.generateLvcDistancesJson),
});

export const LVCGraceDbEventData = defineRule({
  name: 'LVCGraceDbEventData',
  filename: 'lvc_gracedb_event_data.json',
  inputs: [SkymapInfo],
  vetoes: ONLINE_VETOES,
  pool: { name: 'gracedb', concurrency: 2 },
  // Room for the GraceDB client's retries with back-off (the default 20 s is one slow request).
  timeoutSeconds: 60,
  description: 'GraceDB JSON of the superevent\'s preferred event',
  generate: lazyGenerate(() => import('../gracedb/products.js'), (m) => m.generateLvcGraceDbEventData),
});

export const PAstro = defineRule({
  name: 'PAstro',
  filename: 'p_astro.json',
  inputs: [SkymapInfo],
  vetoes: ONLINE_VETOES,
  pool: { name: 'gracedb', concurrency: 2 },
  // Room for the GraceDB client's retries with back-off (the default 20 s is one slow request).
  timeoutSeconds: 60,
  description: 'GraceDB p_astro.json: source-class probabilities',
  generate: lazyGenerate(() => import('../gracedb/products.js'), (m) => m.generatePAstro),
});
