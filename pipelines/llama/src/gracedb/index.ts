export * from './client.js';
export * from './config.js';
export * from './errors.js';
export * from './ids.js';
export * from './skymap-names.js';
export type { HttpGet, HttpResponse } from './transport.js';
