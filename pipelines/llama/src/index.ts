export * from './pipelines.js';
export * as time from './time/gps.js';
export * as vetoes from './vetoes.js';
export * as skymap from './skymap/index.js';
export * as healpix from './healpix/index.js';
export * as fits from './fits/index.js';
