export * from './errors.js';
export * from './rule/types.js';
export * from './rule/define.js';
export * from './event/flags.js';
export * from './rule/pipeline.js';
