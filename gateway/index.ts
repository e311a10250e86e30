export { start } from './main.js';
export type { Settings, Running } from './main.js';
export { Gateway } from './server.js';
export { ApiKeys, DEMO_KEYS, sha256 } from './auth.js';
export { createLogger } from './logger.js';
