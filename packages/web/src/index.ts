export { serve, loadAuthFile, isLoopback, type AuthSpec, type RunningServer, type ServeOptions } from './server.js';
export { readFitsHeaders } from './fits.js';
