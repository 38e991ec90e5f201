export * from './alert.js';
export * from './common.js';
export * from './gcn.js';
export * from './gracedb.js';
export * from './lvalert.js';
export * from './run-dir.js';
