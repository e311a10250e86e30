export { configSchema, feedSchema, takesEffectOnRestart, defaultFeedTimings, replayFeedSpec } from './schema.js';
export type { Config, CorridorConfig, ApiKeyConfig, Scope, Limits, FeedTimings } from './schema.js';
export { loadConfig, validateConfig, diffConfig, defaultConfigPath, projectRoot, ConfigWatcher, ConfigError } from './loader.js';
export type { LoadedConfig, ConfigChange } from './loader.js';
export { DECIMAL, SIGNED_DECIMAL, PARTNER_NUMBER, PAIR, CORRIDOR_ID, PARTNER_ID, isDecimal, compareDecimals, places } from './patterns.js';
