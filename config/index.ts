export { configSchema } from './schema.js';
export type { Config, CorridorConfig, ApiKeyConfig, Scope, Limits } from './schema.js';
export { loadConfig, validateConfig, diffConfig, defaultConfigPath, projectRoot, ConfigWatcher, ConfigError } from './loader.js';
export type { LoadedConfig, ConfigChange } from './loader.js';
