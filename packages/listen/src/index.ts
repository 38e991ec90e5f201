export * from './archive.js';
export * from './consumer.js';
export * from './credentials.js';
export * from './handle.js';
export * from './liveness.js';
export * from './oidc.js';
export * from './replay.js';
export * from './zstd.js';
