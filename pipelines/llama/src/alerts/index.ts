export * from './event-id.js';
export * from './igwn-alert.js';
export * from './voevent.js';
