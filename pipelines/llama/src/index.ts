export * from './pipelines.js';
export * as time from './time/gps.js';
export * as vetoes from './vetoes.js';
export * as skymap from './skymap/index.js';
export * as healpix from './healpix/index.js';
export * as fits from './fits/index.js';
export * as gracedb from './gracedb/index.js';
export * as alerts from './alerts/index.js';
export * as ingest from './ingest/index.js';
