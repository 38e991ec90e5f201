export * from './pipelines.js';
export * as time from './time/gps.js';
export * as vetoes from './vetoes.js';
