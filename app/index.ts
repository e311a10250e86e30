export { start } from './main.js';
export type { Running } from './main.js';
export type { Settings, Role } from './settings.js';
export { buildCore } from './roles.js';
export type { Core, CoreOptions } from './roles.js';
export { createLogger } from './logging.js';
export { STARTUP_ERRORS } from './errors.js';
export type { StartupErrorCode } from './errors.js';
